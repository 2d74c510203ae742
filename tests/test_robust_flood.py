"""Connection floods: more clients than max_connections get an immediate
503 with Retry-After (not queued) and the server recovers when they leave;
1,000 connect/abort cycles (RST through SO_LINGER 0) leave no connection,
file descriptor or (MicroPython) heap behind.
"""
import json
import os
import socket
import struct
import time

import pytest

from rawhttp import RawConnection, ProtocolError, get

pytestmark = pytest.mark.timeout(180)

CYCLES = 1000
HEAP_SLACK = 8 * 1024


def served(port, path="/"):
    with RawConnection(port, timeout=10) as c:
        c.send(get(path))
        return c.read_response()


def mem(port):
    return json.loads(served(port, "/_mem").body)


def fds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def settled_fds(pid, at_most, limit=10):
    """The process's open file descriptors, polled until there are no more
    than `at_most` (the last connection's close is asynchronous: its socket
    may still be open just after the response) or the time limit passes.
    A leak stays; a closing socket does not."""
    deadline = time.monotonic() + limit
    while True:
        n = fds(pid)
        if n <= at_most or time.monotonic() > deadline:
            return n
        time.sleep(0.1)


def settle(server, want_conns=1, limit=15):
    """/_mem once the server is back to `want_conns` open connections
    (polled: closes are asynchronous), or the last reading."""
    deadline = time.monotonic() + limit
    while True:
        m = mem(server.port)
        if m["conns"] <= want_conns or time.monotonic() > deadline:
            return m
        time.sleep(0.2)


def test_clients_over_max_connections_get_503_and_the_server_recovers(runtime, start_app):
    server = start_app("tests/apps/robust_app.py", runtime,
                       env={"AHTTP_OPTIONS": json.dumps({"max_connections": 8,
                                                         "idle_timeout": 60})})
    holders = []
    try:
        for _ in range(8):          # fill every slot with a kept-alive connection
            c = RawConnection(server.port, timeout=10)
            holders.append(c)
            c.send(get("/"))
            assert c.read_response().status == 200
        extra = []
        for _ in range(12):
            with RawConnection(server.port, timeout=10) as c:
                c.send(get("/"))
                try:
                    r = c.read_response()
                except ProtocolError:
                    r = None
                extra.append(r)
                if r is not None:
                    assert c.wait_closed(10)
        assert all(r is not None and r.status == 503 for r in extra), extra
        assert all(r.header("retry-after") == "1" for r in extra)
        # the holders were not disturbed
        for c in holders:
            c.send(get("/json/3"))
            assert c.read_response().status == 200
    finally:
        for c in holders:
            c.close()
    deadline = time.monotonic() + 15
    while True:      # slots free up as the holders' closes are noticed
        status = served(server.port).status
        if status == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert status == 200
    m = settle(server)
    assert m["conns"] == 1, m
    assert server.alive()


def rst_close(s):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


def abort_cycles(port, n):
    for i in range(n):
        s = socket.create_connection(("127.0.0.1", port), 10)
        k = i % 4
        if k == 1:
            s.send(b"GET / HT")                      # part of a head
        elif k == 2:
            s.send(get("/"))                         # a whole request
        elif k == 3:
            s.send(get("/static/blob.bin"))          # mid-response
            s.recv(100)
        rst_close(s)


def test_connect_abort_cycles_leak_nothing(runtime, start_app):
    server = start_app("tests/apps/robust_app.py", runtime)
    abort_cycles(server.port, 100)                   # warm-up: lazy imports
    base = settle(server)
    base_fds = min(settled_fds(server.proc.pid, 0, limit=0.5), fds(server.proc.pid))
    abort_cycles(server.port, CYCLES)
    after = settle(server)
    after_fds = settled_fds(server.proc.pid, base_fds)
    assert server.alive(), server.log()[-3000:]
    assert served(server.port).status == 200
    assert after["conns"] == 1, after
    assert after_fds <= base_fds, (base_fds, after_fds)
    if runtime == "micropython":
        assert after["alloc"] <= base["alloc"] + HEAP_SLACK, (base, after)
    print("%s: %d cycles, fds %d -> %d, heap %s -> %s" % (
        runtime, CYCLES, base_fds, after_fds, base["alloc"], after["alloc"]))
