"""The soak run's server: just the routes the mixed load uses (static
files, JSON, POST bodies, SSE, WebSocket) and /_mem, kept small so that it
fits a 128 KB MicroPython heap beside the package (compiled with mpy-cross
by soak.py). sse and ws are imported at start, before the heap fragments.
"""
import gc
import os

from ahttp import HTTPServer
from ahttp.sse import EventSource
from ahttp.ws import WebSocket

app = HTTPServer(head_timeout=5, idle_timeout=5, send_timeout=5, max_connections=12)


@app.route("GET", "/_mem")
async def mem(reader, writer, request):
    if request.target.endswith("?qstr=1"):
        import micropython
        micropython.qstr_info()     # into the log: soak.py reads it
    gc.collect()
    return {"alloc": gc.mem_alloc(), "conns": len(app._conns)}


@app.route("GET", "/json/<int:n>")
async def json_route(reader, writer, request):
    n = request.params["n"]
    return {"n": n, "items": list(range(n % 16)), "name": "item %d" % n}


@app.route("POST", "/echo")
async def echo(reader, writer, request):
    return await request.read()


@app.route("GET", "/sse/<int:n>")
async def sse(reader, writer, request):
    es = await EventSource(reader, writer)
    for i in range(request.params["n"]):
        await es.send({"i": i}, event="tick", id=i)


@app.route("GET", "/ws")
async def ws_echo(reader, writer, request):
    ws = await WebSocket.accept(reader, writer, request, max_message_size=4096)
    async for message in ws:
        await ws.send(message)


app.static("/static", os.getenv("ROBUST_WWW") or "../apps/robust_www")
app.run(os.getenv("AHTTP_HOST") or "127.0.0.1", int(os.getenv("AHTTP_PORT") or "8080"))
