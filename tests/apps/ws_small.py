"""A WebSocket echo for the small-heap run (tests/test_ws.py): one route,
nothing else.

The handler holds one message at a time: `async for message in ws` keeps
the last message bound while the next one is received, which needs room for
two. Env: AHTTP_HOST/AHTTP_PORT, AHTTP_WS_MAX (max_message_size).
"""
import os

from ahttp import HTTPServer
from ahttp.ws import WebSocket, ConnectionClosed

app = HTTPServer()
MAX = int(os.getenv("AHTTP_WS_MAX") or "20000")


@app.route("GET", "/echo")
async def echo(reader, writer, request):
    ws = await WebSocket.accept(reader, writer, request, max_message_size=MAX)
    try:
        while True:
            await ws.send(await ws.receive())
    except ConnectionClosed:
        pass


app.run(os.getenv("AHTTP_HOST") or "127.0.0.1", int(os.getenv("AHTTP_PORT") or "8080"))
