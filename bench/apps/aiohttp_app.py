"""aiohttp bench app (CPython only): GET /hello and, with
BENCH_FEATURES=shapes, the routes of what users write, each written the
way an aiohttp.web user writes it: a Response or json_response, a
StreamResponse written in two pieces, a FileResponse, and for the event
loops a StreamResponse of type text/event-stream written one event at a
time. Same statuses and bodies as ahttp_app.py's routes. Env: AHTTP_HOST,
AHTTP_PORT, BENCH_FEATURES, BENCH_STATIC.

Its event streams end by closing the connection (force_close()), as the
bench's client reads a stream to its end, like ahttp's EventSource;
aiohttp frames them chunked (HTTP/1.1 without a length)."""
import os

from aiohttp import web

FEATURES = os.getenv("BENCH_FEATURES") or ""
HELLO = "Hello, world!\n"
routes = web.RouteTableDef()


@routes.get("/hello")
async def hello(request):
    return web.Response(text=HELLO)


if "shapes" in FEATURES:
    SMALL = (os.getenv("BENCH_STATIC") or ".") + "/small.txt"

    @routes.get("/s/dict")
    async def s_dict(request):
        return web.json_response({"hello": "world"})

    @routes.get("/s/list")
    async def s_list(request):
        return web.json_response(["hello", "world"])

    @routes.get("/s/bytes")
    async def s_bytes(request):
        return web.Response(body=b"Hello, world!\n")

    @routes.get("/s/status")
    async def s_status(request):
        return web.Response(text=HELLO, status=200)

    @routes.get("/s/headers")
    async def s_headers(request):
        return web.Response(text=HELLO, content_type="text/plain")

    @routes.get("/s/tuple")
    async def s_tuple(request):
        return web.Response(text=HELLO, status=200, content_type="text/plain")

    @routes.get("/s/resp")
    async def s_resp(request):
        return web.Response(body=b"Hello, world!\n", content_type="text/plain")

    @routes.get("/s/stream")
    async def s_stream(request):
        resp = web.StreamResponse(headers={"Content-Type": "text/plain"})
        resp.content_length = 14
        await resp.prepare(request)
        await resp.write(b"Hello, ")
        await resp.write(b"world!\n")
        return resp

    @routes.get("/s/file")
    async def s_file(request):
        return web.FileResponse(SMALL)

    async def event_stream(request):
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream",
                                           "Cache-Control": "no-cache"})
        resp.force_close()
        await resp.prepare(request)
        return resp

    # 2,000 events a stream, the bytes ahttp's EventSource.send writes:
    # plain, with event: and id: lines, and two-line data
    @routes.get("/es")
    async def es_loop(request):
        resp = await event_stream(request)
        for i in range(2000):
            await resp.write(("data: event %d\n\n" % i).encode())
        return resp

    @routes.get("/esf")
    async def es_fields(request):
        resp = await event_stream(request)
        for i in range(2000):
            await resp.write(("event: tick\nid: %d\ndata: event %d\n\n" % (i, i)).encode())
        return resp

    @routes.get("/esm")
    async def es_lines(request):
        resp = await event_stream(request)
        for i in range(2000):
            await resp.write(("data: event %d\ndata: second line\n\n" % i).encode())
        return resp

app = web.Application()
app.add_routes(routes)

if __name__ == "__main__":
    web.run_app(app, host=os.getenv("AHTTP_HOST") or "127.0.0.1",
                port=int(os.getenv("AHTTP_PORT") or 8080),
                access_log=None, print=None, shutdown_timeout=1.0)
