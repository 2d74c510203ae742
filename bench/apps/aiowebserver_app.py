"""haum/micropython-aiowebserver bench app (BENCH_AIOWEBSERVER: a clone,
never committed here): a hello route and an SSE route looping N sends, the
way its README and examples/eventsource.py write them (`await rq.w(...)`;
`@web.route_sse` then `await rq.w(...)` per event). With
BENCH_FEATURES=shapes also the head-then-two-writes route, a 14-byte file
through `rq.sendfile`, and the SSE loop with id/event (its EventSource.send
takes them). MicroPython only. Env: AHTTP_HOST, AHTTP_PORT, BENCH_FEATURES,
BENCH_STATIC."""
import gc
import os
import sys

import aiowebserver as web

FEATURES = os.getenv("BENCH_FEATURES") or ""
N = 2000


@web.route("GET", "/hello")
async def hello(rq):
    await rq.header_text()
    await rq.w("Hello, world!\n")


@web.route_sse("/es")
async def es(rq):
    for i in range(N):
        await rq.w("event " + str(i))


if "shapes" in FEATURES:
    STATIC = os.getenv("BENCH_STATIC") or "."

    @web.route("GET", "/s/stream")
    async def s_stream(rq):
        await rq.header_text()
        await rq.header("Content-Length", "14")
        await rq.w("Hello, ", False)
        await rq.w("world!\n")

    @web.route("GET", "/s/file")
    async def s_file(rq):
        await rq.sendfile("small.txt", STATIC)

    @web.route_sse("/esf")
    async def esf(rq):
        for i in range(N):
            await rq.w("event " + str(i), id=i, event="tick")

gc.collect()
gc.collect()
print("bench-heap-app %d" % gc.mem_alloc())
try:
    web.run_forever(os.getenv("AHTTP_HOST") or "127.0.0.1",
                    int(os.getenv("AHTTP_PORT") or 80))
finally:
    print("bench-mods " + " ".join(sorted(sys.modules)))
