"""The sync variant's own guarantees, beyond the shared integration suite
(which runs against it as the sync-cpython / sync-micropython /
sync-micropython-1.11 runtimes):
no asyncio anywhere on its import path, twins that declare the same routes
as the async test apps, the handler-thread cap, and the WiPy example.
"""
import os
import re
import subprocess

import httpx
import pytest

from conftest import NO_ASYNCIO, ROOT, SYNC_RUNTIMES, micropython_exe, micropython11_exe

pytestmark = pytest.mark.timeout(60)


@pytest.mark.parametrize("version", ["current", "1.11"])
def test_import_ahttp_sync_works_on_a_micropython_without_asyncio(version):
    # (asyncio is tried last: v1.11 keeps a module whose import failed in
    # sys.modules)
    code = ("import sys\n"
            "import ahttp.sync\n"
            "from ahttp.sync import HTTPServer, HTTPResponse, sendfile, EventSource, WebSocket\n"
            "print(sorted(m for m in sys.modules if 'asyncio' in m or m in ('ahttp.server', 'ahttp.response', 'ahttp.sse', 'ahttp.ws')))\n"
            "try:\n import asyncio\n print('asyncio present')\n"
            "except ImportError:\n print('no asyncio')\n")
    env = dict(os.environ, MICROPYPATH=":".join([NO_ASYNCIO, ROOT, ".frozen"]))
    exe = micropython_exe() if version == "current" else micropython11_exe()
    out = subprocess.run([exe, "-c", code], env=env, capture_output=True,
                         timeout=30).stdout.decode()
    assert out.split("\n")[:2] == ["[]", "no asyncio"], out


def routes(path):
    """The (methods, path) pairs an app file declares, in order."""
    with open(os.path.join(ROOT, path)) as f:
        src = f.read()
    found = re.findall(r'(?:route|add_route)\((\[[^\]]*\]|"[A-Z]+")\s*,\s*"([^"]*)"', src)
    found += re.findall(r'\((\[[^\]]*\]|"[A-Z]+"),\s*"([^"]*)",\s*\w+\)', src)
    return sorted(set(found))


@pytest.mark.parametrize("name", ["basic", "sse_app", "ws_app"])
def test_sync_twin_declares_the_same_routes(name):
    ours = routes("tests/apps/%s_sync.py" % name)
    assert ours and ours == routes("tests/apps/%s.py" % name)


@pytest.mark.parametrize("runtime", SYNC_RUNTIMES)
def test_thread_cap_answers_503_and_the_server_goes_on(start_app, runtime):
    # two threads: two streams run, the third gets 503, plain routes work
    import socket
    app = start_app("tests/apps/sse_app.py", runtime, env={"SSE_THREADS": "2"})
    held = []
    try:
        for i in range(3):
            s = socket.create_connection(("127.0.0.1", app.port), 10)
            held.append(s)
            s.sendall(b"GET /ticker?every=30 HTTP/1.1\r\nHost: t\r\n\r\n")
            head = s.recv(200)
            assert head.startswith(b"HTTP/1.1 200" if i < 2 else b"HTTP/1.1 503"), (i, head)
        assert httpx.get(app.url + "/debug/stats", timeout=10).json()["active"] == 2
    finally:
        for s in held:
            s.close()


@pytest.mark.parametrize("runtime", ["cpython", "micropython", "micropython-1.11"])
def test_wipy_example_serves_page_and_live_feed(start_app, runtime):
    env = {"MICROPYPATH": ":".join([NO_ASYNCIO, ROOT, ".frozen"]),
           "SENSOR_INTERVAL": "0.05"}
    app = start_app("examples/wipy_sync.py", runtime, env=env)
    assert "serving on http://127.0.0.1:%d/" % app.port in app.log()
    assert "EventSource" in httpx.get(app.url + "/", timeout=10).text
    got = []
    with httpx.stream("GET", app.url + "/events", timeout=10) as r:
        assert r.headers["content-type"] == "text/event-stream"
        for line in r.iter_lines():
            if line.startswith("id: "):
                got.append(int(line[4:]))
                if len(got) == 3:
                    break
    assert got == [1, 2, 3]
    assert "t" in httpx.get(app.url + "/api/reading", timeout=10).json()


# The heap docs/sync.md gives for the WiPy example on v1.11 from source
# (measured: 204k, 3 runs of 3, 200k fails; from v4 .mpy files 112k).
WIPY_HEAP_V111 = "208k"


def test_wipy_example_serves_100_requests_in_its_documented_heap_on_v1_11(start_app):
    env = {"MICROPYPATH": ":".join([NO_ASYNCIO, ROOT]), "SENSOR_INTERVAL": "0.05"}
    app = start_app("examples/wipy_sync.py", "micropython-1.11", heapsize=WIPY_HEAP_V111,
                    env=env)
    with httpx.Client(base_url=app.url, timeout=10) as c:
        for i in range(50):
            assert "EventSource" in c.get("/", headers={"Connection": "close"}).text
            assert "t" in c.get("/api/reading", headers={"Connection": "close"}).json()
    with httpx.stream("GET", app.url + "/events", timeout=10) as r:
        ids = []
        for line in r.iter_lines():
            if line.startswith("id: "):
                ids.append(line)
                if len(ids) == 3:
                    break
    assert ids == ["id: 1", "id: 2", "id: 3"]
    assert app.alive(), app.log()
