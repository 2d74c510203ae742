"""tinyweb bench app (BENCH_TINYWEB: a clone of github.com/belyalov/tinyweb,
never committed here): a hello route and an SSE route looping N sends,
written the way tinyweb's README and examples write a page (start the
response, then `await response.send(...)`). tinyweb has no SSE API: the
route starts a text/event-stream response and sends the frames itself. With
BENCH_FEATURES=shapes also the head-then-two-writes route, a 14-byte file,
and the SSE loops with id/event and with two-line data. MicroPython only
(tinyweb drives asyncio's internals). Needs `logging` (micropython-lib on a
board; bench/apps/shim_logging.py here). Env: AHTTP_HOST, AHTTP_PORT,
BENCH_FEATURES, BENCH_STATIC."""
import gc
import os
import sys

import tinyweb

FEATURES = os.getenv("BENCH_FEATURES") or ""
N = 2000
# the README's default for ports other than esp8266 / esp32
app = tinyweb.webserver(max_concurrency=10)


@app.route("/hello")
async def hello(request, response):
    await response.start_html()
    await response.send("Hello, world!\n")


async def start_sse(response):
    response.add_header("Content-Type", "text/event-stream")
    response.add_header("Cache-Control", "no-cache")
    await response._send_headers()


@app.route("/es")
async def es(request, response):
    await start_sse(response)
    for i in range(N):
        await response.send("data: event " + str(i) + "\n\n")


if "shapes" in FEATURES:
    SMALL = (os.getenv("BENCH_STATIC") or ".") + "/small.txt"

    @app.route("/s/stream")
    async def s_stream(request, response):
        response.add_header("Content-Type", "text/plain")
        response.add_header("Content-Length", "14")
        await response._send_headers()
        await response.send("Hello, ")
        await response.send("world!\n")

    @app.route("/s/file")
    async def s_file(request, response):
        await response.send_file(SMALL, content_type="text/plain")

    @app.route("/esf")
    async def esf(request, response):
        await start_sse(response)
        for i in range(N):
            await response.send("event: tick\nid: " + str(i) + "\ndata: event "
                                + str(i) + "\n\n")

    @app.route("/esm")
    async def esm(request, response):
        await start_sse(response)
        for i in range(N):
            await response.send("data: event " + str(i) + "\ndata: second line\n\n")

gc.collect()
gc.collect()
print("bench-heap-app %d" % gc.mem_alloc())
try:
    app.run(os.getenv("AHTTP_HOST") or "127.0.0.1", int(os.getenv("AHTTP_PORT") or 8081))
finally:
    print("bench-mods " + " ".join(sorted(sys.modules)))
