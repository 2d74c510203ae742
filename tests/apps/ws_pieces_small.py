"""A WebSocket echo in pieces for the small-heap run (tests/test_ws.py):
one route. Each message is relayed piece by piece as it arrives, never
held whole, so messages bigger than the free heap go through.
Env: AHTTP_HOST/AHTTP_PORT.
"""
import os

from ahttp import HTTPServer
from ahttp.ws import WebSocket, ConnectionClosed

app = HTTPServer()


@app.route("GET", "/echo")
async def echo(reader, writer, request):
    ws = await WebSocket.accept(reader, writer, request, max_message_size=None)
    try:
        while True:
            piece, last = await ws.receive_piece(1024)
            await ws.send_piece(piece, last)
    except ConnectionClosed:
        pass


app.run(os.getenv("AHTTP_HOST") or "127.0.0.1", int(os.getenv("AHTTP_PORT") or "8080"))
