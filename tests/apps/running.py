"""App for the running tests: start() beside other tasks, stop(), run(),
the background-thread helper, TLS and the logging hooks.

AHTTP_MODE selects how the server runs:
  start    asyncio.run(main()) where main awaits app.start() and then keeps
           a counter task ticking until /stop is requested
  run      app.run() blocks; /stop ends it
  thread   app.run_in_thread(); the main thread keeps counting
  tls      like start, with ssl= from AHTTP_CERT / AHTTP_KEY
Lines printed with a prefix ("LOG ", "EVENT ") are what the tests look for.
"""
import asyncio
import os
import sys
import time

from ahttp import HTTPServer

MODE = os.getenv("AHTTP_MODE") or "start"
HOST = os.getenv("AHTTP_HOST") or "127.0.0.1"
PORT = int(os.getenv("AHTTP_PORT") or "8080")

state = {"ticks": 0}


def log_line(msg):
    print("LOG " + msg)


app = HTTPServer(log=log_line, access_log=True)


@app.route("GET", "/")
async def index(reader, writer, request):
    return "running " + MODE


@app.route("GET", "/count")
async def count(reader, writer, request):
    return str(state["ticks"])


@app.route("GET", "/slow")
async def slow(reader, writer, request):
    await asyncio.sleep(1.5)
    return "slow done"


@app.route("GET", "/raise")
async def boom(reader, writer, request):
    raise ValueError("logged-boom-marker")


async def delayed_stop():
    # Let the /stop response go out first.
    await asyncio.sleep(0.2)
    print("EVENT stopping")
    await app.stop()
    state["stopped"] = True
    print("EVENT stop returned")


@app.route("GET", "/stop")
async def stop(reader, writer, request):
    asyncio.create_task(delayed_stop())
    return "stopping"


async def counter():
    while True:
        state["ticks"] += 1
        await asyncio.sleep(0.05)


def server_ssl():
    import ssl
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.getenv("AHTTP_CERT"), os.getenv("AHTTP_KEY"))
    return ctx


async def main(ssl_ctx=None):
    ticker = asyncio.create_task(counter())
    await app.start(HOST, PORT, ssl=ssl_ctx)
    print("EVENT start returned")
    # start() returned: this task goes on with other work while serving
    while not state.get("stopped"):
        await asyncio.sleep(0.05)
    ticker.cancel()
    print("EVENT main done")


def install_task_dump():
    # CPython: SIGUSR1 prints every task's stack, for a test to show where
    # a run() that did not end on SIGINT is waiting
    import io
    import signal

    def dump(signum, frame):
        try:
            tasks = asyncio.all_tasks()
        except RuntimeError:
            print("TASKS none: the loop is not running")
            return
        print("TASKS %d" % len(tasks))
        for t in tasks:
            out = io.StringIO()
            t.print_stack(file=out)
            print("TASK %r cancelling=%d\n%s" % (t, t.cancelling(), out.getvalue()))
        sys.stdout.flush()
    signal.signal(signal.SIGUSR1, dump)


if MODE == "start":
    asyncio.run(main())
elif MODE == "tls":
    asyncio.run(main(server_ssl()))
elif MODE == "run":
    if sys.implementation.name == "cpython":
        # A CPython started with SIGINT ignored (a test run launched in the
        # background by a non-interactive shell passes that on) keeps it
        # ignored, and asyncio.run() then installs no Ctrl-C handler: what
        # the test checks is a Ctrl-C from a terminal, so restore that.
        import signal
        signal.signal(signal.SIGINT, signal.default_int_handler)
        install_task_dump()
    app.run(HOST, PORT)
    print("EVENT run returned")
elif MODE == "thread":
    app.run_in_thread(HOST, PORT)
    print("EVENT thread started")
    # the main thread is free: count here instead of in a task
    for i in range(600):
        state["ticks"] += 1
        time.sleep(0.05)
    print("EVENT main thread done")
sys.exit(0)
