"""ahttp against microdot, the small MicroPython servers, aiohttp (CPython)
and the bare-asyncio floor, side by side, in one run.

    .venv/bin/python bench/run.py            # the full run (about 25 minutes)
    .venv/bin/python bench/run.py --smoke    # a fraction of a second per case (CI)

    BENCH_TINYWEB=DIR BENCH_ERIKDELANGE=DIR BENCH_AIOWEBSERVER=DIR \
        .venv/bin/python bench/run.py        # with the peers' clones

Every throughput case runs every server (floor, ahttp, microdot; the peers
under MicroPython; aiohttp's GET /hello and what users write under CPython)
interleaved, `--repeats` times; each figure is the median, and each ratio
is the median of the per-repeat ratios, so the load of a shared machine
cancels out. The peers (tinyweb, erikdelange's ahttpserver, aiowebserver)
run from clones named by their environment variables; one that is absent
gets a line saying so and no column, as does aiohttp when it does not
import (requirements-dev.txt has it). Memory is measured from inside the server process (gc.mem_alloc() after
gc.collect()); the smallest heap is searched with `-X heapsize`.

Writes OUT/latest.md (the run's date and machine are in it) and the
ratio chart OUT/latest.png; OUT is bench/results unless --out is given.
Earlier runs are in git history, not kept beside it.
See docs/benchmarks.md for what every row means.
"""
import argparse
import datetime
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
sys.path.insert(0, BENCH)
sys.path.insert(0, os.path.join(ROOT, "tools"))
import loadgen as L  # noqa: E402

VENV_BIN = os.path.join(ROOT, ".venv", "bin")
FILE_SIZE = 1 << 20
FULL = "sse,ws,static"


def log(msg):
    sys.stderr.write("[bench] %s\n" % msg)
    sys.stderr.flush()


def tool(name):
    exe = os.path.join(VENV_BIN, name)
    return exe if os.path.exists(exe) else shutil.which(name)


# -- the rows -------------------------------------------------------------------
# key, label, unit, higher_is_better

THROUGHPUT = [
    ("hello_ka1", "GET /hello, keep-alive, 1 connection", "req/s", True),
    ("hello_ka10", "GET /hello, keep-alive, 10 connections", "req/s", True),
    ("hello_close1", "GET /hello, Connection: close, 1 connection", "req/s", True),
    ("hello_close10", "GET /hello, Connection: close, 10 connections", "req/s", True),
    ("hello_br10", "GET /hello with a browser's 13-field head, keep-alive, "
     "10 connections", "req/s", True),
    ("sse1", "SSE fan-out, 1 client", "events/s", True),
    ("sse10", "SSE fan-out, 10 clients", "events/s", True),
    ("sse50", "SSE fan-out, 50 clients", "events/s", True),
    ("sse10n", "SSE fan-out, 10 clients, `Broadcaster(nodelay=False)`", "events/s", True),
    ("ttfe1", "SSE time to first event, 1 client", "ms", False),
    ("ttfe10", "SSE time to first event, 10 clients (median)", "ms", False),
    ("ttfe50", "SSE time to first event, 50 clients (median)", "ms", False),
    ("ws16", "WebSocket echo, 16 B messages", "msg/s", True),
    ("ws4k", "WebSocket echo, 4 KB messages", "msg/s", True),
    ("static", "Static file, 1 MB", "MB/s", True),
]

MEMORY = [
    ("heap_app_py", "Heap after import + 10-route app (.py)", "KB"),
    ("heap_app", "Heap after import + 10-route app (.mpy)", "KB"),
    ("heap_app_romfs", "Heap after import + 10-route app (ROMFS)", "KB"),
    ("heap_app_wasm32", "Heap after import + 10-route app (.mpy, 32-bit WebAssembly port)", "KB"),
    ("heap_serving", "Heap while serving, idle (.mpy)", "KB"),
    ("per_conn", "Heap per idle keep-alive connection", "B"),
    ("per_sse", "Heap per SSE client", "B"),
    ("per_sse_detached", "Heap per SSE client, `Broadcaster(detach=True)`", "B"),
    ("min_heap_mpy", "Smallest -X heapsize serving sequential + 10 concurrent GETs (.mpy)", "KB"),
    ("min_heap_py", "Smallest -X heapsize serving sequential + 10 concurrent GETs (.py)", "KB"),
    ("code_py_hello", "Code imported, hello app (.py)", "bytes"),
    ("code_mpy_hello", "Code imported, hello app (.mpy)", "bytes"),
    ("code_py_full", "Code imported, + SSE, WebSocket, static (.py)", "bytes"),
    ("code_mpy_full", "Code imported, + SSE, WebSocket, static (.mpy)", "bytes"),
]

# the hello + SSE app (bench/apps/*_hello_sse.py and each peer's app):
# ahttp, microdot and the peers, MicroPython only
HS_MEMORY = [
    ("hs_heap_py", "Heap after import + hello + SSE app (.py)", "KB"),
    ("hs_heap_mpy", "Heap after import + hello + SSE app (.mpy)", "KB"),
    ("hs_heap_romfs", "Heap after import + hello + SSE app (ROMFS)", "KB"),
    ("hs_min_heap_py", "Smallest -X heapsize serving sequential + 10 concurrent GETs, "
     "hello + SSE app (.py)", "KB"),
    ("hs_min_heap_mpy", "Smallest -X heapsize serving sequential + 10 concurrent GETs, "
     "hello + SSE app (.mpy)", "KB"),
    ("hs_code_py", "Code loaded after serving /hello and one SSE stream (.py)", "bytes"),
    ("hs_code_mpy", "Code loaded after serving /hello and one SSE stream (.mpy)", "bytes"),
]

# rows of an ahttp option that the others' figures of another row compare
# with: the floor and microdot leave TCP_NODELAY off (the socket default)
BASE_ROW = {"sse10n": "sse10"}

# -- what users write ---------------------------------------------------------------
# Each return shape at four connection modes; the floor answers every shape
# with its canned hello, so a shape's ratio is to the floor's GET /hello of
# the same mode and repeat, and `return "str"` is the GET /hello row itself.
MODES = [("ka1", "keep-alive, 1 conn.", False, 1), ("ka10", "keep-alive, 10 conn.", False, 10),
         ("close1", "close, 1 conn.", True, 1), ("close10", "close, 10 conn.", True, 10)]
SHAPES = [
    ("str", "`return \"Hello, world!\"`", "/hello"),
    ("dict", "`return {\"hello\": \"world\"}`", "/s/dict"),
    ("list", "`return [\"hello\", \"world\"]`", "/s/list"),
    ("bytes", "`return b\"Hello, world!\"`", "/s/bytes"),
    ("status", "`return body, 200`", "/s/status"),
    ("headers", "`return body, {\"Content-Type\": ...}`", "/s/headers"),
    ("tuple", "`return body, 200, {\"Content-Type\": ...}`", "/s/tuple"),
    ("resp", "`await HTTPResponse(..., body=...).send(writer)`", "/s/resp"),
    ("stream", "`HTTPResponse` head, then `writer.write()` x2", "/s/stream"),
    ("file", "`HTTPResponse` head, then `sendfile()` of 14 B", "/s/file"),
]
# EventSource.send loops, 2,000 events a stream, a stream after another:
# (key prefix, label, path)
EVENT_LOOPS = [
    ("es", "`EventSource.send(data)` loop", "/es"),
    ("esf", "`EventSource.send(data, event=, id=)` loop", "/esf"),
    ("esm", "`EventSource.send()` loop, two-line data", "/esm"),
]
ES_CLIENTS = (1, 10, 50)
# a smoke run measures each shape and loop once, at these (it checks that
# every route still answers, not figures)
SMOKE_MODES = ("ka10",)
SMOKE_CLIENTS = (10,)
BROADCAST = [("sse1", "`Broadcaster` fan-out, 1 client"),
             ("sse10", "`Broadcaster` fan-out, 10 clients"),
             ("sse50", "`Broadcaster` fan-out, 50 clients")]


def user_rows():
    """(key, label, unit) of the what-users-write table, in order."""
    rows = []
    for shape, label, _ in SHAPES:
        for mode, mlabel, _, _ in MODES:
            rows.append(("u_%s_%s" % (shape, mode), "%s, %s" % (label, mlabel), "req/s"))
    for prefix, label, _ in EVENT_LOOPS:
        for n in ES_CLIENTS:
            rows.append(("%s%d" % (prefix, n), "%s, %d client%s" % (
                label, n, "" if n == 1 else "s"), "events/s"))
    for key, label in BROADCAST:
        rows.append((key, label, "events/s"))
    return rows


USER_ROWS = user_rows()
# a shape's floor figure: the floor's GET /hello at the same mode
FLOOR_ROW = {"u_%s_%s" % (shape, mode): "hello_" + mode
             for shape, _, _ in SHAPES for mode, _, _, _ in MODES}

# -- the peers (small MicroPython servers, never committed here) --------------------
# name, environment variable (a clone's directory), package, header, what
# its app serves (the shapes and event loops; its hello is `return "str"`)
PEERS = [
    ("tinyweb", "BENCH_TINYWEB", "tinyweb", "tinyweb",
     {"str", "stream", "file", "es", "esf", "esm"}),
    ("erikdelange", "BENCH_ERIKDELANGE", "ahttpserver", "ahttpserver",
     {"str", "stream", "file", "es", "esf"}),
    ("aiowebserver", "BENCH_AIOWEBSERVER", "aiowebserver", "aiowebserver",
     {"str", "stream", "file", "es", "esf"}),
]
PEER_NAMES = [p[0] for p in PEERS]
HEADER = {"floor": "floor", "ahttp": "ahttp", "ahttp-sync": "ahttp-sync",
          "microdot": "microdot", "aiohttp": "aiohttp"}
HEADER.update((p[0], p[3]) for p in PEERS)
# microdot writes multi-line data as one data: line (the client keeps only
# the first line), so it has no two-line row
MICRODOT_CAN = {shape for shape, _, _ in SHAPES} | {"es", "esf"}
# aiohttp (CPython only, bench/apps/aiohttp_app.py): every shape and event
# loop; it has no broadcast helper, so no Broadcaster rows
AIOHTTP_CAN = {shape for shape, _, _ in SHAPES} | {p[0] for p in EVENT_LOOPS}


def can_serve(server, key):
    """Whether `server` has a route for the what-users-write row `key`."""
    if key.startswith("u_"):
        kind = key.split("_")[1]
    elif key.startswith("sse"):
        return server in ("floor", "ahttp", "microdot")
    else:
        kind = key.rstrip("0123456789")
    if server in ("floor", "ahttp"):
        return True
    if server == "microdot":
        return kind in MICRODOT_CAN
    if server == "aiohttp":
        return kind in AIOHTTP_CAN
    for name, _, _, _, can in PEERS:
        if name == server:
            return kind in can
    return False


# targets (issue 18): (kind, threshold, text); "ratio": X ÷ floor >= t,
# "max": value <= t (in the row's unit), "microdot": value <= microdot's
TARGETS = {}
for _shape, _, _ in SHAPES:
    for _mode in ("ka10", "close10"):
        TARGETS["u_%s_%s" % (_shape, _mode)] = ("ratio", 0.6, "≥ 0.6")
for _prefix, _, _ in EVENT_LOOPS:
    for _n in (1, 10):
        TARGETS["%s%d" % (_prefix, _n)] = ("ratio", 0.8, "≥ 0.8")
for _key, _ in BROADCAST:
    TARGETS[_key] = ("ratio", 1.0, "≥ 1.0")
# CPython (issue 18): each row of what users write that aiohttp serves at
# least aiohttp's figure in the same run: a "ratio" target given the
# median of the per-repeat ahttp ÷ aiohttp ratios
CPY_TARGETS = {key: ("ratio", 1.0, "≥ aiohttp") for key, _, _ in USER_ROWS
               if can_serve("aiohttp", key)}
TARGETS.update({
    "hs_heap_mpy": ("max", 30.0, "≤ 30 KB"),
    "hs_min_heap_mpy": ("max", 48, "≤ 48k"),
    "heap_app": ("microdot", None, "≤ microdot"),
    "heap_app_romfs": ("microdot", None, "≤ microdot"),
})

HEAP_STEPS = [12, 16, 20, 24, 28, 32, 40, 48, 56, 64, 72, 80, 88, 96, 112, 128, 160, 192, 256]
HEAP_STEPS_SMOKE = [256]


# -- preparing the code trees -----------------------------------------------------

def find_peers():
    """({name: package directory} of the peers present, [a line for each
    one absent]); each peer's clone is named by its environment variable."""
    present, absent = {}, []
    for name, var, pkg, header, _ in PEERS:
        path = os.environ.get(var)
        if not path:
            absent.append("%s: absent (%s is not set): no %s column"
                          % (header, var, header))
            continue
        for cand in (os.path.join(path, pkg), path):
            if os.path.exists(os.path.join(cand, "__init__.py")) \
                    and os.path.basename(os.path.normpath(cand)) == pkg:
                present[name] = cand
                break
        else:
            absent.append("%s: absent (%s=%s has no %s/ package): no %s column"
                          % (header, var, path, pkg, header))
    return present, absent


def prepare(tmp, peers=None):
    """tmp/py (sources), tmp/mpy (compiled), tmp/static/big.bin; `peers`
    ({name: package dir}) are copied beside ahttp and microdot."""
    import build_mpy
    static = os.path.join(tmp, "static")
    os.makedirs(static)
    with open(os.path.join(static, "big.bin"), "wb") as f:
        f.write(os.urandom(FILE_SIZE))
    with open(os.path.join(static, "small.txt"), "wb") as f:
        f.write(b"Hello, world!\n")
    py = os.path.join(tmp, "py")
    mpy = os.path.join(tmp, "mpy")
    os.makedirs(py)
    shutil.copytree(os.path.join(ROOT, "ahttp"), os.path.join(py, "ahttp"),
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    import microdot
    src = os.path.dirname(microdot.__file__)
    shutil.copytree(src, os.path.join(py, "microdot"),
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyi",
                                                  "py.typed"))
    apps = ["ahttp_app", "microdot_app", "ahttp_sync_app", "ahttp_hello_sse",
            "microdot_hello_sse"]
    for name, src in sorted((peers or {}).items()):
        shutil.copytree(src, os.path.join(py, os.path.basename(os.path.normpath(src))),
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        apps.append(name + "_app")
        if name == "tinyweb":
            # the unix port freezes no logging module; a directory of its
            # own, on MicroPython's path only (CPython's asyncio imports
            # the real one)
            os.makedirs(os.path.join(py, SHIM))
            shutil.copy(os.path.join(BENCH, "apps", "shim_logging.py"),
                        os.path.join(py, SHIM, "logging.py"))
    for name in apps:
        shutil.copy(os.path.join(BENCH, "apps", name + ".py"),
                    os.path.join(py, "bench_%s.py" % name))
    shutil.copy(os.path.join(BENCH, "floor.py"), os.path.join(py, "bench_floor.py"))
    cpy = os.path.join(tmp, "cpy")
    os.makedirs(cpy)
    for name in CPY_ONLY:
        shutil.copy(os.path.join(BENCH, "apps", name + "_app.py"),
                    os.path.join(cpy, MODULES[name] + ".py"))
    build_mpy.build(mpy, root=ROOT, quiet=True)
    cross = build_mpy.mpy_cross_cmd()
    for dirpath, _, files in os.walk(py):
        if (dirpath + os.sep).startswith(os.path.join(py, "ahttp") + os.sep):
            continue
        for fn in files:
            if not fn.endswith(".py"):
                continue
            rel = os.path.relpath(os.path.join(dirpath, fn), py)
            dest = os.path.join(mpy, rel[:-3] + ".mpy")
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            subprocess.run(cross + ["-o", dest, os.path.join(py, rel)], check=True,
                           capture_output=True)
    romfs = os.path.join(tmp, "bench.romfs")
    romfs_size = build_mpy.romfs_dir(mpy, romfs)
    return {"tmp": tmp, "py": py, "cpy": cpy, "mpy": mpy, "static": static,
            "romfs": romfs, "romfs_size": romfs_size,
            "microdot_version": getattr(microdot, "__version__", None)}


SHIM = "_shim"     # stand-ins a peer needs on the unix port (bench/apps/shim_*.py)


def has_sync():
    return os.path.exists(os.path.join(ROOT, "ahttp", "sync.py"))


# -- servers ------------------------------------------------------------------------

MODULES = {"floor": "bench_floor", "ahttp": "bench_ahttp_app",
           "microdot": "bench_microdot_app", "ahttp-sync": "bench_ahttp_sync_app",
           "ahttp-hs": "bench_ahttp_hello_sse", "microdot-hs": "bench_microdot_hello_sse"}
MODULES.update((name, "bench_%s_app" % name) for name in PEER_NAMES)
MODULES["aiohttp"] = "bench_aiohttp_app"
# apps CPython alone runs: copied to tmp/cpy, never compiled nor in ROMFS
CPY_ONLY = ("aiohttp",)
# the hello + SSE app of each server of the memory table (a peer's app
# without BENCH_FEATURES is its hello + SSE app)
HELLO_SSE = {"ahttp": "ahttp-hs", "microdot": "microdot-hs"}
# the package whose modules count as a server's code
PACKAGE = {"floor": "bench_floor", "ahttp": "ahttp", "ahttp-sync": "ahttp",
           "microdot": "microdot"}
PACKAGE.update((p[0], p[2]) for p in PEERS)


class Server:
    """One server process; use as a context manager (always stopped)."""

    def __init__(self, env_info, kind, runtime="mp", features="", close=False,
                 heapsize=None, build="py"):
        self.kind = kind
        self.port = L_free_port()
        env = dict(os.environ)
        env.update(AHTTP_HOST="127.0.0.1", AHTTP_PORT=str(self.port),
                   BENCH_FEATURES=features, BENCH_STATIC=env_info["static"],
                   AHTTP_CLOSE="1" if close else "0")
        mod = MODULES[kind]
        if runtime == "mp":
            cmd = [tool("micropython")]
            if heapsize:
                cmd += ["-X", "heapsize=%dk" % heapsize]
            if build == "romfs":
                # everything in one ROMFS image (tools/romfs_run.py), its
                # bytecode run in place as from a board's flash
                env["MICROPYPATH"] = ".frozen:/rom/" + SHIM
                cmd += [os.path.join(ROOT, "tools", "romfs_run.py"), env_info["romfs"],
                        "-m", mod]
            elif build == "mpy":
                env["MICROPYPATH"] = "%s:%s/%s:.frozen" % (env_info["mpy"], env_info["mpy"],
                                                          SHIM)
                cmd += ["-m", mod]
            else:
                env["MICROPYPATH"] = "%s:%s/%s:.frozen" % (env_info["py"], env_info["py"], SHIM)
                cmd += [os.path.join(env_info["py"], mod + ".py")]
        else:
            env["PYTHONPATH"] = env_info["py"]
            where = env_info["cpy"] if kind in CPY_ONLY else env_info["py"]
            cmd = [sys.executable, "-u", os.path.join(where, mod + ".py")]
        self.log_path = os.path.join(env_info["tmp"], "server-%s-%d.log" % (kind, self.port))
        self.cmd = cmd
        self.env = env
        self.proc = None
        self._log = None

    def __enter__(self):
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(self.cmd, env=self.env, stdout=self._log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     cwd=os.path.dirname(self.log_path))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.stop()
                raise OSError("%s exited at start: %s" % (self.kind, self.output()[-300:]))
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.03)
        self.stop()
        raise OSError("%s did not start listening" % self.kind)

    def __exit__(self, *exc):
        self.stop()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def modules(self):
        """The modules the server had loaded (its app prints sys.modules as
        it stops on SIGINT), then stops it."""
        if self.alive():
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(3)
            except subprocess.TimeoutExpired:
                pass
        self.stop()
        m = re.search(r"bench-mods ([^\n]*)", self.output())
        if not m:
            raise OSError("%s printed no module list: %s" % (self.kind, self.output()[-300:]))
        return m.group(1).split()

    def stop(self):
        p = self.proc
        if p is not None and p.poll() is None:
            p.terminate()
            try:
                p.wait(3)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(3)
        if self._log is not None and not self._log.closed:
            self._log.close()

    def output(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def startup_heap(self):
        m = re.search(r"bench-heap-app (-?\d+)", self.output())
        return int(m.group(1)) if m else None


def L_free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# -- a 32-bit MicroPython ---------------------------------------------------------

WASM32_PKG = "@micropython/micropython-webassembly-pyscript@1.29.0-6"
WASM32_DIR = os.path.join(ROOT, ".venv", "wasm32")     # downloaded, never committed

# Runs an app module to its "bench-heap-app" line on the WebAssembly port.
# Its os has no getenv and its asyncio waits through JS timers (no poll()
# queue, no streams): stand-ins, so the app's import and setup run as on a
# board; the app then stops at run() (the port has no sockets either).
WASM32_MAIN = """import sys
class _Env:
    def getenv(self, name, default=None):
        return default
sys.modules["os"] = _Env()
import asyncio
from asyncio import core
core._io_queue = None
asyncio.start_server = None
try:
    import %s
except Exception as e:
    print("stopped:", repr(e))
"""


def ensure_wasm32():
    """The directory holding MicroPython's WebAssembly port (installed with
    npm on first use), or None without node and npm."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        return None
    mark = os.path.join(WASM32_DIR, "node_modules", "@micropython",
                        "micropython-webassembly-pyscript", "micropython.mjs")
    if not os.path.exists(mark):
        os.makedirs(WASM32_DIR, exist_ok=True)
        try:
            subprocess.run([npm, "install", "--prefix", WASM32_DIR, "--no-audit",
                            "--no-fund", WASM32_PKG], capture_output=True, timeout=600)
        except (OSError, subprocess.TimeoutExpired):
            pass
        if not os.path.exists(mark):
            log("npm could not install %s: no 32-bit heap rows" % WASM32_PKG)
            return None
    return WASM32_DIR


def wasm32_heap(env_info, server):
    """Heap (bytes) of the bench app `server` after import + setup, .mpy
    build, on the 32-bit WebAssembly port; None when unavailable."""
    port = ensure_wasm32()
    if port is None:
        return None
    main = os.path.join(env_info["tmp"], "wasm32_main_%s.py" % server)
    with open(main, "w") as f:
        f.write(WASM32_MAIN % MODULES[server])
    r = subprocess.run([shutil.which("node"), os.path.join(BENCH, "wasm32.mjs"), port,
                        env_info["mpy"], main], capture_output=True, text=True, timeout=120)
    m = re.search(r"bench-heap-app (-?\d+)", r.stdout)
    if not m:
        raise OSError("wasm32 %s: %s" % (server, (r.stdout + r.stderr)[-300:]))
    return int(m.group(1))


# -- load ---------------------------------------------------------------------------

def ensure_wrk():
    exe = shutil.which("wrk")
    if exe:
        return exe
    if hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        log("wrk not found: apt-get install -y wrk")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        for cmd in (["apt-get", "install", "-y", "wrk"],
                    ["apt-get", "update"], ["apt-get", "install", "-y", "wrk"]):
            try:
                r = subprocess.run(cmd, env=env, capture_output=True, timeout=600)
            except (OSError, subprocess.TimeoutExpired):
                break
            if cmd[1] == "install" and r.returncode == 0:
                break
        exe = shutil.which("wrk")
    if not exe:
        log("wrk unavailable: using the Python load client (slower than wrk)")
    return exe


def wrk_rate(wrk, port, path, conns, duration, close, browser=False):
    cmd = [wrk, "-t1", "-c%d" % conns, "-d%ds" % max(1, round(duration)),
           "--timeout", "2s"]
    if close:
        cmd += ["-H", "Connection: close"]
    if browser:
        for name, value in L.BROWSER_HEADERS:
            cmd += ["-H", "%s: %s" % (name, value)]
    cmd.append("http://127.0.0.1:%d%s" % (port, path))
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 30)
    m = re.search(r"Requests/sec:\s*([\d.]+)", r.stdout)
    if not m:
        raise OSError("wrk: " + (r.stdout + r.stderr)[-300:])
    rate = float(m.group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", r.stdout)
    if bad:
        log("  wrk saw %s non-2xx responses" % bad.group(1))
    return rate


def hello_rate(cfg, port, conns, close, browser=False):
    if cfg.wrk:
        return wrk_rate(cfg.wrk, port, "/hello", conns, cfg.duration, close, browser)
    return L.http_load(port, "/hello", conns, cfg.duration, close, browser)


# -- the cases --------------------------------------------------------------------

class Results:
    def __init__(self):
        self.values = {}      # (runtime, row, server) -> [per repeat]
        self.ratios = {}      # (runtime, row, server, base) -> [per repeat]
        self.single = {}      # (row, server) -> value (memory, size)
        self.errors = []

    def add(self, runtime, row, server, rep, value):
        self.values.setdefault((runtime, row, server), {})[rep] = value

    def finish_repeat(self, runtime, rep):
        for key, lst in list(self.values.items()):
            rt, row, server = key
            if rt != runtime or rep not in lst:
                continue
            for base in ("floor", "microdot", "aiohttp"):
                brow = BASE_ROW.get(row, row)
                if base == "floor":
                    brow = FLOOR_ROW.get(row, brow)
                b = self.values.get((rt, brow, base), {}).get(rep)
                v = lst[rep]
                if base != server and b and v is not None:
                    self.ratios.setdefault((rt, row, server, base), []).append(v / b)

    def median(self, runtime, row, server):
        lst = [v for v in self.values.get((runtime, row, server), {}).values()
               if v is not None]
        return statistics.median(lst) if lst else None

    def ratio(self, runtime, row, server, base):
        lst = self.ratios.get((runtime, row, server, base))
        return statistics.median(lst) if lst else None


def attempt(res, what, fn, *args, srv=None):
    try:
        return fn(*args)
    except Exception as e:    # record and keep going: one broken case is a cell
        msg = "%s: %s: %s" % (what, type(e).__name__, e)
        if srv is not None:
            tail = srv.output().strip().splitlines()[-3:]
            if tail:
                msg += " (server: %s)" % " / ".join(tail)
        log("  error " + msg)
        res.errors.append(msg)
        return None


def run_hello(cfg, res, runtime, server, rep):
    """The GET /hello cases on one server (the floor needs a separate
    process for Connection: close); the four plain ones are also `return
    "str"` of what users write, hello_br10 the same with a browser's head."""
    modes = [(False, ("hello_ka1", 1), ("hello_ka10", 10), ("hello_br10", 10)),
             (True, ("hello_close1", 1), ("hello_close10", 10))]
    if server != "floor":
        modes = [(None,) + modes[0][1:] + modes[1][1:]]
    for mode in modes:
        close_proc = mode[0] is True
        try:
            with Server(cfg.env, server, runtime, close=close_proc) as srv:
                for row, conns in mode[1:]:
                    close = row.startswith("hello_close")
                    browser = row.startswith("hello_br")
                    v = attempt(res, "%s %s %s" % (runtime, server, row),
                                hello_rate, cfg, srv.port, conns, close, browser, srv=srv)
                    res.add(runtime, row, server, rep, v)
                    if not browser:
                        res.add(runtime, "u_str_" + row[6:], server, rep, v)
                    log("  %s %-9s %-14s %s" % (runtime, server, row, fmt_num(v)))
        except OSError as e:
            res.errors.append("%s %s hello: %s" % (runtime, server, e))
            log("  error %s" % e)


def shape_rate(cfg, port, path, conns, close):
    if cfg.wrk:
        return wrk_rate(cfg.wrk, port, path, conns, cfg.shape_duration, close)
    return L.http_load(port, path, conns, cfg.shape_duration, close)


def run_shapes(cfg, res, runtime, server, rep):
    """The rows of what users write on one server: each return shape it
    can serve at the four connection modes (`return "str"` is GET /hello,
    measured by run_hello), then the EventSource.send loops. The floor
    runs the loops only: its answer to every shape is its canned hello."""
    try:
        with Server(cfg.env, server, runtime, features="shapes") as srv:
            figures = []
            if server != "floor":
                for shape, _, path in SHAPES[1:]:
                    for mode, _, close, conns in MODES:
                        row = "u_%s_%s" % (shape, mode)
                        if not can_serve(server, row) or mode not in cfg.shape_modes:
                            continue
                        v = attempt(res, "%s %s %s" % (runtime, server, row), shape_rate,
                                    cfg, srv.port, path, conns, close, srv=srv)
                        res.add(runtime, row, server, rep, v)
                        figures.append(v)
            for prefix, _, path in EVENT_LOOPS:
                for n in cfg.es_clients:
                    row = "%s%d" % (prefix, n)
                    if not can_serve(server, row):
                        continue
                    v = attempt(res, "%s %s %s" % (runtime, server, row), L.sse_loop,
                                srv.port, n, cfg.shape_duration, path, srv=srv)
                    res.add(runtime, row, server, rep, v)
                    figures.append(v)
            log("  %s %-9s shapes and loops: %s" % (
                runtime, server, " ".join(fmt_num(v) for v in figures)))
    except OSError as e:
        res.errors.append("%s %s shapes: %s" % (runtime, server, e))
        log("  error %s" % e)


def run_full(cfg, res, runtime, server, rep):
    """Static file, WebSocket echo and SSE fan-out on one server process."""
    try:
        with Server(cfg.env, server, runtime, features=FULL) as srv:
            p = srv.port
            v = attempt(res, "%s %s static" % (runtime, server), L.download, p,
                        "/static/big.bin", cfg.duration, srv=srv)
            res.add(runtime, "static", server, rep, v)
            for row, size in (("ws16", 16), ("ws4k", 4096)):
                v = attempt(res, "%s %s %s" % (runtime, server, row), L.ws_echo, p,
                            size, cfg.duration, srv=srv)
                res.add(runtime, row, server, rep, v)
            for n in (1, 10, 50):
                out = attempt(res, "%s %s sse%d" % (runtime, server, n), L.sse_fanout,
                              p, n, cfg.duration, cfg.warmup, srv=srv)
                rate, ttfe = out if out else (None, None)
                res.add(runtime, "sse%d" % n, server, rep, rate)
                res.add(runtime, "ttfe%d" % n, server, rep,
                        ttfe * 1000 if ttfe is not None else None)
                time.sleep(0.2)
            if server == "ahttp":
                # TCP_NODELAY off (ahttp's option; the floor runs so anyway)
                out = attempt(res, "%s %s sse10n" % (runtime, server), L.sse_fanout,
                              p, 10, cfg.duration, cfg.warmup, "/sse-nagle", srv=srv)
                res.add(runtime, "sse10n", server, rep, out[0] if out else None)
            log("  %s %-9s static %s MB/s, ws %s/%s msg/s, sse %s/%s/%s ev/s" % (
                runtime, server, *(fmt_num(res.values.get((runtime, r, server), {}).get(rep))
                                   for r in ("static", "ws16", "ws4k", "sse1", "sse10",
                                             "sse50"))))
    except OSError as e:
        res.errors.append("%s %s full: %s" % (runtime, server, e))
        log("  error %s" % e)


def run_memory(cfg, res, server):
    """Heap figures from inside a MicroPython server (.mpy build)."""
    full = server != "ahttp-sync"
    try:
        with Server(cfg.env, server, "mp", build="mpy") as srv:
            h = srv.startup_heap()
            res.single[("heap_app", server)] = h / 1024 if h is not None else None
            L.http_get(srv.port, "/hello")
            v = attempt(res, "%s heap" % server, L.heap, srv.port)
            res.single[("heap_serving", server)] = v / 1024 if v is not None else None
            per = attempt(res, "%s per-conn" % server, L.idle_keepalive_cost,
                          srv.port, srv=srv)
            res.single[("per_conn", server)] = per if per != "closes" else None
            res.single[("per_conn_closes", server)] = per == "closes"
            res.single[("mods_hello", server)] = attempt(
                res, "%s mods" % server, mods, srv.port, server)
    except OSError as e:
        res.errors.append("memory %s: %s" % (server, e))
    try:
        with Server(cfg.env, server, "mp", build="py") as srv:
            h = srv.startup_heap()
            res.single[("heap_app_py", server)] = h / 1024 if h is not None else None
    except OSError as e:
        res.errors.append("memory %s .py: %s" % (server, e))
    try:
        if server != "floor":   # (the floor runs as __main__ only, not imported)
            with Server(cfg.env, server, "mp", build="romfs") as srv:
                h = srv.startup_heap()
                # less the image, which a board keeps in flash
                res.single[("heap_app_romfs", server)] = (
                    (h - cfg.env["romfs_size"]) / 1024 if h is not None else None)
    except OSError as e:
        res.errors.append("memory %s romfs: %s" % (server, e))
    if server in ("ahttp", "microdot"):   # (the sync app needs sockets to import)
        h = attempt(res, "%s wasm32 heap" % server, wasm32_heap, cfg.env, server)
        res.single[("heap_app_wasm32", server)] = h / 1024 if h is not None else None
    if not full:
        return
    try:
        with Server(cfg.env, server, "mp", features=FULL, build="mpy") as srv:
            res.single[("per_sse", server)] = attempt(res, "%s per-sse" % server,
                                                      L.sse_client_cost, srv.port)
            if server == "ahttp":
                res.single[("per_sse_detached", server)] = attempt(
                    res, "%s per-sse detached" % server, L.sse_client_cost, srv.port,
                    10, "/sse-detached")
            attempt(res, "%s static" % server, L.download, srv.port,
                    "/static/big.bin", 0.05, srv=srv)
            attempt(res, "%s ws" % server, L.ws_echo, srv.port, 16, 0.05)
            res.single[("mods_full", server)] = attempt(res, "%s mods" % server, mods,
                                                        srv.port, server)
    except OSError as e:
        res.errors.append("memory %s full: %s" % (server, e))


def run_hello_sse_memory(cfg, res, server):
    """The hello + SSE app's rows of `server` (ahttp, microdot or a peer):
    heap after import from sources, .mpy and ROMFS; the code loaded once it
    served GET /hello and one SSE stream (.mpy build)."""
    app = HELLO_SSE.get(server, server)
    for build in ("py", "mpy", "romfs"):
        try:
            with Server(cfg.env, app, "mp", build=build) as srv:
                h = srv.startup_heap()
                if h is not None and build == "romfs":
                    h -= cfg.env["romfs_size"]     # the image: a board's flash
                res.single[("hs_heap_" + build, server)] = h / 1024 if h is not None else None
                if build != "mpy":
                    continue
                L.http_get(srv.port, "/hello")
                status, body = L.http_get(srv.port, "/es", timeout=10)
                if body.count(L.EVENT_MARK) != 2000:
                    raise OSError("/es sent %d events, not 2000"
                                  % body.count(L.EVENT_MARK))
                names = [m for m in srv.modules()
                         if m.split(".")[0] == PACKAGE[server]]
                res.single[("hs_code_py", server)], res.single[("hs_code_mpy", server)] = \
                    code_size(cfg, names)
        except OSError as e:
            res.errors.append("memory %s hello + SSE %s: %s" % (server, build, e))
            log("  error %s" % e)
    log("  memory %-12s hello + SSE: %s" % (server, " ".join(
        fmt_num(res.single.get((row, server)), unit) for row, _, unit in HS_MEMORY
        if "min_heap" not in row)))


def mods(port, server):
    if server == "floor":
        return ["bench_floor"]
    status, body = L.http_get(port, "/_mods")
    return body.decode().split()


def code_size(cfg, names):
    py = mpy = 0
    for name in names:
        rel = name.replace(".", "/")
        for tree, ext in ((cfg.env["py"], ".py"), (cfg.env["mpy"], ".mpy")):
            for cand in (rel + ext, rel + "/__init__" + ext):
                path = os.path.join(tree, cand)
                if os.path.exists(path):
                    if ext == ".py":
                        py += os.path.getsize(path)
                    else:
                        mpy += os.path.getsize(path)
                    break
    return py, mpy


def probe_heap(cfg, server, build, heapsize):
    try:
        with Server(cfg.env, server, "mp", heapsize=heapsize, build=build) as srv:
            ok = L.serves(srv.port, cfg.sequential, 10, timeout=3.0)
            ok = ok and srv.alive()
    except OSError:
        ok = False
    log("  heap %-12s %-3s %3dk: %s" % (server, build, heapsize, "ok" if ok else "fails"))
    return ok


def smallest_heap(cfg, server, build):
    """Smallest step of the heap ladder that serves (binary search)."""
    steps = cfg.heap_steps
    lo, hi = 0, len(steps) - 1
    if not probe_heap(cfg, server, build, steps[hi]):
        return None
    while lo < hi:
        mid = (lo + hi) // 2
        if probe_heap(cfg, server, build, steps[mid]):
            hi = mid
        else:
            lo = mid + 1
    return steps[lo]


# -- report -------------------------------------------------------------------------

def fmt_num(v, unit=None):
    if v is None:
        return "–"
    if unit in ("KB", "MB/s", "ms") or (isinstance(v, float) and abs(v) < 100):
        return "%.1f" % v
    return "{:,}".format(int(round(v)))


def fmt_ratio(v):
    if v is None:
        return "–"
    return "%.2f" % v if v >= 0.1 else "%.3f" % v


def target_cell(row, ahttp_value, ahttp_ratio, microdot_value=None, targets=TARGETS):
    t = targets.get(row)
    if t is None:
        return ""
    kind, limit, text = t
    if kind == "microdot":
        if ahttp_value is None or microdot_value is None:
            return text + " (no data)"
        ok = ahttp_value <= microdot_value
    else:
        v = ahttp_ratio if kind == "ratio" else ahttp_value
        if v is None:
            return text + " (no data)"
        ok = v >= limit if kind == "ratio" else v <= limit
    return "%s: %s" % (text, "met" if ok else "**missed**")


def servers_for(runtime, cfg):
    """The servers of the throughput table and the 10-route memory table."""
    s = ["floor", "ahttp"]
    if runtime == "mp" and cfg.sync:
        s.append("ahttp-sync")
    return s + ["microdot"]


def peers_for(runtime, cfg):
    """The peers present, in table order (MicroPython only)."""
    return [p for p in PEER_NAMES if p in cfg.peers] if runtime == "mp" else []


def cpython_peers(runtime, cfg):
    """aiohttp when it imports (CPython only): GET /hello and what users
    write, no SSE fan-out, WebSocket or static rows, no memory rows."""
    return ["aiohttp"] if runtime == "cpy" and cfg.aiohttp else []


def aiohttp_summary(cfg, res):
    """The CPython target line: the rows where ahttp's figure is at least
    aiohttp's (ahttp ÷ aiohttp >= 1.0), and those where it is not."""
    if not cfg.aiohttp:
        return cfg.aiohttp_absent
    met, missed, nodata = 0, [], 0
    for row, label, _ in USER_ROWS:
        if row not in CPY_TARGETS:
            continue
        r = res.ratio("cpy", row, "ahttp", "aiohttp")
        if r is None:
            nodata += 1
        elif r >= CPY_TARGETS[row][1]:
            met += 1
        else:
            missed.append("%s (%s)" % (label, fmt_ratio(r)))
    text = "met on %d of %d rows measured (ahttp ÷ aiohttp ≥ 1.0)" % (
        met, met + len(missed))
    if len(missed) > 8:
        text += "; **missed** on %d (the target column says which)" % len(missed)
    elif missed:
        text += "; **missed** on %s" % "; ".join(missed)
    if nodata:
        text += "; %d row%s not measured in this run" % (nodata, "" if nodata == 1 else "s")
    return text + "."


def table_head(cols, left, right_text=0):
    """A markdown head: `left` left-aligned columns, then numbers, then
    `right_text` left-aligned ones."""
    return ["| " + " | ".join(cols) + " |",
            "| " + " | ".join(["---"] * left + ["---:"] * (len(cols) - left - right_text)
                              + ["---"] * right_text) + " |"]


def heap_cell(cfg, res, row, server):
    v = res.single.get((row, server))
    if "min_heap" in row:
        if v is None and (row, server) in res.single:
            return "> %dk" % cfg.heap_steps[-1]
        return "%dk" % v if v is not None else "–"
    return fmt_num(v, "KB" if "heap" in row else None)


def report(cfg, res, meta):
    out = []
    out.append("# ahttp benchmarks: %s" % meta["date"])
    out.append("")
    out.append("Machine: %s. %s. Load client: %s. %s s per case (%s s for each shape "
               "and event loop), %d repeat%s interleaved; medians; ratios are medians of "
               "per-repeat ratios." % (
                   meta["machine"], meta["versions"], meta["client"], cfg.duration,
                   cfg.shape_duration, cfg.repeats, "" if cfg.repeats == 1 else "s"))
    if cfg.smoke:
        out.append("")
        out.append("**Smoke run**: durations too short for the figures to mean "
                   "anything; it only checks that every case still runs.")
    out.append("")
    for line in meta["peer_lines"]:
        out.append("- " + line)
    for runtime, title in (("mp", "MicroPython (unix port)"), ("cpy", "CPython")):
        if runtime not in cfg.runtimes:
            continue
        servers = servers_for(runtime, cfg) + cpython_peers(runtime, cfg)
        others = [s for s in servers if s != "floor"]
        out.append("")
        out.append("## Throughput, %s" % title)
        out.append("")
        cols = ["case", "unit"] + servers + ["%s ÷ floor" % s for s in others] \
            + ["ahttp ÷ microdot"]
        out += table_head(cols, 2)
        for row, label, unit, _ in THROUGHPUT:
            cells = [label, unit]
            cells += [fmt_num(res.median(runtime, row, s), unit) for s in servers]
            cells += [fmt_ratio(res.ratio(runtime, row, s, "floor")) for s in others]
            cells.append(fmt_ratio(res.ratio(runtime, row, "ahttp", "microdot")))
            out.append("| " + " | ".join(cells) + " |")
        # what users write: the floor's figure, every server's ratio to it
        aio = cpython_peers(runtime, cfg)
        ratio_servers = ["ahttp", "microdot"] + peers_for(runtime, cfg) + aio
        # a target column: issue 18's goals under MicroPython, aiohttp's
        # figure under CPython (when aiohttp is measured)
        targets = TARGETS if runtime == "mp" else CPY_TARGETS if aio else None
        out.append("")
        out.append("## What users write, %s (ratio to the floor)" % title)
        out.append("")
        cols = ["case", "unit", "floor"] + [HEADER[s] for s in ratio_servers] \
            + ["ahttp ÷ microdot"] + ["ahttp ÷ %s" % HEADER[s] for s in aio] \
            + (["target (ahttp)"] if targets else [])
        out += table_head(cols, 2, 1 if targets else 0)
        for row, label, unit in USER_ROWS:
            cells = [label, unit, fmt_num(res.median(runtime, FLOOR_ROW.get(row, row),
                                                     "floor"), unit)]
            for s in ratio_servers:
                cells.append(fmt_ratio(res.ratio(runtime, row, s, "floor"))
                             if can_serve(s, row) else "–")
            cells.append(fmt_ratio(res.ratio(runtime, row, "ahttp", "microdot")))
            for s in aio:
                cells.append(fmt_ratio(res.ratio(runtime, row, "ahttp", s))
                             if can_serve(s, row) else "–")
            if runtime == "mp":
                cells.append(target_cell(row, res.median(runtime, row, "ahttp"),
                                         res.ratio(runtime, row, "ahttp", "floor")))
            elif targets:
                cells.append(target_cell(row, None,
                                         res.ratio(runtime, row, "ahttp", "aiohttp"),
                                         targets=targets))
            out.append("| " + " | ".join(cells) + " |")
        if runtime == "cpy":
            out.append("")
            out.append("CPython target (each shape at least aiohttp's figure): %s"
                       % aiohttp_summary(cfg, res))
    if "mp" in cfg.runtimes:
        hs = ["ahttp", "microdot"] + peers_for("mp", cfg)
        out.append("")
        out.append("## Memory, hello + SSE app, MicroPython (unix port, 64-bit)")
        out.append("")
        cols = ["measure", "unit"] + [HEADER[s] for s in hs] + ["ahttp ÷ microdot",
                                                                "target (ahttp)"]
        out += table_head(cols, 2, 1)
        for row, label, unit in HS_MEMORY:
            cells = [label, unit] + [heap_cell(cfg, res, row, s) for s in hs]
            a = res.single.get((row, "ahttp"))
            m = res.single.get((row, "microdot"))
            cells.append(fmt_ratio(a / m) if a is not None and m else "–")
            cells.append(target_cell(row, a, None, m))
            out.append("| " + " | ".join(cells) + " |")
        servers = servers_for("mp", cfg)
        out.append("")
        out.append("## Memory and code size, 10-route app, MicroPython (unix port, 64-bit)")
        out.append("")
        cols = ["measure", "unit"] + servers + ["ahttp ÷ microdot", "target (ahttp)"]
        out += table_head(cols, 2, 1)
        for row, label, unit in MEMORY:
            cells = [label, unit]
            for s in servers:
                if row == "per_conn" and res.single.get(("per_conn_closes", s)):
                    cells.append("closes")
                else:
                    cells.append(heap_cell(cfg, res, row, s) if "heap" in row
                                 else fmt_num(res.single.get((row, s)), unit))
            a = res.single.get((row, "ahttp"))
            m = res.single.get((row, "microdot"))
            cells.append(fmt_ratio(a / m) if a is not None and m else "–")
            cells.append(target_cell(row, a, None, m))
            out.append("| " + " | ".join(cells) + " |")
    out.append("")
    out += notes(cfg)
    if res.errors:
        out.append("")
        out.append("Errors during the run (cells left empty):")
        out.append("")
        for e in res.errors:
            out.append("- " + e.replace("|", "/").replace("\n", " ")[:300])
    return "\n".join(out) + "\n"


def notes(cfg):
    """The footnotes under the tables (docs/benchmarks.md says more)."""
    steps = ", ".join(str(s) for s in cfg.heap_steps)
    n = []
    n.append("Floor: bench/floor.py, a bare `asyncio.start_server` app reading "
             "the head in bulk and writing canned responses (its code-size rows "
             "are the floor script itself). Heap rows: `gc.mem_alloc()` after "
             "`gc.collect()` inside the server (KB = 1024 bytes); \"closes\": the "
             "server closes the connection after each response, so it holds no "
             "idle keep-alive connection. Smallest heap: the first step of %s "
             "(KB) at which %d sequential and then 10 concurrent GET /hello all "
             "succeed." % (steps, cfg.sequential))
    n.append("")
    n.append("What users write: every shape answers \"Hello, world!\\n\" (14 B) or a "
             "two-key JSON; the floor answers each with its canned hello, so a shape's "
             "ratio is to the floor's GET /hello at the same mode in the same repeat "
             "(its figure in the floor column), and `return \"str\"` is the GET /hello "
             "row of the throughput table. \"close\": the client sends `Connection: "
             "close`. Event loops: a handler sending 2,000 events per stream, clients "
             "opening stream after stream; the floor writes and drains the same bytes "
             "one event at a time. Broadcaster rows: the SSE fan-out rows above.")
    n.append("")
    n.append("\"–\" in what users write: microdot sends multi-line data as one `data:` "
             "line (a client keeps only the first line), so it has no two-line row. "
             "tinyweb, ahttpserver and aiowebserver have no return values and no "
             "response object with a body: a handler writes its response, so they have "
             "the `return \"str\"` row (their hello route, written as their docs do), "
             "the head-then-two-writes row and the file row (their own file sender), "
             "and no other shape; none has a broadcast helper. ahttpserver's and "
             "aiowebserver's `send` also write multi-line data as one `data:` line; "
             "tinyweb has no SSE API, so its app writes the frames itself (two `data:` "
             "lines included). All three answer HTTP/1.0-style: one request per "
             "connection, closed after the response (keep-alive rows reconnect); "
             "tinyweb runs with `max_concurrency=10` (its README's figure for this "
             "port), the others with their defaults (a listen backlog of 5). They run "
             "under MicroPython only.")
    if "cpy" in cfg.runtimes:
        n.append("")
        n.append("aiohttp (CPython only, when it imports): bench/apps/aiohttp_app.py, "
                 "an `aiohttp.web` app run by `web.run_app` with the access log off, "
                 "written as its users write one: `web.Response(text=...)` for GET "
                 "/hello and the str shapes (with `status=` and `content_type=` for "
                 "the tuple rows), `web.json_response` for the dict and list, "
                 "`web.Response(body=...)` for bytes and the response-object row, a "
                 "`StreamResponse` prepared with its length then two `write()`s, "
                 "`web.FileResponse` of the same 14-byte file, and for the event "
                 "loops a `text/event-stream` `StreamResponse` written with one "
                 "`await resp.write()` per event (the same event bytes as ahttp's; "
                 "aiohttp frames them chunked and closes the connection at the "
                 "stream's end, `force_close()`). Its column in what users write is "
                 "its ratio to the floor; `ahttp ÷ aiohttp` and the target column "
                 "compare ahttp with it in the same repeat. It has no broadcast "
                 "helper (no Broadcaster rows) and runs none of the SSE fan-out, "
                 "WebSocket or static rows of the throughput table (\"–\").")
    n.append("")
    n.append("Hello + SSE app: bench/apps/ahttp_hello_sse.py, microdot_hello_sse.py "
             "and each peer's bench/apps/<peer>_app.py: a route answering \"Hello, "
             "world!\" and a route looping `send()` over 2,000 events. ROMFS rows: the "
             "whole .mpy tree in one image (tools/romfs_run.py), less the image's size. "
             "Code loaded: the `.py` / `.mpy` bytes of the framework's own modules in "
             "`sys.modules` after serving GET /hello and one stream (tinyweb's also "
             "needs micropython-lib's `logging`, not counted; the bench gives it a "
             "stand-in, bench/apps/shim_logging.py).")
    n.append("")
    n.append("32-bit row: the same .mpy files on MicroPython's WebAssembly port (%s, "
             "under node; 32-bit words), stopped after setup as the port has no "
             "sockets; its asyncio has no stream module (on the unix port that is "
             "~1.7 KB of the figures above). Pointers and object headers are half "
             "the size there; bytecode and strings are not." % WASM32_PKG)
    n.append("")
    n.append("SSE rows: ahttp sets TCP_NODELAY on every connection, so each event "
             "leaves at once; the floor and microdot keep the socket default (Nagle "
             "on), which lets TCP coalesce events written within one round trip. The "
             "`nodelay=False` row is ahttp's Broadcaster option for that, compared "
             "with the floor's and microdot's 10-client figures.")
    return n


def chart(cfg, res, path, meta):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log("matplotlib missing: no chart (pip install -r requirements-dev.txt)")
        return False
    rows = [r for r in THROUGHPUT if r[3]]
    runtimes = [rt for rt in ("mp", "cpy") if rt in cfg.runtimes]
    fig, axes = plt.subplots(1, len(runtimes), figsize=(6.5 * len(runtimes), 6),
                             sharey=True, squeeze=False)
    names = {"mp": "MicroPython", "cpy": "CPython"}
    for ax, rt in zip(axes[0], runtimes):
        servers = [s for s in servers_for(rt, cfg) if s != "floor"]
        h = 0.8 / len(servers)
        colors = {"ahttp": "#1f77b4", "ahttp-sync": "#2ca02c", "microdot": "#ff7f0e"}
        for i, s in enumerate(servers):
            ys = [k + (i - (len(servers) - 1) / 2) * h for k in range(len(rows))]
            vals = [res.ratio(rt, r[0], s, "floor") or 0 for r in rows]
            ax.barh(ys, vals, height=h, label=s, color=colors.get(s))
            for y, v in zip(ys, vals):
                if v:
                    ax.text(v + 0.01, y, "%.2f" % v, va="center", fontsize=7)
        ax.axvline(1.0, color="k", lw=1)
        ax.axvline(0.5, color="grey", lw=0.8, ls="--")
        ax.set_yticks(range(len(rows)))
        ax.set_yticklabels([r[1] for r in rows], fontsize=8)
        ax.set_xlabel("ratio to the bare-asyncio floor (1.0 = floor)")
        ax.set_title(names[rt])
        ax.legend(fontsize=8, loc="lower right")
    axes[0][0].invert_yaxis()      # shared y axis: first row on top
    fig.suptitle("ahttp vs microdot, relative to the floor (%s, %s)"
                 % (meta["date"], meta["machine"]), fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def machine():
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return "%s, %d cores, %s" % (cpu, os.cpu_count() or 0, platform.system())


def versions(env):
    mp = "?"
    try:
        mp = subprocess.run([tool("micropython"), "-c",
                             "import sys; print(sys.version)"],
                            capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        pass
    return "MicroPython %s; CPython %s; microdot %s" % (
        mp.split(";")[-1].strip() or mp, platform.python_version(),
        env.get("microdot_version") or "?")


def peer_version(src):
    """A peer clone's commit (short hash), or its path when not a git clone."""
    try:
        r = subprocess.run(["git", "-C", src, "log", "-1", "--format=%h %cs"],
                           capture_output=True, text=True, timeout=10)
        if r.returncode == 0 and r.stdout.strip():
            return "commit " + r.stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        pass
    return src


# -- main -----------------------------------------------------------------------------

def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--smoke", action="store_true",
                   help="a few seconds per case, one repeat (CI: never rots)")
    p.add_argument("--duration", type=float,
                   help="seconds per GET /hello, SSE fan-out, WebSocket and static case "
                        "(default 2)")
    p.add_argument("--shape-duration", type=float,
                   help="seconds per shape and event-loop case of what users write "
                        "(default 1; wrk rounds to whole seconds)")
    p.add_argument("--repeats", type=int, help="interleaved repeats (default 3)")
    p.add_argument("--runtimes", default="mp,cpy", help="mp,cpy (default both)")
    p.add_argument("--client", choices=("auto", "wrk", "python"), default="auto",
                   help="load client for GET /hello (default: wrk if available)")
    p.add_argument("--out", default=os.path.join(BENCH, "results"),
                   help="output directory (default bench/results)")
    p.add_argument("--profile", choices=("auto", "yes", "no"), default="auto",
                   help="also run bench/profile.py into OUT/profile-latest.md "
                        "(default: on for a full run, off for --smoke)")
    p.add_argument("--keep", action="store_true",
                   help="keep the temporary directory (server logs)")
    a = p.parse_args(argv[1:])
    cfg = argparse.Namespace()
    cfg.smoke = a.smoke
    cfg.duration = a.duration or (0.3 if a.smoke else 2.0)
    cfg.shape_duration = a.shape_duration or (0.1 if a.smoke else 1.0)
    cfg.repeats = a.repeats or (1 if a.smoke else 3)
    cfg.shape_modes = SMOKE_MODES if a.smoke else [m[0] for m in MODES]
    cfg.es_clients = SMOKE_CLIENTS if a.smoke else ES_CLIENTS
    cfg.runtimes = [r for r in a.runtimes.split(",") if r]
    # (a bound, not a wait: the smoke's is wide enough for 50 clients of
    # the slowest server on a busy machine, as when the test suite runs)
    cfg.warmup = 5.0 if a.smoke else 8.0
    cfg.heap_steps = HEAP_STEPS_SMOKE if a.smoke else HEAP_STEPS
    cfg.sequential = 10 if a.smoke else 100
    cfg.sync = has_sync()
    cfg.peers, peer_lines = find_peers()
    for line in peer_lines:
        print(line)
    cfg.aiohttp = None        # aiohttp's version when it imports
    cfg.aiohttp_absent = "aiohttp is absent from .venv: not measured"
    try:
        import aiohttp
        cfg.aiohttp = getattr(aiohttp, "__version__", "?")
        aiohttp_line = ("aiohttp %s: measured (bench/apps/aiohttp_app.py)"
                        % cfg.aiohttp)
    except ImportError:
        aiohttp_line = cfg.aiohttp_absent
    if "cpy" in cfg.runtimes:
        print("CPython target: " + aiohttp_line)
    if a.client == "python" or (a.smoke and a.client == "auto"):
        # wrk counts whole seconds: too slow for a smoke run
        cfg.wrk = None
    else:
        cfg.wrk = ensure_wrk()
        if a.client == "wrk" and not cfg.wrk:
            raise SystemExit("wrk not available")
    if not tool("micropython"):
        raise SystemExit("micropython not found: run scripts/bootstrap.sh")
    res = Results()
    started = time.monotonic()
    tmp = tempfile.mkdtemp(prefix="ahttp-bench-")
    try:
        cfg.env = prepare(tmp, cfg.peers)
        now = datetime.datetime.now()
        meta = {"date": now.strftime("%Y-%m-%d %H:%M"), "machine": machine(),
                "versions": versions(cfg.env), "peer_lines": peer_lines,
                "client": ("wrk (%s) for HTTP requests" % cfg.wrk) if cfg.wrk
                else "Python asyncio client (bench/loadgen.py)"}
        meta["client"] += "; bench/loadgen.py for SSE, WebSocket, static"
        for name, src in sorted(cfg.peers.items()):
            meta["versions"] += "; %s from %s" % (HEADER[name], peer_version(src))
        if cfg.aiohttp and "cpy" in cfg.runtimes:
            meta["versions"] += "; aiohttp %s" % cfg.aiohttp
        for rep in range(cfg.repeats):
            for runtime in cfg.runtimes:
                servers = [s for s in servers_for(runtime, cfg) if s != "ahttp-sync"] \
                    + peers_for(runtime, cfg) + cpython_peers(runtime, cfg)
                k = rep % len(servers)
                order = servers[k:] + servers[:k]     # rotate: no server always first
                log("repeat %d/%d, %s, order %s" % (rep + 1, cfg.repeats, runtime,
                                                   " ".join(order)))
                for server in order:
                    run_hello(cfg, res, runtime, server, rep)
                if runtime == "mp" and cfg.sync:
                    run_hello(cfg, res, runtime, "ahttp-sync", rep)
                log("SSE, WebSocket, static (%.0f s so far)" % (time.monotonic() - started))
                for server in order:
                    if server not in PEER_NAMES and server not in CPY_ONLY:
                        run_full(cfg, res, runtime, server, rep)
                log("what users write (%.0f s so far)" % (time.monotonic() - started))
                for server in order:
                    run_shapes(cfg, res, runtime, server, rep)
                res.finish_repeat(runtime, rep)
        if "mp" in cfg.runtimes:
            log("memory (%.0f s so far)" % (time.monotonic() - started))
            for server in servers_for("mp", cfg):
                run_memory(cfg, res, server)
                for which in ("hello", "full"):
                    names = res.single.get(("mods_" + which, server))
                    if names:
                        py, mpy = code_size(cfg, names)
                        res.single[("code_py_" + which, server)] = py
                        res.single[("code_mpy_" + which, server)] = mpy
            hs = ["ahttp", "microdot"] + peers_for("mp", cfg)
            for server in hs:
                run_hello_sse_memory(cfg, res, server)
            log("smallest heap (%.0f s so far)" % (time.monotonic() - started))
            for server in servers_for("mp", cfg):
                for build in ("mpy", "py"):
                    res.single[("min_heap_" + build, server)] = smallest_heap(
                        cfg, server, build)
            for server in hs:
                for build in ("mpy", "py"):
                    res.single[("hs_min_heap_" + build, server)] = smallest_heap(
                        cfg, HELLO_SSE.get(server, server), build)
        text = report(cfg, res, meta)
        os.makedirs(a.out, exist_ok=True)
        with open(os.path.join(a.out, "latest.md"), "w") as f:
            f.write(text)
        chart(cfg, res, os.path.join(a.out, "latest.png"), meta)
        print(text)
        if a.profile == "yes" or (a.profile == "auto" and not cfg.smoke):
            log("profile")
            r = subprocess.run([sys.executable, os.path.join(BENCH, "profile.py"), "--run"],
                               capture_output=True, text=True, timeout=600)
            prof = r.stdout + (("\n```\n%s\n```\n" % r.stderr[-3000:]) if r.returncode else "")
            with open(os.path.join(a.out, "profile-latest.md"), "w") as f:
                f.write(prof)
        log("done in %.0f s: %s" % (time.monotonic() - started,
                                    os.path.join(a.out, "latest.md")))
    finally:
        if a.keep:
            log("kept " + tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
