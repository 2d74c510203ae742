"""Where ahttp's time and heap go, next to the floor (run under micropython).

    MICROPYPATH=<dir with ahttp and bench_floor>:.frozen micropython bench/profile.py
    .venv/bin/python bench/profile.py --run     # does the above from the repo
    PROFILE_HEAP=256k .venv/bin/python bench/profile.py --run   # a board's heap

No sockets: the servers' connection coroutines are driven with an
in-memory stream that hands out a canned request head and swallows the
response, so every figure is pure interpreter time (time.ticks_us) and
heap (gc.mem_alloc after gc.collect). Sections are measured by wrapping
the functions ahttp.server calls through its module globals and methods
(nothing in ahttp is edited); a wrapper's own cost is measured and
subtracted. Prints a markdown report.
"""
import gc
import sys

try:
    from time import ticks_us, ticks_diff
except ImportError:          # CPython: run.py --profile only uses micropython
    import time

    def ticks_us():
        return int(time.perf_counter() * 1e6)

    def ticks_diff(a, b):
        return a - b

HEAD = b"GET /hello HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n"
HEAD_CLOSE = b"GET /hello HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nConnection: close\r\n\r\n"
N = 3000


def heap():
    gc.collect()
    gc.collect()
    return gc.mem_alloc()


class Fake:
    """Both halves of a connection (asyncio Stream API): `n` reads return
    the head, then EOF; writes are counted and dropped. As MicroPython's
    Stream, it has `s` (the socket, here itself: ahttp's Stream writes to
    it directly while `out_buf` is empty) and `out_buf`."""

    out_buf = b""

    def __init__(self, n, head):
        self.n = n
        self.head = head
        self.out = 0
        self.s = self

    def setsockopt(self, *a):
        pass

    async def read(self, size=-1):
        if self.n:
            self.n -= 1
            return self.head
        return b""

    async def readinto(self, buf):
        data = await self.read(len(buf))
        if data is None:
            return 0
        buf[:len(data)] = data
        return len(data)

    def write(self, data):
        self.out += len(data)
        return len(data)

    async def drain(self):
        pass

    def close(self):
        pass

    async def wait_closed(self):
        pass

    def get_extra_info(self, name, default=None):
        return ("127.0.0.1", 40000)


T = {}


def add(name, dt):
    t = T.get(name)
    if t is None:
        T[name] = [dt, 1]
    else:
        t[0] += dt
        t[1] += 1


def wrap(name, f):
    def w(*a, **k):
        t = ticks_us()
        try:
            return f(*a, **k)
        finally:
            add(name, ticks_diff(ticks_us(), t))
    return w


def awrap(name, f):
    async def w(*a, **k):
        t = ticks_us()
        try:
            return await f(*a, **k)
        finally:
            add(name, ticks_diff(ticks_us(), t))
    return w


def out(line=""):
    print(line)


def import_steps():
    """Heap added by each module `import ahttp` loads, imported one by one
    from a copy of the build under the package name ahttp_steps (empty
    __init__), so each step is that module alone (plus what it imports
    and nobody imported before it)."""
    import os
    mods = [m for m in (os.getenv("PROFILE_MODS") or "").split() if m != "ahttp"]
    out("## Heap added by each module of `import ahttp` (.mpy, bytes)")
    out()
    out("| step | heap | added |")
    out("| --- | ---: | ---: |")
    base = heap()
    prev = base
    out("| interpreter + this profile script | %d | |" % base)
    order = ["_compat", "_http", "_route", "_dates", "_cookie", "_response", "_app",
             "request", "response", "server"]
    names = [m.split(".", 1)[1] for m in mods]
    names = [n for n in order if n in names] + sorted(n for n in names if n not in order)
    for name in names:
        __import__("ahttp_steps." + name)
        h = heap()
        out("| ahttp.%s | %d | %d |" % (name, h, h - prev))
        prev = h
    out("| **all of import ahttp** | | **%d** |" % (prev - base))
    from ahttp import HTTPServer
    real = heap()
    before = set(sys.modules)
    app = HTTPServer()
    h = heap()
    new = sorted(m for m in sys.modules if m not in before)
    out("| HTTPServer()%s | | %d |" % (" (imports %s)" % ", ".join(new) if new else "",
                                      h - real))
    prev = h

    async def f(reader, writer, request):
        return "x"
    for path in ("/hello", "/_mem", "/_mods", "/", "/user/<int:uid>", "/item/<name>",
                 "/files/<path:rest>", "/echo", "/form", "/status"):
        app.route("GET", path)(f)
    h = heap()
    out("| 10 routes | | %d |" % (h - prev))
    prev = h
    import asyncio  # noqa: F401
    h = heap()
    out("| import asyncio (done by start()) | | %d |" % (h - prev))
    out()
    return app


def run(coro):
    import asyncio
    return asyncio.run(coro)


def per_request(app):
    import asyncio
    from ahttp import server
    import bench_floor
    # Fake is no socket: the driver reads it with read(), which returns
    # the head without the copy out of the shared buffer a socket read makes

    async def h(reader, writer, request):
        return "Hello, world!\n"
    app.route("GET", "/hello")(h)

    async def serve_ahttp(n, head):
        f = Fake(n, head)
        await app._serve(f, f)
        if f.out < 30 * n:
            raise RuntimeError("ahttp wrote %d bytes for %d requests: the driver "
                               "wants another stream API, update bench/profile.py Fake"
                               % (f.out, n))

    async def serve_floor(n, head):
        f = Fake(n, head)
        await bench_floor.serve(f, f)

    async def many(serve, conns, reqs, head):
        t = ticks_us()
        for _ in range(conns):
            await serve(reqs, head)
        return ticks_diff(ticks_us(), t)

    out("## CPU per request, in-memory stream (µs)")
    out()
    out("| case | floor | ahttp | ahttp − floor |")
    out("| --- | ---: | ---: | ---: |")
    res = {}
    for label, conns, reqs, head in (("keep-alive: %d requests on 1 connection" % N, 1, N, HEAD),
                                      ("close: %d connections, 1 request each" % N, N, 1,
                                       HEAD_CLOSE)):
        fl = run(many(serve_floor, conns, reqs, head)) / N
        ah = run(many(serve_ahttp, conns, reqs, head)) / N
        res[label] = (fl, ah)
        out("| %s | %.1f | %.1f | %.1f |" % (label, fl, ah, ah - fl))
    out()

    # every allocation costs twice: its own time and its share of the next
    # collection (and in a big heap, cache misses on memory not touched
    # since the last one)
    out("## Heap allocated per request, in-memory stream (bytes, collector off)")
    out()
    out("| case | floor | ahttp |")
    out("| --- | ---: | ---: |")
    n = 40      # a board-sized heap must hold them all
    for label, conns, reqs, head in (("keep-alive", 1, n, HEAD), ("close", n, 1, HEAD_CLOSE)):
        row = []
        for serve in (serve_floor, serve_ahttp):
            run(many(serve, 1, 2, head))      # warm: lazy imports, caches
            gc.collect()
            gc.disable()
            a = gc.mem_alloc()
            run(many(serve, conns, reqs, head))
            row.append((gc.mem_alloc() - a) / n)
            gc.enable()
        out("| %s | %.0f | %.0f |" % (label, row[0], row[1]))
    out()

    # sections: wrap what _loop calls
    def noop():
        pass
    w = wrap("noop", noop)
    t = ticks_us()
    for _ in range(N):
        w()
    cal = ticks_diff(ticks_us(), t) / N
    del T["noop"]
    saved = []
    # whatever the driver calls through its module globals...
    for name in ("parse_head", "Request", "encode_value", "body_framing"):
        if hasattr(server, name):
            saved.append((server, name, getattr(server, name)))
            setattr(server, name, wrap(name + "()", getattr(server, name)))
    # ... and the head reading of its per-connection class
    for cname in ("Reader", "Stream"):
        cls = getattr(server, cname, None)
        if cls is None:
            continue
        for meth, w in (("next_head", wrap), ("read_head", awrap)):
            f = getattr(cls, meth, None)
            if f is not None:
                saved.append((cls, meth, f))
                label = "%s.%s()" % (cname, meth)
                if meth == "read_head":
                    label += " (includes next_head/parse_head)"
                setattr(cls, meth, w(label, f))
    app.match = wrap("app.match()", app.match)
    app.route("GET", "/hello")(awrap("handler (returns a str)", h))
    try:
        for label, conns, reqs, head in (("keep-alive", 1, N, HEAD),
                                          ("close", N, 1, HEAD_CLOSE)):
            T.clear()
            total = run(many(serve_ahttp, conns, reqs, head))
            out("### Sections, %s (µs per request; wrapper cost %.1f µs subtracted)"
                % (label, cal))
            out()
            out("| section | µs/request | calls/request |")
            out("| --- | ---: | ---: |")
            for name in sorted(T):
                tt, n = T[name]
                out("| %s | %.1f | %.1f |" % (name, tt / N - cal * n / N, n / N))
            out("| **whole connection coroutine** (with wrappers) | %.1f | |" % (total / N))
            out()
    finally:
        for obj, name, f in saved:
            setattr(obj, name, f)
        del app.match
    return res


def sse_costs():
    """Fan-out rounds driven in memory: publish one event, let every
    subscriber task run once (each takes it, writes it, drains)."""
    import asyncio
    from ahttp import HTTPServer
    from ahttp.sse import Broadcaster
    import bench_floor
    payload = "tick" + "." * 24
    sse_head = b"GET /sse HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    R = N // 3

    class Parked(Fake):
        async def read(self, size=-1):
            if self.n:
                self.n -= 1
                return self.head
            await asyncio.sleep(3600)

    feed = Broadcaster(ring=64, max_subscribers=100, heartbeat=0)
    t = ticks_us()
    for _ in range(N):
        feed.publish(payload)
    pub = ticks_diff(ticks_us(), t) / N
    bp = bench_floor.PAYLOAD
    t = ticks_us()
    for n in range(N):
        bench_floor.ring[n % 64] = b"id: %d\ndata: %s\n\n" % (n, bp)
    fpub = ticks_diff(ticks_us(), t) / N

    async def rounds_ahttp(k):
        app = HTTPServer(max_connections=200)
        feed = Broadcaster(ring=64, max_subscribers=200, heartbeat=0)

        async def sse(reader, writer, request):
            await feed.serve(reader, writer, request)
        app.route("GET", "/sse")(sse)
        fakes = [Parked(1, sse_head) for _ in range(k)]
        tasks = [asyncio.create_task(app._serve(f, f)) for f in fakes]
        for _ in range(20):
            await asyncio.sleep(0)
        assert len(feed.subscribers) == k, len(feed.subscribers)
        t = ticks_us()
        for _ in range(R):
            feed.publish(payload)
            await asyncio.sleep(0)
        dt = ticks_diff(ticks_us(), t) / R
        for x in tasks:
            x.cancel()
        await asyncio.sleep(0)
        return dt

    async def rounds_floor(k):
        st = bench_floor.state
        fakes = [Parked(1, sse_head) for _ in range(k)]
        tasks = [asyncio.create_task(bench_floor.serve(f, f)) for f in fakes]
        for _ in range(20):
            await asyncio.sleep(0)
        assert st["subs"] == k, st["subs"]
        ring = bench_floor.ring
        wake = bench_floor.wake
        t = ticks_us()
        for _ in range(R):
            n = st["last"] + 1
            ring[n % 64] = b"id: %d\ndata: %s\n\n" % (n, bp)
            st["last"] = n
            wake.set()
            wake.clear()
            await asyncio.sleep(0)
        dt = ticks_diff(ticks_us(), t) / R
        for x in tasks:
            x.cancel()
        await asyncio.sleep(0)
        return dt

    out("## SSE fan-out, in-memory stream (µs)")
    out()
    out("| step | floor | ahttp |")
    out("| --- | ---: | ---: |")
    out("| publish one event (encode, store in the ring, wake), no subscriber | %.1f | %.1f |"
        % (fpub, pub))
    for k in (1, 10, 50):
        f = run(rounds_floor(k))
        a = run(rounds_ahttp(k))
        out("| one round with %d subscribers: publish + every subscriber sends it "
            "| %.1f | %.1f |" % (k, f, a))
        out("| ... per subscriber (round − publish) / %d | %.1f | %.1f |"
            % (k, (f - fpub) / k, (a - pub) / k))
    out()


def per_connection_heap(app):
    import asyncio
    from ahttp import server
    import bench_floor
    K = 10

    class Idle(Fake):
        """One request, then a read that never completes (an idle connection)."""

        async def read(self, size=-1):
            if self.n:
                self.n -= 1
                return self.head
            await asyncio.sleep(3600)

    async def measure(serve):
        tasks = []
        base = heap()
        for _ in range(K):
            f = Idle(1, HEAD)
            tasks.append(asyncio.create_task(serve(f, f)))
        await asyncio.sleep(0.05)
        per = (heap() - base) / K
        for t in tasks:
            t.cancel()
        await asyncio.sleep(0.05)
        return per
    out("## Heap per idle keep-alive connection, in-memory stream (bytes)")
    out()
    out("Without the socket and asyncio Stream objects a real connection adds.")
    out()
    fl = run(measure(bench_floor.serve))
    ah = run(measure(app._serve))
    out("| floor | ahttp |")
    out("| ---: | ---: |")
    out("| %.0f | %.0f |" % (fl, ah))
    out()


def main():
    out("# ahttp profile (MicroPython %s)" % sys.version)
    out()
    app = import_steps()
    per_request(app)
    per_connection_heap(app)
    sse_costs()


def run_from_repo():
    """CPython side: build ahttp and the floor into a temp dir (.mpy) and
    run this file under micropython there."""
    import os
    import shutil
    import subprocess
    import tempfile
    bench = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(bench)
    sys.path.insert(0, os.path.join(root, "tools"))
    import build_mpy
    tmp = tempfile.mkdtemp(prefix="ahttp-profile-")
    try:
        build_mpy.build(tmp, root=root, quiet=True)
        shutil.copy(os.path.join(bench, "floor.py"), os.path.join(tmp, "bench_floor.py"))
        steps = os.path.join(tmp, "ahttp_steps")
        shutil.copytree(os.path.join(tmp, "ahttp"), steps)
        os.remove(os.path.join(steps, "__init__.mpy"))
        open(os.path.join(steps, "__init__.py"), "w").close()
        env = dict(os.environ, MICROPYPATH=tmp + ":.frozen")
        mp = os.path.join(root, ".venv", "bin", "micropython")
        env["PROFILE_MODS"] = subprocess.run(
            [mp, "-c", "import sys; from ahttp import HTTPServer; HTTPServer(); "
             "print(' '.join(m for m in sys.modules if m.startswith('ahttp')))"], env=env, cwd=tmp, capture_output=True,
            text=True, timeout=60).stdout
        heap = os.getenv("PROFILE_HEAP")     # e.g. 256k (default: the port's)
        r = subprocess.run([mp] + (["-X", "heapsize=" + heap] if heap else [])
                           + [os.path.abspath(__file__)], env=env, cwd=tmp,
                           timeout=300)
        return r.returncode
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    if "--run" in sys.argv:
        sys.exit(run_from_repo())
    main()
