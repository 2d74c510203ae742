"""The sync twin of sse_app.py: the same routes on ahttp.sync with plain
`def` handlers; the streams run in handler threads (`@app.thread`) so the
debug and publishing routes are served meanwhile. Keep the two in step
(tests/test_sync_twins.py checks they serve the same routes).

Env: AHTTP_HOST/AHTTP_PORT, SSE_RING, SSE_MAX_SUBS, SSE_HEARTBEAT (seconds,
float), SSE_SEND_TIMEOUT, SSE_THREADS, SSE_NODELAY (0: Broadcaster(nodelay=False)),
SSE_DETACH (1: Broadcaster(detach=True), a no-op here).
"""
import gc
import os
import sys

from ahttp.sync import HTTPServer, EventSource, Broadcaster


def env(name, default):
    v = os.getenv(name)
    return default if v is None or v == "" else v


HB = float(env("SSE_HEARTBEAT", "0"))
app = HTTPServer(send_timeout=float(env("SSE_SEND_TIMEOUT", "3")),
                 max_connections=int(env("SSE_MAX_CONNS", "400")),
                 threads=int(env("SSE_THREADS", "8")))
feed = Broadcaster(ring=int(env("SSE_RING", "64")),
                   max_subscribers=int(env("SSE_MAX_SUBS", "300")),
                   heartbeat=HB or None, watch=env("SSE_WATCH", "0") == "1",
                   nodelay=env("SSE_NODELAY", "1") == "1",
                   detach=env("SSE_DETACH", "0") == "1")
stats = {"active": 0, "ended": 0, "errors": 0}

# The sequence the client tests check field by field.
FIXED = [
    {"data": "hello", "event": "greeting", "id": 7},
    {"data": "line one\nline two\r\nline three\rline four"},
    {"data": {"t": 21.5, "ok": True}, "event": "reading", "id": "r-2"},
    {"data": [1, 2, 3]},
    {"data": "with retry", "retry": 2500},
    {"data": "", "event": "empty"},
    {"data": "  leading spaces", "id": 9},
]


@app.route("GET", "/fixed")
def fixed(reader, writer, request):
    es = EventSource(reader, writer)
    es.comment("comments are ignored by clients")
    for ev in FIXED:
        es.send(**ev)
        es.comment()
    es.send("last-event-id=%s" % es.last_event_id, event="echo")


@app.thread
@app.route("GET", "/ticker")
def ticker(reader, writer, request):
    """Sends a counter every `every` seconds until the client is gone."""
    every = float(request.args.get("every", "0.1"))
    hb = float(request.args.get("hb", "0")) or None
    watch = request.args.get("watch", "0") == "1"
    es = EventSource(reader, writer, heartbeat=hb, watch=watch)
    stats["active"] += 1
    n = 0
    try:
        while True:
            es.sleep(every)        # ends with OSError once the client is gone
            n += 1
            es.send(n, id=n)
    except OSError:
        pass
    finally:
        stats["active"] -= 1
        stats["ended"] += 1


@app.thread
@app.route("GET", "/feed")
def events(reader, writer, request):
    if "sndbuf" in request.args:
        _set_sndbuf(writer, int(request.args["sndbuf"]))
    if "probe" in request.args:
        probes.append(writer)
    feed.serve(reader, writer, request)


def _set_sndbuf(writer, n):
    import socket
    s = writer.get_extra_info("socket")
    s.setsockopt(socket.SOL_SOCKET, getattr(socket, "SO_SNDBUF", 7), n)  # 7: Linux


@app.thread
@app.route("GET", "/flood")
def flood(reader, writer, request):
    """n events from a loop of sends that never sleeps."""
    es = EventSource(reader, writer)
    for i in range(int(request.args.get("n", "1000"))):
        es.send(str(i))


@app.route("GET", "/burst")
def burst(reader, writer, request):
    """Publish n events at once (size bytes of payload each)."""
    n = int(request.args.get("n", "10"))
    size = int(request.args.get("size", "16"))
    pad = "x" * size
    first = None
    for i in range(n):
        id = feed.publish({"i": i, "p": pad}, event="b")
        if first is None:
            first = id
    return {"first": first, "last": feed.last_id}


@app.route("GET", "/pump")
def pump(reader, writer, request):
    """Publish n events, waiting every `every` events until the streams
    keep up; answers when done."""
    import time
    n = int(request.args.get("n", "1000"))
    every = int(request.args.get("every", "4"))
    size = int(request.args.get("size", "0"))
    pad = "x" * size
    for i in range(n):
        feed.publish({"i": i, "p": pad} if size else i)
        if i % every == every - 1:
            while feed.subscribers and _behind() > every:
                time.sleep(0.001)
    return {"last": feed.last_id}


def _behind():
    m = 0
    for sub in feed.subscribers:
        d = feed.last_id + 1 - sub.next_id
        if d > m:
            m = d
    return m


@app.route("GET", "/debug/stats")
def debug_stats(reader, writer, request):
    gc.collect()
    out = {"subscribers": len(feed.subscribers), "last_id": feed.last_id,
           "max_behind": _behind(),
           "active": stats["active"], "ended": stats["ended"],
           "runtime": sys.implementation.name}
    if hasattr(gc, "mem_alloc"):
        out["mem_alloc"] = gc.mem_alloc()
        out["mem_free"] = gc.mem_free()
    return out


probes = []     # writers of /feed?probe=1 streams


@app.route("GET", "/debug/nodelay")
def debug_nodelay(reader, writer, request):
    from sse_probe import nodelay_of
    out = nodelay_of(probes)
    del probes[:]
    return {"nodelay": out}


@app.route("GET", "/debug/drop")
def debug_drop(reader, writer, request):
    feed.disconnect_all()
    return {"dropped": True}


host = env("AHTTP_HOST", "127.0.0.1")
port = int(env("AHTTP_PORT", "8080"))
print("listening on http://%s:%d" % (host, port))
app.start(host, port)
