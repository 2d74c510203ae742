"""A small heap: MicroPython with a capped heap serves the hello / REST /
static subset (tests/apps/small.py), including more clients than fit.

Three ways the package reaches a board, each at the smallest heap we claim
for it (README), measured on this 64-bit unix port, where every pointer is
twice a 32-bit board's:

- romfs: the package and the app compiled into a ROMFS image (`mpremote
  romfs deploy`; MicroPython 1.25+), whose bytecode runs in place from
  flash. Passes at every heap tried from 59k to 80k (fails at 58k);
  tested at 64k.
- mpy: .mpy files on the board's filesystem, loaded into the heap: passes
  from 88k, tested at 96k.
- source: .py files, which need the compiler's peak: passes from 104k,
  tested at 128k.

Pass and fail were not monotonic in the heap size while the request-body
and static-file modules were loaded by the first request that needed them:
then the first PUT failed at exactly 64k but passed at 62k and 66k,
depending on where the connections had cut up the heap. They now load with
the first POST/PUT/PATCH route and with app.static().
"""
import json
import os
import subprocess
import time

import httpx
import pytest

from conftest import ROOT, VENV_BIN
from rawhttp import RawConnection, get
from websockets.sync.client import connect as ws_connect

pytestmark = pytest.mark.timeout(90)

HERE = os.path.dirname(os.path.abspath(__file__))
WWW = os.path.join(HERE, "apps", "www")


# romfs: the heap besides the image (conftest's micropython-romfs runtime
# compiles the package and the app into one, as `mpremote romfs deploy`
# puts them on a board)
HEAP = {"mpy": "96k", "source": "128k", "romfs": "64k"}


@pytest.fixture(scope="module", params=["mpy", "source", "romfs"])
def server(request, start_app_module, mpy_dir, www_big):
    small = os.path.join(HERE, "apps", "small.py")
    if request.param == "romfs":
        return start_app_module(small, "micropython-romfs", heapsize=HEAP["romfs"])
    extra = [mpy_dir] if request.param == "mpy" else []
    return start_app_module(small, "micropython",
                            heapsize=HEAP[request.param], extra_path=extra)


def test_hello(server):
    with httpx.Client(base_url=server.url, timeout=10) as c:
        for i in range(20):
            r = c.get("/")
            assert r.status_code == 200 and r.text == "hello"


def test_rest_resource(server):
    with httpx.Client(base_url=server.url, timeout=10) as c:
        for i in range(1, 11):
            r = c.put("/api/items/%d" % i, json={"name": "item %d" % i, "tags": ["a", "b"]})
            assert r.status_code == 201, r.text
            assert r.json() == {"id": i}
        assert c.get("/api/items").json() == list(range(1, 11))
        assert c.get("/api/items/3").json() == {"name": "item 3", "tags": ["a", "b"]}
        assert c.delete("/api/items/3").status_code == 204
        assert c.get("/api/items/3").status_code == 404
        assert c.get("/api/items/x").status_code == 404
        assert c.post("/api/items/1").status_code == 405


def test_static_files(server, www_big):
    with httpx.Client(base_url=server.url, timeout=20) as c:
        with open(os.path.join(WWW, "index.html"), "rb") as f:
            assert c.get("/static/").content == f.read()
        r = c.get("/static/big.bin")
        assert r.status_code == 200 and r.content == www_big
        r = c.get("/static/big.bin", headers={"Range": "bytes=100-199"})
        assert r.status_code == 206 and r.content == www_big[100:200]
        with open(os.path.join(WWW, "data.txt"), "rb") as f:
            assert c.get("/static/data.txt").content == f.read(), server.log()[-2000:]


def test_many_concurrent_connections(server):
    # More clients than fit at once: each is served or refused (503), the
    # server survives and keeps serving.
    conns = []
    try:
        for i in range(30):
            c = RawConnection(server.port, timeout=10)
            conns.append(c)
            c.send(get("/"))
        statuses = []
        for c in conns:
            try:
                statuses.append(c.read_response().status)
            except Exception:
                statuses.append(None)
        assert statuses.count(200) >= 1
        assert set(statuses) <= {200, 503, None}
    finally:
        for c in conns:
            c.close()
    assert server.alive(), server.log()
    # Then it serves again: at once, or (on a loaded machine) once the 30
    # connections' teardown has given their memory back. A refusal (503, or
    # a close when even that finds no memory) is allowed meanwhile; going
    # on refusing is not.
    deadline = time.monotonic() + 10
    while True:
        try:
            r = httpx.get(server.url + "/", timeout=10)
            if r.status_code == 200:
                break
            assert r.status_code == 503, r
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, server.log()[-2000:]
        time.sleep(0.2)
    assert r.text == "hello"
    # And every one of those connections was closed by the server: none
    # left half-closed (CLOSE-WAIT: the client gone, the server's socket
    # open), as when a full heap made its close step fail (fixed).
    deadline = time.monotonic() + 10
    while closing(server.port):
        assert time.monotonic() < deadline, (closing(server.port), server.log()[-2000:])
        time.sleep(0.2)


def closing(port):
    """How many server-side sockets on 127.0.0.1:port are in CLOSE-WAIT
    (Linux: /proc/net/tcp, local address first, state 08)."""
    mine = "0100007F:%04X" % port
    with open("/proc/net/tcp") as f:
        rows = [line.split() for line in f.readlines()[1:]]
    return sum(1 for r in rows if r[1] == mine and r[3] == "08")


# -- every feature at once ---------------------------------------------------------
# tests/apps/every_feature.py: 14 routes (every return shape, HTTPResponse
# with a body and streamed, sendfile, parameters, query, JSON and form
# bodies, redirect, abort), an event stream, a WebSocket echo and static
# files. .mpy files: passes from 160k (144k: one of the 10 clients at once
# gets a 503), source: from 192k (176k: MemoryError while it starts); it
# holds ~111 KB once serving (.mpy). Issue 18 asks for 96k and 160k.
EVERY_HEAP = {"mpy": "176k", "source": "208k"}


@pytest.fixture(scope="module", params=["mpy", "source"])
def every(request, start_app_module, mpy_dir):
    app = os.path.join(HERE, "apps", "every_feature.py")
    extra = [mpy_dir] if request.param == "mpy" else []
    return start_app_module(app, "micropython", heapsize=EVERY_HEAP[request.param],
                            extra_path=extra)


def exercise_every_feature(url, port):
    """Each route of tests/apps/every_feature.py once, checked."""
    with httpx.Client(base_url=url, timeout=10) as c:
        assert c.get("/").text == "Hello, world!"
        assert c.get("/json").json() == {"hello": "world", "n": [1, 2, 3]}
        r = c.get("/tuple")
        assert (r.status_code, r.text, r.headers["x-shape"]) == (201, "made", "tuple")
        assert c.get("/bytes").content == b"\x00\x01\x02"
        assert c.get("/response").text == "with a body"
        assert c.get("/stream").text == "part 0\npart 1\npart 2\n"
        with open(os.path.join(WWW, "readme.txt"), "rb") as f:
            assert c.get("/file").content == f.read()
        r = c.put("/items/7", json={"name": "seven"})
        assert (r.status_code, r.json()) == (201, {"id": 7})
        assert c.get("/items/7").json() == {"name": "seven"}
        assert c.delete("/items/7").status_code == 204
        r = c.get("/items/7")
        assert r.status_code == 404 and "no such item" in r.text
        r = c.post("/form?q=x", data={"name": "ahttp"})
        assert r.json() == {"name": "ahttp", "q": "x"}
        r = c.get("/old")
        assert (r.status_code, r.headers["location"]) == (302, "/")
        with c.stream("GET", "/events") as r:
            assert r.headers["content-type"].startswith("text/event-stream")
            body = r.read().decode()
        assert body.count("event: tick\n") == 3 and 'data: {"i": 2}' in body.replace(
            '{"i":2}', '{"i": 2}'), body
        with open(os.path.join(WWW, "index.html"), "rb") as f:
            assert c.get("/static/").content == f.read()
    with ws_connect("ws://127.0.0.1:%d/ws" % port, open_timeout=10) as ws:
        for m in ("one", b"two", "three" * 100):
            ws.send(m)
            assert ws.recv(timeout=10) == m


def test_every_feature_app(every):
    # each feature twice (the second round after the first has cut up the
    # heap), then 10 clients at once, then each feature again
    exercise_every_feature(every.url, every.port)
    exercise_every_feature(every.url, every.port)
    conns = []
    try:
        for i in range(10):
            c = RawConnection(every.port, timeout=10)
            conns.append(c)
            c.send(get("/json"))
        statuses = [c.read_response().status for c in conns]
    finally:
        for c in conns:
            c.close()
    assert statuses == [200] * 10, (str(statuses), every.log()[-2000:])
    exercise_every_feature(every.url, every.port)
    assert every.alive(), every.log()[-2000:]
