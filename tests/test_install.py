"""Every way of installing ahttp works end to end: mip from a URL, mpremote
driving a "board" (the unix port on a pseudo-terminal), a precompiled .mpy
build, and pip. Each test installs into a temporary directory, runs the
installed copy with the repository kept off the import path, and requests
examples/hello.py from it over 127.0.0.1.
"""
import contextlib
import functools
import glob
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import zipfile

import httpx
import pytest

from conftest import ROOT, free_port, micropython_exe, micropython120_exe, wait_port

TOOLS = os.path.join(ROOT, "tools")
sys.path.insert(0, TOOLS)
import build_mpy  # noqa: E402
import gen_mip  # noqa: E402

HELLO = os.path.join(ROOT, "examples", "hello.py")
MPREMOTE = os.path.join(ROOT, ".venv", "bin", "mpremote")


def mpremote_cmd():
    if os.path.exists(MPREMOTE):
        return [MPREMOTE]
    return [sys.executable, "-m", "mpremote"]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serve_directory(directory):
    """A static HTTP server on 127.0.0.1 (a thread of this process), like
    raw.githubusercontent.com serving the repository to mip."""
    handler = functools.partial(_QuietHandler, directory=directory)
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        yield "http://127.0.0.1:%d" % srv.server_address[1]
    finally:
        srv.shutdown()
        srv.server_close()
        t.join(5)


def micropython_run(code, path, cwd, timeout=60):
    """Run `code` under micropython with sys.path = path + .frozen only."""
    env = dict(os.environ)
    env["MICROPYPATH"] = ":".join(list(path) + [".frozen"])
    return subprocess.run([micropython_exe(), "-c", code], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)


def installed_files(target):
    out = []
    for dirpath, _, names in os.walk(target):
        for n in names:
            rel = os.path.relpath(os.path.join(dirpath, n), target)
            out.append(rel.replace(os.sep, "/"))
    return sorted(out)


def listed(manifest_dir=ROOT, name="mip.json"):
    """The target paths a manifest names (test_mip_json_lists_exactly_the_
    package_files checks those against ahttp/)."""
    with open(os.path.join(manifest_dir, name)) as f:
        return sorted(u[0] for u in json.load(f)["urls"])


def copy_hello(tmp_path):
    """examples/hello.py alone in a directory, so neither the script's own
    directory nor its parent (which it puts on sys.path to run from a
    checkout) holds an ahttp package."""
    if not os.path.exists(HELLO):
        pytest.fail("examples/hello.py is missing")
    d = tmp_path / "app" / "examples"
    d.mkdir(parents=True)
    shutil.copy(HELLO, d / "hello.py")
    return str(d / "hello.py")


def assert_hello(url):
    r = httpx.get(url + "/", timeout=10)
    assert r.status_code == 200
    assert "Hello" in r.text


def module_origin(path, cwd):
    """__file__ of the package's first module, imported from `path`."""
    mod = gen_mip._module_name(gen_mip.package_files(ROOT)[0])
    r = micropython_run("import %s as m; print(m.__file__)" % mod, path, cwd)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout.strip()


# --- manifests -----------------------------------------------------------

def test_mip_json_lists_exactly_the_package_files():
    """mip.json (and the subset manifests) match ahttp/ as it is now."""
    expected = gen_mip.variants(ROOT)
    stale = []
    for name, obj in sorted(expected.items()):
        try:
            with open(os.path.join(ROOT, name)) as f:
                current = f.read()
        except OSError:
            current = None
        if current != gen_mip.dumps(obj):
            stale.append(name)
    assert not stale, ("%s out of date with ahttp/: run `python tools/gen_mip.py`"
                       % ", ".join(stale))
    assert listed() == gen_mip.package_files(ROOT)


def test_subset_manifests_follow_imports(tmp_path):
    """The core subset follows every import; the sync subset skips the async
    driver that ahttp/__init__.py imports lazily."""
    pkg = tmp_path / "ahttp"
    (pkg / "sub").mkdir(parents=True)
    (tmp_path / "pyproject.toml").write_text('[project]\nversion = "9.9"\n')
    files = {
        "__init__.py": "from ._a import x\ndef __getattr__(n):\n"
                       "    from .server import S\n    return S\n",
        "_a.py": "x = 1\n",
        "_b.py": "y = 2\n",
        "_c.py": "z = 3\n",
        "server.py": "import asyncio\nfrom . import response\n",
        "response.py": "from ahttp._a import x\n",
        "sse.py": "from ._b import y\n",
        "ws.py": "from ._c import z\n",
        "sync.py": "from ahttp import _b\nfrom .sub import w\n",
        "sub/__init__.py": "from .._a import x\nw = x\n",
    }
    for name, text in files.items():
        (pkg / name).write_text(text)
    v = gen_mip.variants(str(tmp_path))
    names = {k: [u[0][len("ahttp/"):] for u in m["urls"]] for k, m in v.items()}
    assert names["mip.json"] == sorted(files)
    assert names["package-core.json"] == [
        "__init__.py", "_a.py", "_b.py", "response.py", "server.py", "sse.py"]
    assert names["package-sync.json"] == [
        "__init__.py", "_a.py", "_b.py", "sub/__init__.py", "sync.py"]
    assert all(m["version"] == "9.9" for m in v.values())


def test_manifest_py_freezes_the_whole_package():
    calls = []
    scope = {
        "package": lambda *a, **k: calls.append(("package", a, k)),
        "metadata": lambda **k: calls.append(("metadata", (), k)),
        "module": lambda *a, **k: calls.append(("module", a, k)),
        "require": lambda *a, **k: calls.append(("require", a, k)),
        "include": lambda *a, **k: calls.append(("include", a, k)),
    }
    with open(os.path.join(ROOT, "manifest.py")) as f:
        exec(compile(f.read(), "manifest.py", "exec"), scope)
    assert ("package", ("ahttp",), {}) in calls
    meta = [k for kind, _, k in calls if kind == "metadata"]
    assert meta and meta[0]["version"] == gen_mip.version(ROOT)


# --- mip -----------------------------------------------------------------

def test_mip_installs_from_a_url_and_the_installed_copy_serves(tmp_path, start_app):
    """The code path of `mip.install("github:OWNER/REPO/mip.json")` on a
    board: fetch the manifest, then each file relative to it."""
    target = str(tmp_path / "lib")
    with serve_directory(ROOT) as base:
        r = micropython_run("import mip; mip.install(%r, target=%r)"
                            % (base + "/mip.json", target), [], str(tmp_path))
    assert r.returncode == 0, r.stdout + r.stderr
    assert installed_files(target) == listed(), r.stdout
    assert module_origin([target], str(tmp_path)).startswith(target)

    app = start_app(copy_hello(tmp_path), "micropython",
                    env={"MICROPYPATH": target + ":.frozen"})
    assert_hello(app.url)


def test_mip_installs_the_mpy_build(tmp_path):
    out = str(tmp_path / "mpy")
    build_mpy.build(out, quiet=True)
    target = str(tmp_path / "lib")
    with serve_directory(out) as base:
        r = micropython_run("import mip; mip.install(%r, target=%r)"
                            % (base + "/mip.json", target), [], str(tmp_path))
    assert r.returncode == 0, r.stdout + r.stderr
    assert installed_files(target) == listed(out), r.stdout
    assert all(p.endswith(".mpy") for p in listed(out))
    origin = module_origin([target], str(tmp_path))
    assert origin.endswith(".mpy"), origin


# --- .mpy build ----------------------------------------------------------

def test_mpy_build_in_dist_imports_and_serves(tmp_path, start_app):
    dist = os.path.join(ROOT, "dist", "mpy")
    subprocess.run([sys.executable, os.path.join(TOOLS, "build_mpy.py")],
                   check=True, timeout=120, capture_output=True)
    built = installed_files(os.path.join(dist, "ahttp"))
    assert built and all(p.endswith(".mpy") for p in built)
    assert len(built) == len(gen_mip.package_files(ROOT))
    # Every module loads from bytecode alone (no .py anywhere on the path).
    mods = [gen_mip._module_name(p) for p in gen_mip.package_files(ROOT)]
    r = micropython_run("for m in %r: __import__(m)" % (mods,), [dist],
                        str(tmp_path))
    assert r.returncode == 0, r.stdout + r.stderr

    app = start_app(copy_hello(tmp_path), "micropython",
                    env={"MICROPYPATH": dist + ":.frozen"})
    assert_hello(app.url)


# --- the committed .mpy tree (mpy/) ----------------------------------------

RELEASE = os.path.join(ROOT, build_mpy.RELEASE_DIR)
CORE_APP = os.path.join(ROOT, "tests", "apps", "core_app.py")


def release_problems():
    """Why mpy/ does not match the sources, as a list of lines (empty when
    it does). Checked without mpy-cross: the tree names every module, each
    .mpy is the file recorded for it, and each record's source sha256 is
    the source's now."""
    try:
        with open(os.path.join(RELEASE, build_mpy.RECORD)) as f:
            record = json.load(f)
    except (OSError, ValueError) as e:
        return ["%s: %s" % (build_mpy.RECORD, e)]
    problems = []
    sources = gen_mip.package_files(ROOT)
    rows = {row[0]: row for row in record["modules"]}
    for rel in sorted(set(sources) - set(rows)):
        problems.append("%s: not built" % rel)
    for rel in sorted(set(rows) - set(sources)):
        problems.append("%s: built, but no longer a module" % rel)
    for rel in sources:
        if rel not in rows:
            continue
        src, src_sha, mpy, mpy_sha = rows[rel]
        if mpy != rel[:-3] + ".mpy":
            problems.append("%s: recorded as %s" % (rel, mpy))
        elif build_mpy.sha256_file(os.path.join(ROOT, rel)) != src_sha:
            problems.append("%s: changed since %s was built" % (rel, mpy))
        elif not os.path.exists(os.path.join(RELEASE, mpy)):
            problems.append("%s: missing" % mpy)
        elif build_mpy.sha256_file(os.path.join(RELEASE, mpy)) != mpy_sha:
            problems.append("%s: not the file that was built" % mpy)
    for name, text in sorted(build_mpy.mpy_manifests(ROOT).items()):
        try:
            with open(os.path.join(RELEASE, name)) as f:
                current = f.read()
        except OSError:
            current = None
        if current != text:
            problems.append("%s: out of date" % name)
    expected = set(build_mpy.mpy_manifests(ROOT)) | {build_mpy.RECORD}
    expected |= {rel[:-3] + ".mpy" for rel in sources}
    for extra in sorted(set(installed_files(RELEASE)) - expected):
        problems.append("%s: not part of a build" % extra)
    return problems


def test_committed_mpy_tree_is_built_from_the_current_sources(tmp_path):
    """mpy/ (what `mip install github:OWNER/REPO/mpy/...` serves) holds
    every module, compiled from the sources as they are now to bytecode v6;
    with the mpy-cross that built it, a fresh build is byte for byte the
    same."""
    problems = release_problems()
    assert not problems, ("mpy/ is out of step with ahttp/:\n  %s\nrun `%s` "
                          "and commit mpy/" % ("\n  ".join(problems),
                                                 build_mpy.REFRESH))
    for rel in listed(RELEASE):
        with open(os.path.join(RELEASE, rel), "rb") as f:
            head = f.read(4)
        # "M", the format's major version, no native code (arch 0)
        assert head[:2] == b"M" + bytes([build_mpy.RELEASE_MPY]), (rel, head)
        assert head[2] >> 2 == 0, (rel, head)
    with open(os.path.join(RELEASE, build_mpy.RECORD)) as f:
        record = json.load(f)
    if build_mpy.mpy_cross_banner() == record["mpy-cross"]:
        fresh = str(tmp_path / "mpy")
        build_mpy.build(fresh, build_mpy.RELEASE_MPY, quiet=True)
        assert installed_files(fresh) == installed_files(RELEASE)
        differ = []
        for rel in installed_files(fresh):
            with open(os.path.join(fresh, rel), "rb") as a, \
                    open(os.path.join(RELEASE, rel), "rb") as b:
                if a.read() != b.read():
                    differ.append(rel)
        assert not differ, ("mpy/ differs from a fresh build by the same "
                            "mpy-cross (%s): run `%s` and commit mpy/"
                            % (", ".join(differ), build_mpy.REFRESH))


def test_release_check_names_a_changed_source(tmp_path, monkeypatch):
    """The check above fails, naming the module, when a source changes
    after the build."""
    root = str(tmp_path / "repo")
    shutil.copytree(os.path.join(ROOT, "ahttp"), os.path.join(root, "ahttp"),
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyi"))
    shutil.copy(os.path.join(ROOT, "pyproject.toml"), root)
    shutil.copytree(RELEASE, os.path.join(root, build_mpy.RELEASE_DIR))
    monkeypatch.setattr(sys.modules[__name__], "ROOT", root)
    monkeypatch.setattr(sys.modules[__name__], "RELEASE",
                        os.path.join(root, build_mpy.RELEASE_DIR))
    assert release_problems() == []
    with open(os.path.join(root, "ahttp", "sse.py"), "a") as f:
        f.write("\n# a change\n")
    assert release_problems() == ["ahttp/sse.py: changed since ahttp/sse.mpy was built"]


def assert_core_app_serves(url, origin_dir):
    r = httpx.get(url + "/", timeout=10)
    assert r.status_code == 200
    assert r.text.startswith("Hello from " + origin_dir), r.text
    assert r.text.rstrip().endswith(".mpy"), r.text
    with httpx.stream("GET", url + "/events", timeout=10) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        body = r.read().decode()
    events = [block for block in body.replace("\r\n", "\n").split("\n\n") if block]
    assert events == ['event: tick\nid: %d\ndata: {"i":%d}' % (i, i) for i in range(3)] \
        + ["event: end\ndata: done"], body


def test_mip_installs_the_committed_mpy_tree_and_it_serves(tmp_path, start_app):
    """`mip.install("github:OWNER/REPO/mpy/mip.json")` on a board: only
    bytecode arrives, every module imports from it, and an app serves a
    page and an SSE stream."""
    target = str(tmp_path / "lib")
    with serve_directory(ROOT) as base:
        r = micropython_run("import mip; mip.install(%r, target=%r)"
                            % (base + "/mpy/mip.json", target), [], str(tmp_path))
    assert r.returncode == 0, r.stdout + r.stderr
    files = installed_files(target)
    assert files == listed(RELEASE), r.stdout
    assert files and all(p.endswith(".mpy") for p in files)
    mods = [gen_mip._module_name(p) for p in gen_mip.package_files(ROOT)]
    r = micropython_run("for m in %r: __import__(m)\nimport ahttp; print(ahttp.__file__)"
                        % (mods,), [target], str(tmp_path))
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.strip() == os.path.join(target, "ahttp", "__init__.mpy")

    app_dir = tmp_path / "app"
    app_dir.mkdir()
    shutil.copy(CORE_APP, str(app_dir / "core_app.py"))
    app = start_app(str(app_dir / "core_app.py"), "micropython",
                    env={"MICROPYPATH": target + ":.frozen"})
    assert_core_app_serves(app.url, target)


def test_micropython_1_20_loads_the_committed_mpy_tree_and_it_serves(tmp_path, start_app):
    """MicroPython v1.20.0 (the oldest firmware the async server claims,
    format v6) loads every module of mpy/, whichever mpy-cross 1.2x built
    it, and the core app serves a page and an SSE stream from it."""
    mods = [gen_mip._module_name(p) for p in gen_mip.package_files(ROOT)]
    env = dict(os.environ)
    env["MICROPYPATH"] = RELEASE + ":.frozen"
    r = subprocess.run([micropython120_exe(), "-c",
                        "import sys\nfor m in %r: __import__(m)\nimport ahttp\n"
                        "print(sys.implementation.version[:2], ahttp.__file__)" % (mods,)],
                       env=env, cwd=str(tmp_path), capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.split() == ["(1,", "20)", os.path.join(RELEASE, "ahttp", "__init__.mpy")]

    app_dir = tmp_path / "app"
    app_dir.mkdir()
    shutil.copy(CORE_APP, str(app_dir / "core_app.py"))
    app = start_app(str(app_dir / "core_app.py"), "micropython-1.20",
                    env={"MICROPYPATH": RELEASE + ":.frozen"})
    assert_core_app_serves(app.url, RELEASE)


# --- mpremote ------------------------------------------------------------

@contextlib.contextmanager
def pty_board(tmp_path, env):
    """The unix port behind a pseudo-terminal, as mpremote sees a board."""
    link = str(tmp_path / "tty")
    log_path = str(tmp_path / "bridge.log")
    cwd = tmp_path / "board" / "flash"   # nothing importable here or above
    cwd.mkdir(parents=True)
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, os.path.join(TOOLS, "pty_bridge.py"), link,
             micropython_exe()], stdout=log, stderr=subprocess.STDOUT, env=env,
            cwd=str(cwd))
    child = None
    try:
        deadline = time.monotonic() + 20
        while child is None:
            with open(log_path) as f:
                m = re.search(r"ready \S+ pid (\d+)", f.read())
            if m:
                child = int(m.group(1))
            elif proc.poll() is not None or time.monotonic() > deadline:
                with open(log_path) as f:
                    pytest.fail("pty bridge did not start:\n" + f.read())
            else:
                time.sleep(0.05)
        yield link, proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        if child is not None:
            with contextlib.suppress(OSError):
                os.kill(child, 9)  # only if the bridge failed to end it


def mpremote(link, *args, timeout=60):
    r = subprocess.run(mpremote_cmd() + ["connect", link, "resume"] + list(args),
                       capture_output=True, text=True, timeout=timeout)
    assert r.returncode == 0, "mpremote %s failed:\n%s%s" % (
        " ".join(args), r.stdout, r.stderr)
    return r.stdout


def test_mpremote_installs_and_runs_on_a_board(tmp_path):
    """`mpremote mip install` then `mpremote run`, as docs/install.md tells a
    board user, against the unix port on a pseudo-terminal."""
    target = str(tmp_path / "lib")
    port = free_port()
    env = dict(os.environ)
    env["MICROPYPATH"] = ".frozen"       # the repo is not on the board's path
    env["AHTTP_PORT"] = str(port)
    env["AHTTP_HOST"] = "127.0.0.1"
    hello = copy_hello(tmp_path)
    with serve_directory(ROOT) as base, pty_board(tmp_path, env) as (link, proc):
        out = mpremote(link, "mip", "install", "--target", target,
                       base + "/mip.json")
        assert installed_files(target) == listed(), out

        check = tmp_path / "check.py"
        mod = gen_mip._module_name(gen_mip.package_files(ROOT)[0])
        check.write_text("import sys\nsys.path.insert(0, %r)\nimport %s as m\n"
                         "print('loaded from', m.__file__)\n" % (target, mod))
        out = mpremote(link, "run", str(check))
        assert "loaded from " + target in out

        # Start the example on the "board" and leave it running.
        main = tmp_path / "main.py"
        with open(hello) as f:
            main.write_text("import sys\nsys.path.insert(0, %r)\n" % target
                            + f.read())
        mpremote(link, "run", "--no-follow", str(main))
        wait_port("127.0.0.1", port, proc, 20, lambda: "(see the pty bridge)")
        assert_hello("http://127.0.0.1:%d" % port)


def test_mpremote_installs_the_committed_mpy_core_and_it_serves(tmp_path):
    """`mpremote mip install github:OWNER/REPO/mpy/package-core.json`: the
    core subset arrives as bytecode only, and an app run on the "board"
    from it serves a page and an SSE stream."""
    target = str(tmp_path / "lib")
    port = free_port()
    env = dict(os.environ)
    env["MICROPYPATH"] = ".frozen"
    env["AHTTP_PORT"] = str(port)
    env["AHTTP_HOST"] = "127.0.0.1"
    with serve_directory(ROOT) as base, pty_board(tmp_path, env) as (link, proc):
        out = mpremote(link, "mip", "install", "--target", target,
                       base + "/mpy/package-core.json")
        files = installed_files(target)
        assert files == listed(RELEASE, "package-core.json"), out
        assert files and all(p.endswith(".mpy") for p in files)

        main = tmp_path / "main.py"
        with open(CORE_APP) as f:
            main.write_text("import sys\nsys.path.insert(0, %r)\n" % target + f.read())
        mpremote(link, "run", "--no-follow", str(main))
        wait_port("127.0.0.1", port, proc, 20, lambda: "(see the pty bridge)")
        assert_core_app_serves("http://127.0.0.1:%d" % port, target)


# --- pip -----------------------------------------------------------------

def _build_wheel(src, out):
    base = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", out]
    r = subprocess.run(base + [src], capture_output=True, text=True, timeout=180)
    if r.returncode:
        # No registry for an isolated build env: try the local setuptools.
        r2 = subprocess.run(base + ["--no-build-isolation", src],
                            capture_output=True, text=True, timeout=180)
        assert r2.returncode == 0, r.stdout + r.stderr + r2.stdout + r2.stderr
    wheels = [n for n in os.listdir(out) if n.endswith(".whl")]
    assert len(wheels) == 1, wheels
    return os.path.join(out, wheels[0])


def test_pip_wheel_holds_every_module_and_imports_on_cpython(tmp_path):
    # Build from a copy so the build leaves nothing in the work tree.
    src = str(tmp_path / "src")
    shutil.copytree(os.path.join(ROOT, "ahttp"), os.path.join(src, "ahttp"),
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copy(os.path.join(ROOT, "pyproject.toml"), src)
    wheel = _build_wheel(src, str(tmp_path / "wheels"))

    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        meta = [n for n in names if n.endswith(".dist-info/METADATA")]
        metadata = z.read(meta[0]).decode()
    code = sorted(n for n in names if ".dist-info/" not in n and n.endswith(".py"))
    assert code == gen_mip.package_files(ROOT)
    # and, for editors, the type stubs and their PEP 561 marker (boards get
    # neither: the manifests list .py files only)
    typing = sorted(n for n in names if ".dist-info/" not in n and not n.endswith(".py"))
    stubs = sorted(os.path.relpath(p, ROOT).replace(os.sep, "/")
                   for p in glob.glob(os.path.join(ROOT, "ahttp", "*.pyi")))
    assert stubs and typing == sorted(stubs + ["ahttp/py.typed"])
    assert "Requires-Dist" not in metadata

    site = str(tmp_path / "site")
    r = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                        "--no-index", "--target", site, wheel],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    mods = [gen_mip._module_name(p) for p in gen_mip.package_files(ROOT)]
    env = dict(os.environ)
    env["PYTHONPATH"] = site
    r = subprocess.run(
        [sys.executable, "-c", "import importlib\n"
         "for m in %r: importlib.import_module(m)\n"
         "print(importlib.import_module(%r).__file__)" % (mods, mods[0])],
        capture_output=True, text=True, timeout=60, env=env, cwd=str(tmp_path))
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.strip().startswith(site)


# --- size report ---------------------------------------------------------

def test_size_report_has_a_row_per_module():
    r = subprocess.run([sys.executable, os.path.join(TOOLS, "size_report.py")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    for path in gen_mip.package_files(ROOT):
        assert "| `%s` |" % path in r.stdout
    assert "| **all** |" in r.stdout


def test_lazily_loaded_modules_end_with_the_marker():
    """_compat.load() waits for `_end = 1` (MicroPython has no import lock):
    a module it loads without the marker fails after a 5 s wait. Every
    module named in a load() or cold() call, or as a driver's body_module,
    has it."""
    pkg = os.path.join(ROOT, "ahttp")
    names = set()
    for fn in os.listdir(pkg):
        if fn.endswith(".py"):
            with open(os.path.join(pkg, fn)) as f:
                text = f.read()
            names.update(re.findall(r'\bload\("(\w+)"\)', text))
            names.update(re.findall(r'\bcold\([^,]+, "(\w+)"', text))
            names.update(re.findall(r'\bbody_module = "(\w+)"', text))
    assert {"_body", "_sync_body", "_app_cold", "_static"} <= names
    for name in sorted(names):
        with open(os.path.join(pkg, name + ".py")) as f:
            assert "\n_end = 1" in f.read(), name
