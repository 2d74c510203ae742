"""Slow clients: trickled request heads (slowloris), idle keep-alive
connections and clients that stop reading are all dropped by the server's
timeouts (robust_app: head_timeout=2, idle_timeout=3, send_timeout=2),
while other clients go on being served. Time limits here are generous
upper bounds for "eventually", never measurements.
"""
import json
import select
import socket
import time

import pytest

from rawhttp import RawConnection, get

pytestmark = pytest.mark.timeout(120)

HEAD = b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: yes\r\n\r\n"


@pytest.fixture(scope="module", params=["cpython", "micropython"])
def server(request, start_app_module):
    return start_app_module("tests/apps/robust_app.py", request.param)


def served(port, path="/"):
    with RawConnection(port, timeout=10) as c:
        c.send(get(path))
        return c.read_response()


def mem(port):
    return json.loads(served(port, "/_mem").body)


def gone(s):
    """True when the peer closed `s` (EOF or reset)."""
    try:
        return s.recv(4096) == b""
    except OSError:
        return True


def test_slowloris_is_dropped_and_others_are_served(server):
    slow = [socket.create_connection(("127.0.0.1", server.port), 10) for _ in range(20)]
    open_ = list(slow)
    sent = 0
    normal = []
    answered = []
    t0 = time.monotonic()
    try:
        while open_ and time.monotonic() - t0 < 30 and sent < len(HEAD) - 1:
            for s in list(open_):
                try:
                    s.send(HEAD[sent:sent + 1])
                except OSError:
                    open_.remove(s)
            sent += 1
            normal.append(served(server.port).status)      # others: served
            deadline = time.monotonic() + 1.0
            while open_ and time.monotonic() < deadline:
                r, _, _ = select.select(open_, [], [], max(0, deadline - time.monotonic()))
                for s in r:
                    try:
                        data = s.recv(4096)
                    except OSError:
                        data = b""
                    if data:
                        answered.append(data)
                    open_.remove(s)
                if not r:
                    break
    finally:
        for s in slow:
            s.close()
    assert not open_, "%d of 20 trickling connections still open after %d bytes each" % (
        len(open_), sent)
    assert sent < len(HEAD) - 1, "the heads were never cut off"
    assert not answered, answered[:2]             # closed, not answered
    assert normal and set(normal) == {200}, normal
    assert served(server.port).status == 200
    assert server.alive()


def test_idle_connection_without_a_request_is_closed(server):
    s = socket.create_connection(("127.0.0.1", server.port), 10)
    try:
        r, _, _ = select.select([s], [], [], 20)
        assert r and gone(s), "an idle connection was kept open"
    finally:
        s.close()


def test_idle_keep_alive_connection_is_closed_after_its_request(server):
    with RawConnection(server.port, timeout=20) as c:
        c.send(get("/"))
        r = c.read_response()
        assert r.status == 200 and r.header("connection") is None   # kept alive
        assert c.wait_closed(20), "idle keep-alive connection never closed"
        assert c.extra == b""


def test_client_that_stops_reading_is_dropped_after_the_send_timeout(server):
    before = mem(server.port)["stats"]["send_timeouts"]
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(10)
    s.connect(("127.0.0.1", server.port))
    try:
        s.sendall(get("/big/8192"))               # 8 MB, never read
        deadline = time.monotonic() + 15
        m = mem(server.port)
        while time.monotonic() < deadline:
            m = mem(server.port)
            if m["stats"]["send_timeouts"] > before and m["conns"] == 1:
                break
            time.sleep(0.5)
        assert m["stats"]["send_timeouts"] == before + 1, m
        assert m["conns"] == 1, m                  # the stalled one is gone
        # what we now read is a finite prefix, then the end
        got = 0
        s.settimeout(10)
        while True:
            try:
                b = s.recv(65536)
            except OSError:
                break
            if not b:
                break
            got += len(b)
        assert got < 8192 * 1024
    finally:
        s.close()
    assert served(server.port).status == 200
