"""MicroPython 1.20 and older name the asyncio package `uasyncio`
(`import asyncio` fails there). SPEC promises MicroPython 1.20+: the
async server, SSE and WebSocket must run with asyncio importable only as
uasyncio. tests/uasyncio_launch.py makes the MicroPython here look so (the
frozen package loaded whole, then renamed) and runs tests/apps/uasyncio_app.py,
written as a 1.20 user writes an app, over real sockets."""
import os
import socket

import httpx
import pytest
from websockets.sync.client import connect

from conftest import ROOT

LAUNCH = os.path.join(ROOT, "tests", "uasyncio_launch.py")
APP = os.path.join(ROOT, "tests", "apps", "uasyncio_app.py")
TIMEOUT = 10


@pytest.fixture(scope="module")
def old(start_app_module):
    return start_app_module(LAUNCH, "micropython", args=[APP])


def test_the_server_runs_on_uasyncio_without_a_second_copy(old):
    mods = httpx.get(old.url + "/mods", timeout=TIMEOUT).json()
    # `asyncio` is the alias the server registers; every module is loaded
    # once, under its uasyncio name (an `asyncio.stream` here would be a
    # second Stream class, and the server's type checks would miss it)
    assert "asyncio" in mods and "uasyncio.stream" in mods, mods
    assert not [m for m in mods if m.startswith("asyncio.")], mods


def test_plain_replies_bodies_and_keep_alive(old):
    with httpx.Client(base_url=old.url, timeout=TIMEOUT) as c:
        for _ in range(20):
            r = c.get("/hello")
            assert (r.status_code, r.text) == (200, "Hello, world!\n")
        body = os.urandom(10000)
        r = c.post("/echo", content=body)
        assert r.status_code == 200 and r.content == body
        r = c.get("/stream")
        assert r.headers["transfer-encoding"] == "chunked"
        assert r.text == "".join("line %d\n" % i for i in range(10))
        assert c.get("/nowhere").status_code == 404


def test_a_malformed_request_gets_400_and_the_server_goes_on(old):
    with socket.create_connection((old.host, old.port), timeout=TIMEOUT) as s:
        s.sendall(b"GET /hello HTTP/1.1\r\nHost x\r\n\r\n")
        assert s.recv(100).startswith(b"HTTP/1.1 400 ")
    assert httpx.get(old.url + "/hello", timeout=TIMEOUT).status_code == 200


def test_server_sent_events(old):
    with httpx.stream("GET", old.url + "/events", timeout=TIMEOUT) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        text = "".join(r.iter_text())
    assert text == "".join("id: %d\ndata: tick %d\n\n" % (i, i) for i in range(3))


def test_websocket_echo(old):
    with connect("ws://%s:%d/ws" % (old.host, old.port), open_timeout=TIMEOUT) as ws:
        for message in ("hé", "x" * 5000, b"\x00\xff" * 3000):
            ws.send(message)
            assert ws.recv(TIMEOUT) == message
    assert old.alive()
