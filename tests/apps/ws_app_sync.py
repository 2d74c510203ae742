"""The sync twin of ws_app.py: the same routes on ahttp.sync with plain
`def` handlers, each WebSocket in a handler thread (`@app.thread`) so the
other routes are served meanwhile. Keep the two in step
(tests/test_sync_twins.py checks they serve the same routes).

The WebSocket test app: one route per behaviour the WS tests check.

Runs unchanged on CPython and MicroPython. Environment:
  AHTTP_HOST / AHTTP_PORT   where to listen
  AHTTP_WS_MAX              max_message_size for /echo (0: no limit)
  AHTTP_WS_FRAME            max_frame_size for /echo (default: same)
"""
import os

from ahttp.sync import HTTPServer, WebSocket, ConnectionClosed

app = HTTPServer(threads=int(os.getenv("AHTTP_THREADS") or "8"))

MAX = int(os.getenv("AHTTP_WS_MAX") or "65536") or None
FRAME = int(os.getenv("AHTTP_WS_FRAME") or "0") or None
closes = {}      # "route code reason" -> how many sockets ended that way


def ended(route, ws):
    key = "%s %s %s" % (route, ws.close_code, ws.close_reason)
    closes[key] = closes.get(key, 0) + 1


@app.thread
@app.route("GET", "/echo")
def echo(reader, writer, request):
    ws = WebSocket.accept(reader, writer, request, max_message_size=MAX,
                                max_frame_size=FRAME)
    for message in ws:
        ws.send(message)
    ended("echo", ws)


@app.thread
@app.route("GET", "/proto")
def proto(reader, writer, request):
    ws = WebSocket.accept(reader, writer, request, subprotocols=["superchat", "chat"])
    ws.send(str(ws.subprotocol))
    for message in ws:
        ws.send(message)
    ended("proto", ws)


@app.thread
@app.route("GET", "/origin")
def origin(reader, writer, request):
    ws = WebSocket.accept(reader, writer, request, origins=["http://good.example"])
    ws.send("welcome")
    for message in ws:
        ws.send(message)
    ended("origin", ws)


@app.thread
@app.route("GET", "/keepalive")
def keepalive(reader, writer, request):
    ws = WebSocket.accept(reader, writer, request, ping_interval=0.3, ping_timeout=0.5)
    for message in ws:
        ws.send(message)
    ended("keepalive", ws)


@app.thread
@app.route("GET", "/close")
def close(reader, writer, request):
    # Closes from the server side after the first message.
    ws = WebSocket.accept(reader, writer, request)
    ws.receive()
    ws.close(4001, "bye")
    ended("close", ws)


@app.thread
@app.route("GET", "/push")
def push(reader, writer, request):
    # async_only in the tests (a second task sends while receive() waits):
    # here the ticks go out first, then the echo loop.
    ws = WebSocket.accept(reader, writer, request)
    try:
        for n in range(200):
            ws.send("tick %d" % n)
        while True:
            message = ws.receive()
            if message == "stop":
                break
            ws.send("echo " + message)
    except ConnectionClosed:
        pass
    ws.close()
    ended("push", ws)


@app.thread
@app.route("GET", "/race")
def race(reader, writer, request):
    # One thread uses a WebSocket at a time here (ahttp/_sync_ws.py): the
    # same messages in the same order, sent and received in turn.
    ws = WebSocket.accept(reader, writer, request, max_message_size=None)
    for ch in "ab":
        for _ in range(4):
            ws.send(ch * 30000)
    got = [ws.receive() for _ in range(11)]
    ws.send(" ".join(got))
    ws.close()
    ended("race", ws)


@app.thread
@app.route("GET", "/ping")
def server_ping(reader, writer, request):
    # The server pings; the client's pong is consumed by receive().
    ws = WebSocket.accept(reader, writer, request)
    ws.ping(b"hello")
    for message in ws:
        ws.send(message)
    ended("ping", ws)


@app.route("GET", "/leave")
def leave(reader, writer, request):
    # see ws_app.py
    ws = WebSocket.accept(reader, writer, request)
    message = ws.receive()
    ws.send("got " + message)
    kind = request.args.get("raise")
    if kind == "MemoryError":
        raise MemoryError("pretend the heap is full")
    if kind:
        raise ValueError("a handler bug")


@app.route("GET", "/pieces")
def pieces(reader, writer, request):
    # see ws_app.py
    ws = WebSocket.accept(reader, writer, request, max_message_size=None)
    size = int(request.args.get("size") or "1024")
    mixed = request.args.get("mix")
    try:
        while True:
            piece, last = ws.receive_piece(size)
            if mixed and not last:
                mixed = None
                try:
                    ws.receive()
                except RuntimeError:
                    ws.send("RuntimeError")
            ws.send_piece(piece, last)
    except ConnectionClosed:
        pass
    ended("pieces", ws)


@app.route("GET", "/stop")
def stop(reader, writer, request):
    app.stop()          # start() returns after this request
    return "stopping"


@app.route("GET", "/closes")
def get_closes(reader, writer, request):
    return closes


@app.route("GET", "/mem")
def mem(reader, writer, request):
    import gc
    gc.collect()
    try:
        return {"free": gc.mem_free(), "alloc": gc.mem_alloc()}
    except AttributeError:
        return {"free": 0, "alloc": 0}


host = os.getenv("AHTTP_HOST") or "127.0.0.1"
port = int(os.getenv("AHTTP_PORT") or "8080")
app.run(host, port)
