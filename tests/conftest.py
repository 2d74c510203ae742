"""Test harness: start real servers in subprocesses under each runtime.

Every integration test takes the ``runtime`` fixture (``cpython`` and
``micropython``) and starts an app with ``start_app``. An app is a script that
reads its port from ``AHTTP_PORT`` (and host from ``AHTTP_HOST``, default
127.0.0.1) and serves until killed. The harness waits until the port accepts
a connection, and stops every process it started.

Sync runtimes: ``sync-cpython``, ``sync-micropython`` and
``sync-micropython-1.11`` (MicroPython v1.11, the base of Pycom's WiPy
firmware: .venv/bin/micropython-1.11, built from ../shared/runtimes) run the
sync twin of an app (``tests/apps/basic.py`` -> ``tests/apps/basic_sync.py``: the same
routes with plain ``def`` handlers on ``ahttp.sync``) under the base
interpreter, through ``tests/sync_launch.py``, with ``asyncio`` and
``uasyncio`` shadowed by modules that raise ImportError (tests/noasyncio):
the sync server must not need them. The test modules in ``SYNC_MODULES``
run against all five runtimes; a test there that is inherently concurrent
carries ``@pytest.mark.async_only("reason")`` and runs on the async
runtimes only.

``micropython-1.20`` (MicroPython v1.20.0, asyncio still named uasyncio:
.venv/bin/micropython-1.20, built by scripts/build-micropython-1.20.sh) runs
the async apps, through ``tests/mp120_launch.py``, for the modules in
``MP120_MODULES``.
"""
import atexit
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV_BIN = os.path.join(ROOT, ".venv", "bin")
TESTS = os.path.join(ROOT, "tests")


def micropython_exe():
    exe = os.path.join(VENV_BIN, "micropython")
    if os.path.exists(exe):
        return exe
    return "micropython"


# MicroPython v1.11, the base of Pycom's last WiPy firmware (1.20.2.r6): the
# sync server runs there too. Built from the source next to the checkout
# (../shared/runtimes) by scripts/bootstrap.sh, or here on first use.
MP11_EXE = os.path.join(VENV_BIN, "micropython-1.11")
MP11_BUILD = os.path.join(os.path.dirname(ROOT), "shared", "runtimes",
                          "build-micropython-1.11.sh")


def micropython11_exe():
    """The v1.11 unix port, built when missing; skips (one reason, one
    line in pytest's summary) where the shared runtimes are absent."""
    if os.path.exists(MP11_EXE):
        return MP11_EXE
    if not os.path.exists(MP11_BUILD):
        pytest.skip("MicroPython v1.11 runtime unavailable: %s is absent (it sits "
                    "next to the checkout)" % os.path.normpath(MP11_BUILD))
    import fcntl
    with open(MP11_EXE + ".lock", "w") as lock:     # one build for parallel workers
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not os.path.exists(MP11_EXE):
            tmp = "%s.%d.tmp" % (MP11_EXE, os.getpid())
            subprocess.run(["bash", MP11_BUILD, tmp], check=True, capture_output=True,
                           timeout=600)
            os.replace(tmp, MP11_EXE)
    return MP11_EXE


# MicroPython v1.20.0, the oldest firmware the async server claims (asyncio
# is still uasyncio there, frozen): built by scripts/build-micropython-1.20.sh
# from a micropython git clone (bootstrap.sh, or here on first use).
MP120_EXE = os.path.join(VENV_BIN, "micropython-1.20")
MP120_BUILD = os.path.join(ROOT, "scripts", "build-micropython-1.20.sh")


_mp120_absent = []    # why it cannot be built here, once known


def micropython120_exe():
    """The v1.20 unix port, built when missing; skips, saying why, where
    the build script finds no micropython source to build it from."""
    if os.path.exists(MP120_EXE):
        return MP120_EXE
    if _mp120_absent:
        pytest.skip(_mp120_absent[0])
    import fcntl
    with open(MP120_EXE + ".lock", "w") as lock:     # one build for parallel workers
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not os.path.exists(MP120_EXE):
            tmp = "%s.%d.tmp" % (MP120_EXE, os.getpid())
            r = subprocess.run(["bash", MP120_BUILD, tmp], capture_output=True,
                               text=True, timeout=900)
            if r.returncode == 3:       # no source here (CI): one line says so
                _mp120_absent.append("MicroPython v1.20 runtime unavailable: "
                                     + r.stderr.strip().splitlines()[-1])
                pytest.skip(_mp120_absent[0])
            if r.returncode:
                raise RuntimeError("building MicroPython v1.20 failed:\n"
                                   + r.stdout + r.stderr)
            os.replace(tmp, MP120_EXE)
    return MP120_EXE


ASYNC_RUNTIMES = ["cpython", "micropython"]
SYNC_RUNTIMES = ["sync-cpython", "sync-micropython", "sync-micropython-1.11"]
ALL_RUNTIMES = ASYNC_RUNTIMES + SYNC_RUNTIMES

# The integration modules that also run the async server on MicroPython
# v1.20 (the oldest firmware it claims): a subset, as the rest repeats on
# 1.20 what these prove. A test there that depends on what 1.20 lacks
# carries @pytest.mark.not_on_1_20("reason").
MP120_RUNTIMES = ["micropython-1.20"]
MP120_MODULES = (
    "test_http_parse",
    "test_http_keepalive",
    "test_sse",
    "test_ws",
)

# The integration modules that also run against the sync server. In them,
# every fixture parametrized with exactly ASYNC_RUNTIMES (and the `runtime`
# fixture) gets ALL_RUNTIMES, except for tests marked async_only.
SYNC_MODULES = (
    "test_http_parse",
    "test_http_keepalive",
    "test_routing",
    "test_responses",
    "test_static",
    "test_sse",
    "test_ws",
    "test_ws_cases",
)

# MicroPython with the package and the app compiled into a ROMFS image
# (tools/romfs_run.py) and ROMFS_HEAP_KB of heap besides the image, as on a
# board with its code in flash. Tests ask for it (start_app(...,
# "micropython-romfs"), with their own heapsize for the small-heap claims),
# and the hello / REST / static integration modules below run against it as
# one more runtime, at 96k. Their test app has a route for every feature
# and holds ~57 KB from ROMFS after start (the hello / REST / static
# examples: 64k, tests/test_examples.py). They pass from 88k since the app's
# setup collects its garbage as it goes (ahttp._compat: gc.threshold); at
# 80k one test in 307 fails, below that the 10 KB bodies find no hole;
# before, a 10 KB body now and then found none even at 144k.
ROMFS_RUNTIMES = ["micropython-romfs"]
ROMFS_HEAP_KB = int(os.environ.get("AHTTP_ROMFS_HEAP_KB", "96"))
SMALL_HEAP_MODULES = (
    "test_http_parse",
    "test_http_keepalive",
    "test_routing",
    "test_responses",
    "test_static",
)

SYNC_LAUNCHER = os.path.join(TESTS, "sync_launch.py")
MP120_LAUNCHER = os.path.join(TESTS, "mp120_launch.py")   # asyncio as uasyncio
NO_ASYNCIO = os.path.join(TESTS, "noasyncio")


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "async_only(reason): inherently concurrent; not run against "
        "the sync server (the reason says why)")
    config.addinivalue_line(
        "markers", "not_on_1_20(reason): needs what MicroPython v1.20 lacks; "
        "not run against micropython-1.20 (the reason says why)")


@pytest.hookimpl(tryfirst=True)
def pytest_generate_tests(metafunc):
    """Widen the runtime parametrization of the SYNC_MODULES to the sync
    runtimes, and of the SMALL_HEAP_MODULES to the ROMFS one (a parametrize
    mark added here takes precedence over the fixture's own params)."""
    name = metafunc.module.__name__.rpartition(".")[2]
    if name not in SYNC_MODULES and name not in MP120_MODULES:
        return
    extra = ROMFS_RUNTIMES if name in SMALL_HEAP_MODULES else []
    old = metafunc.definition.get_closest_marker("not_on_1_20")
    if old is not None and not (old.args and old.args[0]):
        raise ValueError("not_on_1_20 needs a reason: " + metafunc.definition.nodeid)
    if name in MP120_MODULES and old is None:
        extra = extra + MP120_RUNTIMES
    mark = metafunc.definition.get_closest_marker("async_only")
    if mark is not None:
        if not mark.args or not mark.args[0]:
            raise ValueError("async_only needs a reason: " + metafunc.definition.nodeid)
        runtimes = ASYNC_RUNTIMES + extra
    elif name in SYNC_MODULES:
        runtimes = ALL_RUNTIMES + extra
    else:
        runtimes = ASYNC_RUNTIMES + extra
    defs = getattr(metafunc, "_arg2fixturedefs", {})
    for argname in metafunc.fixturenames:
        fds = defs.get(argname)
        if fds and fds[-1].params is not None and list(fds[-1].params) == ASYNC_RUNTIMES:
            metafunc.definition.add_marker(pytest.mark.parametrize(
                argname, runtimes, indirect=True, ids=runtimes))


def base_runtime(runtime):
    """The interpreter a runtime uses: "sync-micropython" -> "micropython",
    "sync-micropython-1.11" -> "micropython-1.11"."""
    if runtime in ROMFS_RUNTIMES:
        return "micropython"
    return runtime[5:] if runtime.startswith("sync-") else runtime


def runtime_cmd(runtime, heapsize=None):
    """The command line prefix that runs a script under `runtime` (for a
    sync runtime: the launcher that runs the script's sync twin)."""
    if runtime in SYNC_RUNTIMES:
        return runtime_cmd(base_runtime(runtime), heapsize) + [SYNC_LAUNCHER]
    if runtime == "cpython":
        return [sys.executable, "-u"]
    if runtime in ("micropython", "micropython-1.11", "micropython-1.20"):
        cmd = [{"micropython": micropython_exe, "micropython-1.11": micropython11_exe,
                "micropython-1.20": micropython120_exe}[runtime]()]
        if heapsize:
            cmd += ["-X", "heapsize=" + heapsize]
        if runtime == "micropython-1.20":
            cmd.append(MP120_LAUNCHER)
        return cmd
    raise ValueError("unknown runtime " + runtime)


ROMFS_RUN = os.path.join(ROOT, "tools", "romfs_run.py")


def romfs_build(app, out_dir):
    """The package and `app` (a .py path), compiled by tools/build_mpy.py
    into a ROMFS image in out_dir, as `mpremote romfs deploy` puts them on
    a board. Returns the image's path."""
    image = os.path.join(str(out_dir), "app.romfs")
    subprocess.run([sys.executable, os.path.join(ROOT, "tools", "build_mpy.py"),
                    "--out", os.path.join(str(out_dir), "mpy"), "--romfs", image,
                    "--app", app], check=True, capture_output=True, timeout=300)
    return image


def romfs_launch(image, app, app_heap_kb):
    """(script, heapsize, args) for start_app: run `app` (compiled into
    `image`) under tools/romfs_run.py with `app_heap_kb` KB of heap besides
    the image, which a board keeps in flash."""
    kb = app_heap_kb + (os.path.getsize(image) + 1023) // 1024
    return ROMFS_RUN, "%dk" % kb, (image, "-m", os.path.basename(app)[:-3])


_romfs_images = {}


@pytest.fixture(scope="session")
def mpy_dir(tmp_path_factory):
    """tools/build_mpy.py's .mpy build of the package, as users make it
    (put it first on the path: extra_path=[mpy_dir])."""
    out = str(tmp_path_factory.mktemp("mpy"))
    subprocess.run([os.path.join(VENV_BIN, "python"), os.path.join(ROOT, "tools", "build_mpy.py"),
                    "--out", out], check=True, capture_output=True, timeout=120)
    return out


def app_cmd(runtime, path, heapsize=None, args=()):
    """The command line that runs the app script at `path` under `runtime`
    (for micropython-romfs, `heapsize` is the heap besides the image)."""
    if runtime in ROMFS_RUNTIMES:
        image = _romfs_images.get(path)
        if image is None:
            out = tempfile.mkdtemp(prefix="ahttp-romfs-")
            atexit.register(shutil.rmtree, out, True)
            image = _romfs_images[path] = romfs_build(path, out)
        kb = int(heapsize.rstrip("kK")) if heapsize else ROMFS_HEAP_KB
        script, heap, rargs = romfs_launch(image, path, kb)
        return [micropython_exe(), "-X", "heapsize=" + heap, script] + list(rargs) + list(args)
    return runtime_cmd(runtime, heapsize) + [path] + list(args)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def runtime_env(runtime, extra_path=()):
    """Environment for a child process: ahttp importable from the repo."""
    env = dict(os.environ)
    paths = list(extra_path) + [ROOT, TESTS]
    if runtime in SYNC_RUNTIMES:
        paths.insert(0, NO_ASYNCIO)
    runtime = base_runtime(runtime)
    if runtime.startswith("micropython"):
        # MICROPYPATH replaces sys.path: keep .frozen (asyncio lives there).
        env["MICROPYPATH"] = ":".join(paths + [".frozen"])
    else:
        env["PYTHONPATH"] = os.pathsep.join(paths)
    return env


class AppProcess:
    def __init__(self, proc, host, port, log_path):
        self.proc = proc
        self.host = host
        self.port = port
        self.url = "http://%s:%d" % (host, port)
        self.log_path = log_path

    def log(self):
        try:
            with open(self.log_path, "r", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def wait_port(host, port, proc, timeout=20.0, log=""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("server exited with %s before listening:\n%s"
                               % (proc.returncode, log()))
        try:
            socket.create_connection((host, port), 0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("server did not listen on %s:%d within %ss:\n%s"
                       % (host, port, timeout, log()))


@pytest.fixture(params=ASYNC_RUNTIMES)
def runtime(request):
    return request.param


@pytest.fixture
def start_app(tmp_path):
    """start_app(script, runtime, heapsize=None, env=None, args=()) -> AppProcess.

    `script` is a path relative to the repo root (e.g. "tests/apps/basic.py")
    or absolute. Extra environment variables go in `env`.
    """
    started = []

    def start(script, runtime, heapsize=None, env=None, args=(), cwd=None,
              extra_path=(), timeout=20.0):
        path = script if os.path.isabs(script) else os.path.join(ROOT, script)
        port = free_port()
        host = "127.0.0.1"
        e = runtime_env(runtime, extra_path)
        e["AHTTP_PORT"] = str(port)
        e["AHTTP_HOST"] = host
        if env:
            e.update(env)
        log_path = str(tmp_path / ("server-%d.log" % len(started)))
        logf = open(log_path, "wb")
        proc = subprocess.Popen(app_cmd(runtime, path, heapsize, args),
                                stdout=logf, stderr=subprocess.STDOUT, env=e,
                                cwd=cwd or os.path.dirname(path))
        logf.close()
        app = AppProcess(proc, host, port, log_path)
        started.append(app)
        wait_port(host, port, proc, timeout, app.log)
        return app

    yield start
    for app in started:
        app.stop()


def raw_request(port, data, timeout=5.0, read_until_close=True, host="127.0.0.1"):
    """Send raw bytes and return everything the server sends back until it
    closes the connection (or `timeout` passes with nothing new)."""
    s = socket.create_connection((host, port), timeout)
    try:
        if data:
            s.sendall(data)
        chunks = []
        s.settimeout(timeout)
        while True:
            try:
                b = s.recv(65536)
            except socket.timeout:
                break
            except ConnectionResetError:
                break
            if not b:
                break
            chunks.append(b)
            if not read_until_close:
                break
        return b"".join(chunks)
    finally:
        s.close()


@pytest.fixture(scope="module")
def start_app_module(tmp_path_factory):
    """Module-scoped variant of `start_app` (same signature): one server per
    test module (and per runtime, when the caller's fixture is parametrized),
    stopped when the module's tests are done."""
    started = []
    log_dir = tmp_path_factory.mktemp("server-logs")

    def start(script, runtime, heapsize=None, env=None, args=(), cwd=None,
              extra_path=(), timeout=20.0):
        path = script if os.path.isabs(script) else os.path.join(ROOT, script)
        port = free_port()
        host = "127.0.0.1"
        e = runtime_env(runtime, extra_path)
        e["AHTTP_PORT"] = str(port)
        e["AHTTP_HOST"] = host
        if env:
            e.update(env)
        log_path = str(log_dir / ("server-%d.log" % len(started)))
        logf = open(log_path, "wb")
        proc = subprocess.Popen(app_cmd(runtime, path, heapsize, args),
                                stdout=logf, stderr=subprocess.STDOUT, env=e,
                                cwd=cwd or os.path.dirname(path))
        logf.close()
        app = AppProcess(proc, host, port, log_path)
        app.runtime = runtime
        started.append(app)
        wait_port(host, port, proc, timeout, app.log)
        return app

    yield start
    for app in started:
        app.stop()


BIG_SIZE = 200 * 1024


def big_bytes():
    """The deterministic content of tests/apps/www/big.bin."""
    import random
    return random.Random(1234).randbytes(BIG_SIZE)


@pytest.fixture(scope="session")
def www_big():
    """Create tests/apps/www/big.bin (200 KB, not committed) and return its
    content. Written only when missing or different, so parallel workers
    and repeated runs leave its mtime (and so its ETag) alone."""
    data = big_bytes()
    path = os.path.join(TESTS, "apps", "www", "big.bin")
    try:
        with open(path, "rb") as f:
            if f.read() == data:
                return data
    except OSError:
        pass
    tmp = path + ".%d.tmp" % os.getpid()
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)
    return data
