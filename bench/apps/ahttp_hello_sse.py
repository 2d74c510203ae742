"""ahttp's hello + SSE app, as a new user writes it: one route returning
"Hello, world!" and one EventSource route looping over `es.send()`. The
memory table's "hello + SSE app" rows measure it (heap after import, the
smallest heap that serves, code loaded); the peers' apps are its twins.
Env: AHTTP_HOST, AHTTP_PORT."""
import gc
import os
import sys

from ahttp import HTTPServer
from ahttp.sse import EventSource

app = HTTPServer()


@app.route("GET", "/hello")
async def hello(reader, writer, request):
    return "Hello, world!\n"


@app.route("GET", "/es")
async def events(reader, writer, request):
    es = await EventSource(reader, writer)
    for i in range(2000):
        await es.send("event " + str(i))


gc.collect()
gc.collect()
print("bench-heap-app %d" % gc.mem_alloc())
try:
    app.run(os.getenv("AHTTP_HOST") or "127.0.0.1", int(os.getenv("AHTTP_PORT") or 8080))
finally:
    print("bench-mods " + " ".join(sorted(sys.modules)))
