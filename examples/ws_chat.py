"""Chat and remote control over WebSocket. Runs under micropython and python3.

    micropython examples/ws_chat.py     # then open http://127.0.0.1:8080/
                                        # in two browser tabs

Every open page shares one state: a slider (think PWM duty), an LED toggle
and a chat log. A page sends small JSON messages; the board applies them
and broadcasts the result to every page, so all tabs stay in sync. A tab
that closes (or a phone that walks out of WiFi range: the keepalive ping
notices) simply leaves the set; the server keeps serving the others.

Env: AHTTP_HOST, AHTTP_PORT (default 127.0.0.1:8080).
"""
import json
import os
import sys

try:
    from ahttp import HTTPServer
except ImportError:   # run from a checkout: the package is one level up
    sys.path.insert(0, (__file__.rsplit("/", 1)[0] if "/" in __file__ else ".") + "/..")
    from ahttp import HTTPServer
from ahttp.ws import WebSocket, ConnectionClosed

getenv = getattr(os, "getenv", None) or {}.get    # a board's os has no getenv

HERE = __file__.rsplit("/", 1)[0] if "/" in __file__ else "."
WWW = HERE + "/ws_www"

app = HTTPServer()
clients = []                          # open WebSockets, in join order
state = {"slider": 50, "led": False}  # what a real board would drive
counter = [0]


async def broadcast(message):
    """Send to every page; a page that went away is dropped."""
    data = json.dumps(message)
    for ws in list(clients):
        try:
            await ws.send(data)
        except ConnectionClosed:
            if ws in clients:
                clients.remove(ws)


def state_message():
    return {"type": "state", "slider": state["slider"], "led": state["led"],
            "online": len(clients)}


@app.route("GET", "/ws")
async def control(reader, writer, request):
    # Small messages only: a page can never make the board allocate more
    # than 1 KB per message; dead peers are dropped after ~40 s.
    ws = await WebSocket.accept(reader, writer, request, max_message_size=1024,
                                ping_interval=20, ping_timeout=20)
    counter[0] += 1
    name = "guest-%d" % counter[0]
    clients.append(ws)
    try:
        await ws.send(json.dumps({"type": "hello", "name": name}))
        await broadcast(state_message())
        async for text in ws:
            try:
                msg = json.loads(text)
            except ValueError:
                continue
            if not isinstance(msg, dict):
                continue
            if "chat" in msg:
                chat = str(msg["chat"])[:200]
                await broadcast({"type": "chat", "name": name, "text": chat})
            elif "slider" in msg:
                try:
                    state["slider"] = max(0, min(100, int(msg["slider"])))
                except (TypeError, ValueError):
                    continue
                await broadcast(state_message())
            elif "led" in msg:
                state["led"] = bool(msg["led"])
                await broadcast(state_message())
    finally:
        if ws in clients:
            clients.remove(ws)
        await broadcast(state_message())


app.static("/", WWW)

# a PC: this machine only (AHTTP_HOST changes it); a board (its os has no
# getenv): every interface, as it is reached at its Wi-Fi address
host = getenv("AHTTP_HOST") or ("127.0.0.1" if hasattr(os, "getenv") else "0.0.0.0")
port = int(getenv("AHTTP_PORT") or 8080)
print("serving on http://%s:%d/" % (host, port))
app.run(host, port)
