"""microdot bench app: the same 10 routes as ahttp_app.py (GET /hello and
the memory probes among them); with BENCH_FEATURES=sse,ws,static also SSE
fan-out, WebSocket echo and a static route, and with BENCH_FEATURES=shapes
the routes of what users write, written the way microdot's documentation
shows. Env: AHTTP_HOST, AHTTP_PORT, BENCH_FEATURES,
BENCH_STATIC."""
import gc
import os
import sys

from microdot import Microdot, Response

FEATURES = os.getenv("BENCH_FEATURES") or ""
app = Microdot()


def heap():
    gc.collect()
    gc.collect()
    return gc.mem_alloc() if hasattr(gc, "mem_alloc") else -1


@app.route("/hello")
async def hello(request):
    return "Hello, world!\n"


@app.route("/_mem")
async def mem(request):
    return str(heap())


@app.route("/_mods")
async def mods(request):
    return " ".join(sorted(m for m in sys.modules if m.split(".")[0] == "microdot"))


@app.route("/")
async def index(request):
    return "index\n"


@app.route("/user/<int:uid>")
async def user(request, uid):
    return {"user": uid}


@app.route("/item/<name>")
async def item(request, name):
    return {"item": name}


@app.route("/files/<path:rest>")
async def files(request, rest):
    return rest


@app.route("/echo", methods=["POST"])
async def echo(request):
    return request.body


@app.route("/form", methods=["GET", "POST"])
async def form(request):
    return "form\n"


@app.route("/status")
async def status(request):
    return {"ok": True}


if "sse" in FEATURES:
    import asyncio
    from microdot.sse import with_sse

    clients = []
    producing = [False]
    forever = asyncio.Event()
    PAYLOAD = "tick" + "." * 24

    @app.route("/sse")
    @with_sse
    async def sse(request, stream):
        clients.append(stream)
        try:
            await forever.wait()
        finally:
            clients.remove(stream)

    @app.route("/_produce")
    async def produce(request):
        producing[0] = request.args.get("on") == "1"
        return "ok"

    async def producer():
        n = 0
        while True:
            if producing[0] and clients:
                n += 1
                eid = str(n)
                for stream in clients:
                    await stream.send(PAYLOAD, event_id=eid)
                await asyncio.sleep(0)
            else:
                await asyncio.sleep(0.01)

if "shapes" in FEATURES:
    # what users write, the microdot way (rows "u_*" and "es*"): return
    # values, a Response, a generator body, Response.send_file, with_sse
    from microdot.sse import with_sse as _with_sse

    SMALL = (os.getenv("BENCH_STATIC") or ".") + "/small.txt"

    @app.route("/s/dict")
    async def s_dict(request):
        return {"hello": "world"}

    @app.route("/s/list")
    async def s_list(request):
        return ["hello", "world"]

    @app.route("/s/bytes")
    async def s_bytes(request):
        return b"Hello, world!\n"

    @app.route("/s/status")
    async def s_status(request):
        return "Hello, world!\n", 200

    @app.route("/s/headers")
    async def s_headers(request):
        return "Hello, world!\n", {"Content-Type": "text/plain"}

    @app.route("/s/tuple")
    async def s_tuple(request):
        return "Hello, world!\n", 200, {"Content-Type": "text/plain"}

    @app.route("/s/resp")
    async def s_resp(request):
        return Response(b"Hello, world!\n", headers={"Content-Type": "text/plain"})

    @app.route("/s/stream")
    async def s_stream(request):
        def body():
            yield b"Hello, "
            yield b"world!\n"
        return Response(body(), headers={"Content-Type": "text/plain",
                                         "Content-Length": "14"})

    @app.route("/s/file")
    async def s_file(request):
        return Response.send_file(SMALL, content_type="text/plain")

    @app.route("/es")
    @_with_sse
    async def es_loop(request, sse):
        for i in range(2000):
            await sse.send("event " + str(i))

    @app.route("/esf")
    @_with_sse
    async def es_fields(request, sse):
        for i in range(2000):
            await sse.send("event " + str(i), event="tick", event_id=str(i))

if "ws" in FEATURES:
    from microdot.websocket import with_websocket

    @app.route("/ws")
    @with_websocket
    async def ws(request, sock):
        while True:
            message = await sock.receive()
            await sock.send(message)

if "static" in FEATURES:
    STATIC = os.getenv("BENCH_STATIC") or "."

    @app.route("/static/<path:path>")
    async def static(request, path):
        if ".." in path:
            return "Not found", 404
        return Response.send_file(STATIC + "/" + path)

host = os.getenv("AHTTP_HOST") or "127.0.0.1"
port = int(os.getenv("AHTTP_PORT") or 8080)
print("bench-heap-app %d" % heap())
if "sse" in FEATURES:
    async def main():
        asyncio.create_task(producer())
        await app.start_server(host, port)
    asyncio.run(main())
else:
    app.run(host, port)
