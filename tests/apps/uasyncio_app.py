"""An app as a user of MicroPython 1.20 writes it, for tests/test_uasyncio.py
(run through tests/uasyncio_launch.py, where asyncio is only `uasyncio`):
plain replies, a request body, a chunked stream, SSE and a WebSocket.
Env: AHTTP_HOST, AHTTP_PORT."""
import os
import sys

from ahttp import HTTPServer, HTTPResponse
from ahttp.sse import EventSource
from ahttp.ws import WebSocket, ConnectionClosed

try:
    import asyncio
except ImportError:
    import uasyncio as asyncio

app = HTTPServer()
getenv = getattr(os, "getenv", None) or {}.get


@app.route("GET", "/hello")
async def hello(reader, writer, request):
    return "Hello, world!\n"


@app.route("POST", "/echo")
async def echo(reader, writer, request):
    return await request.read()


@app.route("GET", "/stream")
async def stream(reader, writer, request):
    resp = HTTPResponse(content_type="text/plain", chunked=True)
    await resp.send(writer)
    for i in range(10):
        await resp.write("line %d\n" % i)
        await asyncio.sleep_ms(1)
    await resp.end()


@app.route("GET", "/events")
async def events(reader, writer, request):
    es = await EventSource(reader, writer, request)
    for i in range(3):
        await es.send("tick %d" % i, id=str(i))
    es.close()


@app.route("GET", "/ws")
async def ws(reader, writer, request):
    sock = await WebSocket.accept(reader, writer, request)
    try:
        async for message in sock:
            await sock.send(message)
    except ConnectionClosed:
        pass


@app.route("GET", "/mods")
async def mods(reader, writer, request):
    # every loaded module of the asyncio package, under each of its names
    return sorted(k for k in sys.modules if "asyncio" in k)


app.run(getenv("AHTTP_HOST") or "127.0.0.1", int(getenv("AHTTP_PORT") or "8080"))
