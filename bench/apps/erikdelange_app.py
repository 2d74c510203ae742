"""erikdelange/MicroPython-HTTP-Server bench app (its asyncio package
`ahttpserver`; BENCH_ERIKDELANGE: a clone, never committed here): a hello
route and an SSE route looping N sends, the way its README and ademo.py
write them (`HTTPResponse(...).send(writer)` then `writer.write`;
`await EventSource(reader, writer)` then `await eventsource.send(...)`).
With BENCH_FEATURES=shapes also the head-then-two-writes route, a 14-byte
file through its `sendfile`, and the SSE loop with id/event. MicroPython
only. Env: AHTTP_HOST, AHTTP_PORT, BENCH_FEATURES, BENCH_STATIC."""
import gc
import os
import sys

import uasyncio as asyncio

from ahttpserver import HTTPResponse, HTTPServer, sendfile
from ahttpserver.sse import EventSource

FEATURES = os.getenv("BENCH_FEATURES") or ""
N = 2000
app = HTTPServer(host=os.getenv("AHTTP_HOST") or "127.0.0.1",
                 port=int(os.getenv("AHTTP_PORT") or 80))


@app.route("GET", "/hello")
async def hello(reader, writer, request):
    response = HTTPResponse(200, "text/plain", close=True)
    await response.send(writer)
    writer.write("Hello, world!\n")


@app.route("GET", "/es")
async def es(reader, writer, request):
    eventsource = await EventSource(reader, writer)
    for i in range(N):
        await eventsource.send(data="event " + str(i))


if "shapes" in FEATURES:
    SMALL = (os.getenv("BENCH_STATIC") or ".") + "/small.txt"

    @app.route("GET", "/s/stream")
    async def s_stream(reader, writer, request):
        response = HTTPResponse(200, "text/plain", close=True,
                                header={"Content-Length": "14"})
        await response.send(writer)
        writer.write("Hello, ")
        writer.write("world!\n")
        await writer.drain()

    @app.route("GET", "/s/file")
    async def s_file(reader, writer, request):
        response = HTTPResponse(200, "text/plain", close=True)
        await response.send(writer)
        await sendfile(writer, SMALL)

    @app.route("GET", "/esf")
    async def esf(reader, writer, request):
        eventsource = await EventSource(reader, writer)
        for i in range(N):
            await eventsource.send(data="event " + str(i), id=i, event="tick")

gc.collect()
gc.collect()
print("bench-heap-app %d" % gc.mem_alloc())
try:
    loop = asyncio.get_event_loop()
    loop.create_task(app.start())
    loop.run_forever()
finally:
    print("bench-mods " + " ".join(sorted(sys.modules)))
