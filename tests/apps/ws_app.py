"""The WebSocket test app: one route per behaviour the WS tests check.

Runs unchanged on CPython and MicroPython. Environment:
  AHTTP_HOST / AHTTP_PORT   where to listen
  AHTTP_WS_MAX              max_message_size for /echo (0: no limit)
  AHTTP_WS_FRAME            max_frame_size for /echo (default: same)
"""
import asyncio
import os

from ahttp import HTTPServer
from ahttp.ws import WebSocket, ConnectionClosed

app = HTTPServer()

MAX = int(os.getenv("AHTTP_WS_MAX") or "65536") or None
FRAME = int(os.getenv("AHTTP_WS_FRAME") or "0") or None
closes = {}      # "route code reason" -> how many sockets ended that way


def ended(route, ws):
    key = "%s %s %s" % (route, ws.close_code, ws.close_reason)
    closes[key] = closes.get(key, 0) + 1


@app.route("GET", "/echo")
async def echo(reader, writer, request):
    ws = await WebSocket.accept(reader, writer, request, max_message_size=MAX,
                                max_frame_size=FRAME)
    async for message in ws:
        await ws.send(message)
    ended("echo", ws)


@app.route("GET", "/proto")
async def proto(reader, writer, request):
    ws = await WebSocket.accept(reader, writer, request, subprotocols=["superchat", "chat"])
    await ws.send(str(ws.subprotocol))
    async for message in ws:
        await ws.send(message)
    ended("proto", ws)


@app.route("GET", "/origin")
async def origin(reader, writer, request):
    ws = await WebSocket.accept(reader, writer, request, origins=["http://good.example"])
    await ws.send("welcome")
    async for message in ws:
        await ws.send(message)
    ended("origin", ws)


@app.route("GET", "/keepalive")
async def keepalive(reader, writer, request):
    ws = await WebSocket.accept(reader, writer, request, ping_interval=0.3, ping_timeout=0.5)
    async for message in ws:
        await ws.send(message)
    ended("keepalive", ws)


@app.route("GET", "/close")
async def close(reader, writer, request):
    # Closes from the server side after the first message.
    ws = await WebSocket.accept(reader, writer, request)
    await ws.receive()
    await ws.close(4001, "bye")
    ended("close", ws)


@app.route("GET", "/push")
async def push(reader, writer, request):
    # A second task sends while this one waits in receive().
    ws = await WebSocket.accept(reader, writer, request)

    async def ticker():
        n = 0
        try:
            while n < 200:
                await ws.send("tick %d" % n)
                n += 1
                await asyncio.sleep(0)
        except ConnectionClosed:
            pass

    task = asyncio.create_task(ticker())
    try:
        while True:
            message = await ws.receive()
            if message == "stop":
                break
            await ws.send("echo " + message)
    except ConnectionClosed:
        pass
    task.cancel()
    await ws.close()
    ended("push", ws)


@app.route("GET", "/race")
async def race(reader, writer, request):
    # Two tasks send big messages at once (each goes out in pieces, yielding
    # between them), then two tasks receive at once: every message must go
    # out whole and come in to exactly one of them, in order.
    ws = await WebSocket.accept(reader, writer, request, max_message_size=None)
    got = []

    async def send_some(ch):
        for _ in range(4):
            await ws.send(ch * 30000)

    left = [11]

    async def receive_some():
        # a message is claimed before it is awaited: 11 receives in all,
        # however the two tasks' turns fall
        while left[0]:
            left[0] -= 1
            got.append(await ws.receive())

    await asyncio.gather(send_some("a"), send_some("b"))
    await asyncio.gather(receive_some(), receive_some())
    await ws.send(" ".join(got))
    await ws.close()
    ended("race", ws)


@app.route("GET", "/ping")
async def server_ping(reader, writer, request):
    # The server pings; the client's pong is consumed by receive().
    ws = await WebSocket.accept(reader, writer, request)
    await ws.ping(b"hello")
    async for message in ws:
        await ws.send(message)
    ended("ping", ws)


@app.route("GET", "/leave")
async def leave(reader, writer, request):
    # ?raise=ValueError / MemoryError: raise after the first message (the
    # server closes with 1011); without: return with the socket open (1000)
    ws = await WebSocket.accept(reader, writer, request)
    message = await ws.receive()
    await ws.send("got " + message)
    kind = request.args.get("raise")
    if kind == "MemoryError":
        raise MemoryError("pretend the heap is full")
    if kind:
        raise ValueError("a handler bug")


@app.route("GET", "/pieces")
async def pieces(reader, writer, request):
    # echo in pieces of ?size= bytes, no message held whole; ?mix=1: try
    # receive() in the middle of one first (refused: RuntimeError)
    ws = await WebSocket.accept(reader, writer, request, max_message_size=None)
    size = int(request.args.get("size") or "1024")
    mixed = request.args.get("mix")
    try:
        while True:
            piece, last = await ws.receive_piece(size)
            if mixed and not last:
                mixed = None
                try:
                    await ws.receive()
                except RuntimeError:
                    await ws.send("RuntimeError")
            await ws.send_piece(piece, last)
    except ConnectionClosed:
        pass
    ended("pieces", ws)


@app.route("GET", "/stop")
async def stop(reader, writer, request):
    async def later():
        await asyncio.sleep(0.2)        # the response goes out first
        await app.stop()
        print("EVENT stop returned")
    asyncio.create_task(later())
    return "stopping"


@app.route("GET", "/closes")
async def get_closes(reader, writer, request):
    return closes


@app.route("GET", "/mem")
async def mem(reader, writer, request):
    import gc
    gc.collect()
    try:
        return {"free": gc.mem_free(), "alloc": gc.mem_alloc()}
    except AttributeError:
        return {"free": 0, "alloc": 0}


host = os.getenv("AHTTP_HOST") or "127.0.0.1"
port = int(os.getenv("AHTTP_PORT") or "8080")
app.run(host, port)
