"""The robustness-test app: hostile clients, faults, floods and soak runs.

Runs unchanged on CPython and MicroPython. Environment:
  AHTTP_HOST / AHTTP_PORT   where to listen
  AHTTP_OPTIONS             JSON object of HTTPServer keyword arguments,
                            over the short test defaults below
  ROBUST_WWW                static root (default: robust_www beside this)
  ROBUST_CERT / ROBUST_KEY  serve HTTPS with this certificate and key

GET /_mem reports, after gc.collect(), the heap in use (MicroPython's
gc.mem_alloc(); null on CPython, which has no such figure), the server's
open connections and the app's counters, so tests can see leaks from
outside.
"""
import asyncio
import gc
import json
import os

from ahttp import HTTPServer, HTTPResponse

HERE = os.getenv("AHTTP_APP_DIR") or "."
WWW = os.getenv("ROBUST_WWW") or HERE + "/robust_www"

# Short timeouts keep the slow-client tests short; AHTTP_OPTIONS overrides.
options = {"head_timeout": 2, "idle_timeout": 3, "send_timeout": 2}
options.update(json.loads(os.getenv("AHTTP_OPTIONS") or "{}"))
app = HTTPServer(**options)
stats = {"send_timeouts": 0, "big_done": 0, "sse_done": 0, "ws_done": 0,
         "gone": 0}
CHUNK = b"0123456789abcdef" * 64      # 1 KB


@app.route("GET", "/")
async def index(reader, writer, request):
    return "hello"


@app.route("GET", "/_mem")
async def mem(reader, writer, request):
    gc.collect()
    alloc = gc.mem_alloc() if hasattr(gc, "mem_alloc") else None
    return {"alloc": alloc, "conns": len(app._conns), "stats": stats}


@app.route("GET", "/json/<int:n>")
async def json_route(reader, writer, request):
    n = request.params["n"]
    return {"n": n, "items": list(range(n % 16)), "name": "item %d" % n}


@app.route("POST", "/echo")
async def echo(reader, writer, request):
    return await request.read()


@app.route("POST", "/json")
async def post_json(reader, writer, request):
    return {"got": await request.json()}


@app.route("GET", "/text")
async def text(reader, writer, request):
    # query, cookies and a Last-Event-ID parsed (test_robust_intern)
    from ahttp._broadcast import parse_int_id
    return {"args": request.args, "cookies": request.cookies,
            "last": parse_int_id(request.headers.get("last-event-id"))}


@app.route("POST", "/form")
async def form(reader, writer, request):
    from ahttp.multipart import read_form, safe_filename
    f = await read_form(request)
    return {"fields": f.fields, "files": [safe_filename(u.filename) for u in f.files.values()]}


@app.route("POST", "/ignore")
async def ignore(reader, writer, request):
    # answers without reading the body: the server must skip it
    return "ignored"


@app.route("GET", "/big/<int:kb>")
async def big(reader, writer, request):
    # Close-delimited, written 1 KB per drain: a client that stops reading
    # is noticed by the send timeout.
    resp = HTTPResponse(200, "application/octet-stream", close=True)
    await resp.send(writer)
    try:
        for i in range(request.params["kb"]):
            await writer.awrite(CHUNK)
    except OSError as e:
        if e.args and e.args[0] == 110:
            stats["send_timeouts"] += 1
        else:
            stats["gone"] += 1
        raise
    stats["big_done"] += 1


@app.route("GET", "/sse/<int:n>")
async def sse(reader, writer, request):
    from ahttp.sse import EventSource
    es = await EventSource(reader, writer)
    for i in range(request.params["n"]):
        await es.send({"i": i}, event="tick", id=i)
    stats["sse_done"] += 1


feeds = []      # a detached Broadcaster, made on first use


@app.route("GET", "/feed")
async def feed(reader, writer, request):
    if not feeds:
        from ahttp.sse import Broadcaster
        feeds.append(Broadcaster(ring=8, max_subscribers=20, heartbeat=0.5, detach=True))
    if request.args.get("publish"):
        feeds[0].publish("tick")
        return {"subscribers": len(feeds[0].subscribers)}
    await feeds[0].serve(reader, writer, request)


@app.route("GET", "/ws")
async def ws_echo(reader, writer, request):
    from ahttp.ws import WebSocket
    ws = await WebSocket.accept(reader, writer, request, max_message_size=4096)
    async for message in ws:
        await ws.send(message)
    stats["ws_done"] += 1


# -- handler faults ------------------------------------------------------------

@app.route("GET", "/fault/raise")
async def fault_raise(reader, writer, request):
    raise ValueError("handler bug")


@app.route("GET", "/fault/none")
async def fault_none(reader, writer, request):
    # never writes, returns nothing
    await asyncio.sleep(0)


@app.route("GET", "/fault/bad-header")
async def fault_bad_header(reader, writer, request):
    return "x", 200, {"X-Bad": "a\r\nInjected: 1"}


@app.route("GET", "/fault/partial-length")
async def fault_partial_length(reader, writer, request):
    resp = HTTPResponse(200, "text/plain", content_length=1000)
    await resp.send(writer)
    await writer.awrite(b"x" * 10)
    raise RuntimeError("failed after 10 of 1000 bytes")


@app.route("GET", "/fault/partial-chunked")
async def fault_partial_chunked(reader, writer, request):
    resp = HTTPResponse(200, "text/plain", chunked=True)
    await resp.send(writer)
    await resp.write(b"first chunk")
    raise RuntimeError("failed inside a chunked body")


@app.route("GET", "/fault/partial-close")
async def fault_partial_close(reader, writer, request):
    resp = HTTPResponse(200, "text/plain", close=True)
    await resp.send(writer)
    await writer.awrite(b"some bytes")
    raise RuntimeError("failed inside a close-delimited body")


@app.route("GET", "/fault/slow")
async def fault_slow(reader, writer, request):
    # keeps its connection busy without writing for a while
    await asyncio.sleep(float(request.args.get("s", "1")))
    return "late"


app.static("/static", WWW)


def main():
    host = os.getenv("AHTTP_HOST") or "127.0.0.1"
    port = int(os.getenv("AHTTP_PORT") or "8080")
    ctx = None
    cert = os.getenv("ROBUST_CERT")
    if cert:
        import ssl
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, os.getenv("ROBUST_KEY"))
    app.run(host, port, ssl=ctx)


main()
