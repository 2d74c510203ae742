"""SSE test app: fixed event sequences, a ticker, a broadcaster, and debug
endpoints that report the heap from inside (gc.mem_alloc on both runtimes
would differ: CPython reports tracemalloc-free numbers, so only the
MicroPython figures mean anything).

Env: AHTTP_HOST/AHTTP_PORT, SSE_RING, SSE_MAX_SUBS, SSE_HEARTBEAT (seconds,
float), SSE_SEND_TIMEOUT, SSE_NODELAY (0: Broadcaster(nodelay=False)),
SSE_DETACH (1: Broadcaster(detach=True)).
"""
import asyncio
import gc
import os
import sys

from ahttp import HTTPServer
from ahttp.sse import EventSource, Broadcaster


def env(name, default):
    v = os.getenv(name)
    return default if v is None or v == "" else v


HB = float(env("SSE_HEARTBEAT", "0"))
app = HTTPServer(send_timeout=float(env("SSE_SEND_TIMEOUT", "3")),
                 max_connections=int(env("SSE_MAX_CONNS", "400")))
feed = Broadcaster(ring=int(env("SSE_RING", "64")),
                   max_subscribers=int(env("SSE_MAX_SUBS", "300")),
                   heartbeat=HB or None, watch=env("SSE_WATCH", "0") == "1",
                   nodelay=env("SSE_NODELAY", "1") == "1",
                   detach=env("SSE_DETACH", "0") == "1")
stats = {"active": 0, "ended": 0, "errors": 0}

# The sequence the client tests check field by field.
FIXED = [
    {"data": "hello", "event": "greeting", "id": 7},
    {"data": "line one\nline two\r\nline three\rline four"},
    {"data": {"t": 21.5, "ok": True}, "event": "reading", "id": "r-2"},
    {"data": [1, 2, 3]},
    {"data": "with retry", "retry": 2500},
    {"data": "", "event": "empty"},
    {"data": "  leading spaces", "id": 9},
]


@app.route("GET", "/fixed")
async def fixed(reader, writer, request):
    es = await EventSource(reader, writer)
    await es.comment("comments are ignored by clients")
    for ev in FIXED:
        await es.send(**ev)
        await es.comment()
    await es.send("last-event-id=%s" % es.last_event_id, event="echo")


@app.route("GET", "/ticker")
async def ticker(reader, writer, request):
    """Sends a counter every `every` seconds until the client is gone."""
    every = float(request.args.get("every", "0.1"))
    hb = float(request.args.get("hb", "0")) or None
    watch = request.args.get("watch", "0") == "1"
    es = await EventSource(reader, writer, heartbeat=hb, watch=watch)
    stats["active"] += 1
    n = 0
    try:
        while True:
            # A short sleep loop: wakes early when the stream is known dead.
            t = 0.0
            while t < every and not es.closed:
                await asyncio.sleep(0.02)
                t += 0.02
            n += 1
            await es.send(n, id=n)
    except OSError:
        pass
    finally:
        stats["active"] -= 1
        stats["ended"] += 1


@app.route("GET", "/feed")
async def events(reader, writer, request):
    if "sndbuf" in request.args:
        _set_sndbuf(writer, int(request.args["sndbuf"]))
    if "probe" in request.args:
        probes.append(writer)
    await feed.serve(reader, writer, request)


def _set_sndbuf(writer, n):
    # Test hook: a small kernel send buffer makes a stalled client block
    # the server's writes after a few KB instead of after megabytes.
    import socket
    try:
        s = writer.get_extra_info("socket")
    except KeyError:
        s = None
    if s is None:
        s = writer._s.s          # MicroPython: the stream's raw socket
    s.setsockopt(socket.SOL_SOCKET, getattr(socket, "SO_SNDBUF", 7), n)  # 7: Linux


@app.route("GET", "/flood")
async def flood(reader, writer, request):
    """n events from a loop of sends that never sleeps."""
    es = await EventSource(reader, writer)
    for i in range(int(request.args.get("n", "1000"))):
        await es.send(str(i))


@app.route("GET", "/burst")
async def burst(reader, writer, request):
    """Publish n events at once (size bytes of payload each)."""
    n = int(request.args.get("n", "10"))
    size = int(request.args.get("size", "16"))
    pad = "x" * size
    first = None
    for i in range(n):
        id = feed.publish({"i": i, "p": pad}, event="b")
        if first is None:
            first = id
    return {"first": first, "last": feed.last_id}


@app.route("GET", "/pump")
async def pump(reader, writer, request):
    """Publish n events, yielding to the loop every `every` events so the
    streams keep up; answers when done (for the soak test)."""
    n = int(request.args.get("n", "1000"))
    every = int(request.args.get("every", "4"))
    size = int(request.args.get("size", "0"))
    pad = "x" * size
    for i in range(n):
        feed.publish({"i": i, "p": pad} if size else i)
        if i % every == every - 1:
            await asyncio.sleep(0)
            while feed.subscribers and _behind() > every:
                await asyncio.sleep(0.001)
    return {"last": feed.last_id}


def _behind():
    m = 0
    for sub in feed.subscribers:
        d = feed.last_id + 1 - sub.next_id
        if d > m:
            m = d
    return m


@app.route("GET", "/debug/stats")
async def debug_stats(reader, writer, request):
    gc.collect()
    out = {"subscribers": len(feed.subscribers), "last_id": feed.last_id,
           "max_behind": _behind(),
           # detached streams with no task (up to date, see Broadcaster)
           "parked": sum(1 for sub in feed.subscribers if sub.task is False),
           "active": stats["active"], "ended": stats["ended"],
           "runtime": sys.implementation.name}
    if hasattr(gc, "mem_alloc"):
        out["mem_alloc"] = gc.mem_alloc()
        out["mem_free"] = gc.mem_free()
    return out


probes = []     # writers of /feed?probe=1 streams


@app.route("GET", "/debug/nodelay")
async def debug_nodelay(reader, writer, request):
    from sse_probe import nodelay_of
    out = nodelay_of(probes)
    del probes[:]
    return {"nodelay": out}


@app.route("GET", "/debug/drop")
async def debug_drop(reader, writer, request):
    feed.disconnect_all()
    return {"dropped": True}


async def main():
    host = env("AHTTP_HOST", "127.0.0.1")
    port = int(env("AHTTP_PORT", "8080"))
    await app.start(host, port)
    print("listening on http://%s:%d" % (host, port))
    while True:
        await asyncio.sleep(3600)


asyncio.run(main())
