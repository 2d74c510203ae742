"""ahttp bench app: 10 routes (GET /hello and the memory probes among them);
with BENCH_FEATURES=sse,ws,static also the SSE fan-out, WebSocket echo and
static routes; with BENCH_FEATURES=shapes the routes of what users write
(each return shape, EventSource.send loops). Env: AHTTP_HOST, AHTTP_PORT,
BENCH_FEATURES, BENCH_STATIC.
Runs under micropython and python3 with ahttp importable."""
import gc
import os
import sys

from ahttp import HTTPServer

FEATURES = os.getenv("BENCH_FEATURES") or ""
app = HTTPServer(max_connections=80) if FEATURES else HTTPServer()


def heap():
    gc.collect()
    gc.collect()
    return gc.mem_alloc() if hasattr(gc, "mem_alloc") else -1


@app.route("GET", "/hello")
async def hello(reader, writer, request):
    return "Hello, world!\n"


@app.route("GET", "/_mem")
async def mem(reader, writer, request):
    return str(heap())


@app.route("GET", "/_mods")
async def mods(reader, writer, request):
    return " ".join(sorted(m for m in sys.modules if m.split(".")[0] == "ahttp"))


@app.route("GET", "/")
async def index(reader, writer, request):
    return "index\n"


@app.route("GET", "/user/<int:uid>")
async def user(reader, writer, request):
    return {"user": request.params["uid"]}


@app.route("GET", "/item/<name>")
async def item(reader, writer, request):
    return {"item": request.params["name"]}


@app.route("GET", "/files/<path:rest>")
async def files(reader, writer, request):
    return request.params["rest"]


@app.route("POST", "/echo")
async def echo(reader, writer, request):
    return await request.read()


@app.route(["GET", "POST"], "/form")
async def form(reader, writer, request):
    return "form\n"


@app.route("GET", "/status")
async def status(reader, writer, request):
    return {"ok": True}


if "sse" in FEATURES:
    import asyncio
    from ahttp.sse import Broadcaster

    feed = Broadcaster(ring=64, max_subscribers=100, heartbeat=0)
    # the same with TCP_NODELAY off on its streams (a row of its own)
    feed_nagle = Broadcaster(ring=64, max_subscribers=100, heartbeat=0, nodelay=False)
    producing = [False]
    PAYLOAD = "tick" + "." * 24

    @app.route("GET", "/sse")
    async def sse(reader, writer, request):
        await feed.serve(reader, writer, request)

    @app.route("GET", "/sse-nagle")
    async def sse_nagle(reader, writer, request):
        await feed_nagle.serve(reader, writer, request)

    # streams that outlive their handler (a memory row of their own)
    feed_detached = Broadcaster(ring=64, max_subscribers=100, heartbeat=0, detach=True)

    @app.route("GET", "/sse-detached")
    async def sse_detached(reader, writer, request):
        await feed_detached.serve(reader, writer, request)

    @app.route("GET", "/_produce")
    async def produce(reader, writer, request):
        producing[0] = request.args.get("on") == "1"
        return "ok"

    async def producer():
        while True:
            f = feed if feed.subscribers else feed_nagle
            if producing[0] and f.subscribers:
                f.publish(PAYLOAD)
                await asyncio.sleep(0)
            else:
                await asyncio.sleep(0.01)

if "shapes" in FEATURES:
    # what users write, one route per shape (rows "shape_*" and "es*")
    from ahttp import HTTPResponse
    from ahttp.response import sendfile
    from ahttp.sse import EventSource

    SMALL = (os.getenv("BENCH_STATIC") or ".") + "/small.txt"

    @app.route("GET", "/s/dict")
    async def s_dict(reader, writer, request):
        return {"hello": "world"}

    @app.route("GET", "/s/list")
    async def s_list(reader, writer, request):
        return ["hello", "world"]

    @app.route("GET", "/s/bytes")
    async def s_bytes(reader, writer, request):
        return b"Hello, world!\n"

    @app.route("GET", "/s/status")
    async def s_status(reader, writer, request):
        return "Hello, world!\n", 200

    @app.route("GET", "/s/headers")
    async def s_headers(reader, writer, request):
        return "Hello, world!\n", {"Content-Type": "text/plain"}

    @app.route("GET", "/s/tuple")
    async def s_tuple(reader, writer, request):
        return "Hello, world!\n", 200, {"Content-Type": "text/plain"}

    @app.route("GET", "/s/resp")
    async def s_resp(reader, writer, request):
        await HTTPResponse(200, "text/plain", body=b"Hello, world!\n").send(writer)

    @app.route("GET", "/s/stream")
    async def s_stream(reader, writer, request):
        await HTTPResponse(200, "text/plain", content_length=14).send(writer)
        writer.write(b"Hello, ")
        writer.write(b"world!\n")
        await writer.drain()

    @app.route("GET", "/s/file")
    async def s_file(reader, writer, request):
        await HTTPResponse(200, "text/plain", content_length=14).send(writer)
        await sendfile(writer, SMALL)

    # EventSource.send loops, 2,000 events a stream: plain, with event= and
    # id=, and two-line data (two data: lines on the wire)
    @app.route("GET", "/es")
    async def es_loop(reader, writer, request):
        es = await EventSource(reader, writer)
        for i in range(2000):
            await es.send("event " + str(i))

    @app.route("GET", "/esf")
    async def es_fields(reader, writer, request):
        es = await EventSource(reader, writer)
        for i in range(2000):
            await es.send("event " + str(i), event="tick", id=i)

    @app.route("GET", "/esm")
    async def es_lines(reader, writer, request):
        es = await EventSource(reader, writer)
        for i in range(2000):
            await es.send("event " + str(i) + "\nsecond line")

if "ws" in FEATURES:
    from ahttp.ws import WebSocket, ConnectionClosed

    @app.route("GET", "/ws")
    async def ws(reader, writer, request):
        sock = await WebSocket.accept(reader, writer, request)
        try:
            async for message in sock:
                await sock.send(message)
        except ConnectionClosed:
            pass

if "static" in FEATURES:
    app.static("/static", os.getenv("BENCH_STATIC") or ".")

host = os.getenv("AHTTP_HOST") or "127.0.0.1"
port = int(os.getenv("AHTTP_PORT") or 8080)
print("bench-heap-app %d" % heap())
if "sse" in FEATURES:
    async def main():
        await app.start(host, port)
        await producer()
    asyncio.run(main())
else:
    app.run(host, port)
