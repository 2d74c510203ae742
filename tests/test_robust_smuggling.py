"""Request smuggling: ambiguous framing never desynchronises a kept-alive
connection. Each request carries, where a confused parser would look for
its end, a complete second request (GET /json/666); the server must never
answer that one, and a request sent after it on the same connection (if
the connection stays open) must be answered as itself.
"""
import socket

import pytest

from rawhttp import RawConnection, ProtocolError

pytestmark = pytest.mark.timeout(120)

SMUGGLED = b"GET /json/666 HTTP/1.1\r\nHost: x\r\n\r\n"
NEXT = b"GET /json/1 HTTP/1.1\r\nHost: x\r\n\r\n"


def post(path, headers, body):
    return (b"POST " + path + b" HTTP/1.1\r\nHost: x\r\n" + b"".join(h + b"\r\n" for h in headers)
            + b"\r\n" + body)


def chunk_of(data):
    return b"%x\r\n%s\r\n" % (len(data), data)


L = len(SMUGGLED)
CASES = [
    # name, request, statuses allowed for the first response
    ("CL.TE", post(b"/echo", [b"Content-Length: %d" % (L + 5), b"Transfer-Encoding: chunked"],
                   b"0\r\n\r\n" + SMUGGLED), {400}),
    ("TE.CL", post(b"/echo", [b"Transfer-Encoding: chunked", b"Content-Length: 3"],
                   chunk_of(SMUGGLED) + b"0\r\n\r\n"), {400}),
    ("TE.CL short", post(b"/echo", [b"Transfer-Encoding: chunked", b"Content-Length: 4"],
                         b"5c\r\n" + SMUGGLED + b"0\r\n\r\n"), {400}),
    ("TE.TE identity", post(b"/echo", [b"Transfer-Encoding: chunked", b"Transfer-Encoding: identity"],
                            b"0\r\n\r\n" + SMUGGLED), {501}),
    ("TE.TE xchunked", post(b"/echo", [b"Transfer-Encoding: xchunked", b"Content-Length: 5"],
                            b"0\r\n\r\n" + SMUGGLED), {400, 501}),
    ("TE space before colon", post(b"/echo", [b"Transfer-Encoding : chunked", b"Content-Length: 5"],
                                   b"0\r\n\r\n" + SMUGGLED), {400}),
    ("TE folded", post(b"/echo", [b"Content-Length: 5", b"X: y", b" Transfer-Encoding: chunked"],
                       b"0\r\n\r\n" + SMUGGLED), {400}),
    ("TE vertical tab", post(b"/echo", [b"Transfer-Encoding: \x0bchunked"],
                             b"0\r\n\r\n" + SMUGGLED), {400, 501}),
    ("TE bare LF", post(b"/echo", [b"X: y\nTransfer-Encoding: chunked", b"Content-Length: 5"],
                        b"0\r\n\r\n" + SMUGGLED), {400}),
    ("CL.CL", post(b"/echo", [b"Content-Length: 5", b"Content-Length: %d" % (L + 5)],
                   b"hello" + SMUGGLED), {400}),
    ("CL list", post(b"/echo", [b"Content-Length: 5, %d" % (L + 5)], b"hello" + SMUGGLED), {400}),
    ("CL plus", post(b"/echo", [b"Content-Length: +%d" % (L + 5)], b"hello" + SMUGGLED), {400}),
    ("CL leading zeros", post(b"/echo", [b"Content-Length: 000%d" % (L + 5)], b"hello" + SMUGGLED),
     {200}),
    ("chunk size overflow", post(b"/echo", [b"Transfer-Encoding: chunked"],
                                 b"1000000000000000" + b"5\r\nhello\r\n0\r\n\r\n" + SMUGGLED),
     {400}),
    ("chunk ext hides size", post(b"/echo", [b"Transfer-Encoding: chunked"],
                                  b"5;\n0\r\n\r\n" + SMUGGLED), {400}),
    ("unread CL body", post(b"/ignore", [b"Content-Length: %d" % L], SMUGGLED), {200}),
    ("unread chunked body", post(b"/ignore", [b"Transfer-Encoding: chunked"],
                                 chunk_of(SMUGGLED) + b"0\r\n\r\n"), {200}),
    ("body on a 405", post(b"/json/1", [b"Content-Length: %d" % L], SMUGGLED), {405}),
    ("body on a 404", post(b"/nowhere", [b"Content-Length: %d" % L], SMUGGLED), {404}),
    ("GET with CL body", b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % L + SMUGGLED,
     {200}),
]


@pytest.fixture(scope="module", params=["cpython", "micropython"])
def server(request, start_app_module):
    return start_app_module("tests/apps/robust_app.py", request.param)


def exchange(port, data):
    """Send `data` then NEXT on one connection (pipelined); read every
    response until the server closes. Returns the responses."""
    out = []
    with RawConnection(port, timeout=10) as c:
        c.send(data + NEXT)
        try:
            c.sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        while True:
            try:
                out.append(c.read_response())
            except ProtocolError:
                break
            except OSError:
                break
    return out


@pytest.mark.parametrize("name,data,first", CASES, ids=[c[0] for c in CASES])
def test_no_desync(server, name, data, first):
    responses = exchange(server.port, data)
    assert responses, "no response at all to " + name
    assert responses[0].status in first, (name, responses[0])
    for r in responses:
        assert b"\"n\": 666" not in r.body, "%s: the smuggled request was answered: %r" % (name, r)
    rest = responses[1:]
    if responses[0].status >= 400 and responses[0].status != 404 and responses[0].status != 405:
        assert not rest, "%s: served more after %d: %r" % (name, responses[0].status, rest)
    for r in rest:
        assert r.status == 200 and b'"n": 1' in r.body, (name, r)
    assert server.alive(), server.log()[-2000:]


def test_valid_pipelining_still_works(server):
    # The baseline: a framed body followed by the next request.
    responses = exchange(server.port, post(b"/echo", [b"Content-Length: 5"], b"hello"))
    assert [r.status for r in responses] == [200, 200]
    assert responses[0].body == b"hello" and b'"n": 1' in responses[1].body
