"""microdot's hello + SSE app, the twin of ahttp_hello_sse.py written the
way microdot's documentation shows: a route returning "Hello, world!" and a
`with_sse` route looping over `sse.send()`. Env: AHTTP_HOST, AHTTP_PORT."""
import gc
import os
import sys

from microdot import Microdot
from microdot.sse import with_sse

app = Microdot()


@app.route("/hello")
async def hello(request):
    return "Hello, world!\n"


@app.route("/es")
@with_sse
async def events(request, sse):
    for i in range(2000):
        await sse.send("event " + str(i))


gc.collect()
gc.collect()
print("bench-heap-app %d" % gc.mem_alloc())
try:
    app.run(os.getenv("AHTTP_HOST") or "127.0.0.1", int(os.getenv("AHTTP_PORT") or 8080))
finally:
    print("bench-mods " + " ".join(sorted(sys.modules)))
