"""A small broadcaster app for the 64k fan-out run: detached streams, and
the routes tests/test_sse.py's _fanout() drives (/feed, /burst,
/debug/stats), nothing else.

Kept short on purpose: on a small heap the script's own objects count
against the same heap as the streams. Its query strings are read from
request.target by hand: request.args would load the query-parsing code
(~2 KB) into a heap the streams have already cut up.
Env: AHTTP_HOST/AHTTP_PORT, SSE_RING, SSE_SEND_TIMEOUT.
"""
import gc
import os

from ahttp import HTTPServer
from ahttp.sse import Broadcaster

app = HTTPServer(send_timeout=float(os.getenv("SSE_SEND_TIMEOUT") or "10"),
                 max_connections=40)
feed = Broadcaster(ring=int(os.getenv("SSE_RING") or "8"), max_subscribers=30,
                   heartbeat=None, detach=True)


def arg(request, name, default):
    for kv in request.target.partition("?")[2].split("&"):
        k, _, v = kv.partition("=")
        if k == name:
            return int(v)
    return default


@app.route("GET", "/feed")
async def events(reader, writer, request):
    n = arg(request, "sndbuf", 0)
    if n:
        # a small kernel send buffer: a stalled client blocks the
        # server's writes after a few KB instead of megabytes
        writer._s.s.setsockopt(1, 7, n)     # SOL_SOCKET, SO_SNDBUF (Linux)
    await feed.serve(reader, writer, request)


@app.route("GET", "/burst")
async def burst(reader, writer, request):
    pad = "x" * arg(request, "size", 16)
    first = None
    for i in range(arg(request, "n", 10)):
        id = feed.publish({"i": i, "p": pad}, event="b")
        if first is None:
            first = id
    return {"first": first, "last": feed.last_id}


@app.route("GET", "/debug/stats")
async def debug_stats(reader, writer, request):
    behind = 0
    for sub in feed.subscribers:
        behind = max(behind, feed.last_id + 1 - sub.next_id)
    gc.collect()
    return {"subscribers": len(feed.subscribers), "last_id": feed.last_id,
            "max_behind": behind, "mem_alloc": gc.mem_alloc(),
            "mem_free": gc.mem_free()}


app.run(os.getenv("AHTTP_HOST") or "127.0.0.1", int(os.getenv("AHTTP_PORT") or "8080"))
