"""Handler faults: a handler that raises, one that never writes, one that
writes part of a response and raises, one whose headers would inject a
field. The client gets a 500, a complete response or a clean close (never
a truncated response that looks complete, never an injected header), and
the server goes on serving.
"""
import json
import socket

import pytest

from rawhttp import RawConnection, get

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module", params=["cpython", "micropython"])
def server(request, start_app_module):
    return start_app_module("tests/apps/robust_app.py", request.param)


def raw(port, data, timeout=10):
    """Everything the server sends until it closes."""
    with RawConnection(port, timeout=timeout) as c:
        c.send(data)
        c.sock.shutdown(socket.SHUT_WR)   # spares the server's lingering read
        while c._fill():
            pass
        return c.buf


def assert_serving(server):
    assert server.alive(), server.log()[-3000:]
    with RawConnection(server.port) as c:
        c.send(get("/"))
        r = c.read_response()
        assert r.status == 200 and r.body == b"hello"


def test_exception_gives_500_and_close(server):
    with RawConnection(server.port) as c:
        c.send(get("/fault/raise") + get("/"))
        r = c.read_response()
        assert r.status == 500 and r.header("connection") == "close"
        assert b"handler bug" not in r.body      # no exception text to the peer
        assert c.wait_closed(10) and c.extra == b""
    assert_serving(server)


def test_handler_that_never_writes_gets_an_empty_response(server):
    with RawConnection(server.port) as c:
        for _ in range(3):       # and the connection stays usable
            c.send(get("/fault/none"))
            r = c.read_response()
            assert r.status == 204 and r.body == b""
    assert_serving(server)


def test_partial_fixed_length_response_is_cut_by_a_close(server):
    data = raw(server.port, get("/fault/partial-length") + get("/"))
    head, _, body = data.partition(b"\r\n\r\n")
    assert b"Content-Length: 1000" in head
    # the client sees a short body and EOF: detectably truncated, nothing
    # appended after it (no error page, no answer to the pipelined GET)
    assert body == b"x" * 10, data
    assert_serving(server)


def test_partial_chunked_response_never_gets_its_last_chunk(server):
    data = raw(server.port, get("/fault/partial-chunked") + get("/"))
    head, _, body = data.partition(b"\r\n\r\n")
    assert b"Transfer-Encoding: chunked" in head
    assert body == b"b\r\nfirst chunk\r\n", data   # no 0-size chunk: truncated
    assert_serving(server)


def test_partial_close_delimited_response_is_closed(server):
    data = raw(server.port, get("/fault/partial-close") + get("/"))
    head, _, body = data.partition(b"\r\n\r\n")
    assert b"Connection: close" in head and body == b"some bytes", data
    assert_serving(server)


def test_header_injection_from_a_handler_sends_no_injected_field(server):
    data = raw(server.port, get("/fault/bad-header"))
    assert b"Injected" not in data
    assert data == b"" or data.startswith(b"HTTP/1.1 500 "), data
    assert_serving(server)


def test_many_faults_leave_no_connections_behind(server):
    for i in range(30):
        path = ("/fault/raise", "/fault/partial-length", "/fault/partial-chunked",
                "/fault/partial-close", "/fault/bad-header", "/fault/none")[i % 6]
        raw(server.port, get(path, headers=[("Connection", "close")]))
    with RawConnection(server.port) as c:
        c.send(get("/_mem"))
        m = json.loads(c.read_response().body)
    assert m["conns"] == 1, m       # only the one asking
    assert_serving(server)
