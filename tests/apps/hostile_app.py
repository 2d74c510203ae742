"""The app of the overload tests (tests/test_robust_overload.py): hello, a
2 KB POST echo, static files, SSE and a WebSocket echo, as a board's app
serves them. Kept small: it runs at the smallest heaps the docs give.

GET /_mem reports the heap in use after a collection (MicroPython), the
server's open connections and the sockets tasks wait on.
"""
import asyncio
import gc
import json
import os

from ahttp import HTTPServer
from ahttp.sse import EventSource

options = {"head_timeout": 2, "idle_timeout": 3, "send_timeout": 2}
options.update(json.loads(os.getenv("AHTTP_OPTIONS") or "{}"))
app = HTTPServer(**options)


@app.route("GET", "/")
async def hello(reader, writer, request):
    return "hello"


@app.route("GET", "/_mem")
async def mem(reader, writer, request):
    if request.query_string:
        import micropython
        micropython.qstr_info()     # into the log
    gc.collect()
    # waits: sockets some task waits on (MicroPython's asyncio poll set)
    core = getattr(asyncio, "core", None)
    q = getattr(core, "_io_queue", None)
    return {"alloc": gc.mem_alloc() if hasattr(gc, "mem_alloc") else None,
            "conns": len(app._conns), "waits": len(q.map) if q else None,
            "children": sum(1 for t in children if not t.done()),
            # (what waits, when more than the accept loop does: for the
            # message of a failing test)
            "waiting": [repr(t.coro) for e in q.map.values() for t in e[:2] if t]
            if q and len(q.map) > 1 else None}


children = []


@app.route("GET", "/child")
async def child(reader, writer, request):
    # a handler that leaves a task reading its connection behind
    children.append(asyncio.create_task(reader.read(100)))
    return "ok"


@app.route("POST", "/echo")
async def echo(reader, writer, request):
    return await request.read()


@app.route("GET", "/sse/<int:n>")
async def sse(reader, writer, request):
    # n events, then the stream ends; n = 0: one every 0.2 s until the
    # client leaves
    es = await EventSource(reader, writer)
    n = request.params["n"]
    i = 0
    while i < n or not n:
        await es.send("tick %d" % i, id=i)
        i += 1
        if not n:
            await asyncio.sleep(0.2)


async def ws(reader, writer, request):
    # ahttp.ws loads on first use, as a board with little heap has it
    from ahttp.ws import WebSocket
    sock = await WebSocket.accept(reader, writer, request, max_message_size=4096)
    async for message in sock:
        await sock.send(message)


# HOSTILE_WS=0: no WebSocket route (at ROMFS 64k ahttp.ws does not fit
# beside SSE; its failed imports would leave their names interned)
if os.getenv("HOSTILE_WS") != "0":
    app.route("GET", "/ws")(ws)

app.static("/static", "www")

app.run(os.getenv("AHTTP_HOST", "127.0.0.1"), int(os.getenv("AHTTP_PORT", "8080")))
