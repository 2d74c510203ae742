"""Persistent connections: keep-alive by default on HTTP/1.1, opt-in on
HTTP/1.0, pipelined requests answered in order, unread bodies drained before
the next request, Expect: 100-continue, chunked request bodies with
trailers, and the timeouts and connection cap that protect the server.
"""
import json
import socket
import time

import httpx
import pytest

from rawhttp import RawConnection, exchange, get

pytestmark = pytest.mark.timeout(90)


@pytest.fixture(scope="module", params=["cpython", "micropython"])
def server(request, start_app_module):
    return start_app_module("tests/apps/basic.py", request.param,
                            env={"AHTTP_OPTIONS": json.dumps({"max_body": 8192})})


@pytest.fixture(scope="module", params=["cpython", "micropython"])
def strict_server(request, start_app_module):
    """Short head/idle timeouts and a cap of 3 connections."""
    opts = {"head_timeout": 2, "idle_timeout": 2, "max_connections": 3}
    return start_app_module("tests/apps/basic.py", request.param,
                            env={"AHTTP_OPTIONS": json.dumps(opts)})


def post(path, body, version="1.1", headers=()):
    head = "POST %s HTTP/%s\r\nHost: x\r\nContent-Length: %d\r\n" % (path, version, len(body))
    head += "".join("%s: %s\r\n" % h for h in headers)
    return head.encode() + b"\r\n" + body


def chunked_post(path, chunks, trailers=b"", headers=()):
    head = "POST %s HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n" % path
    head += "".join("%s: %s\r\n" % h for h in headers)
    body = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks)
    return head.encode() + b"\r\n" + body + b"0\r\n" + trailers + b"\r\n"


# -- keep-alive ------------------------------------------------------------

def test_http11_keeps_connection_open_by_default(server):
    with RawConnection(server.port) as c:
        for i in range(3):
            c.send(get("/n/%d" % i))
            r = c.read_response()
            assert r.status == 200
            assert r.body == str(i).encode()
            assert "close" not in r.header("connection", "").lower()
        assert c.is_open()


def test_http11_connection_close_is_honoured(server):
    with RawConnection(server.port) as c:
        c.send(get("/", headers=[("Connection", "close")]))
        r = c.read_response()
        assert r.status == 200 and r.body == b"hello"
        assert r.header("connection", "").lower() == "close"
        assert c.wait_closed(10)
        assert c.extra == b""


def test_http11_connection_close_among_other_tokens(server):
    with RawConnection(server.port) as c:
        c.send(get("/", headers=[("Connection", "TE, Close")]))
        assert c.read_response().status == 200
        assert c.wait_closed(10)


def test_http10_closes_by_default(server):
    with RawConnection(server.port) as c:
        c.send(b"GET / HTTP/1.0\r\n\r\n")
        r = c.read_response()
        assert r.status == 200 and r.body == b"hello"
        assert "keep-alive" not in r.header("connection", "").lower()
        assert c.wait_closed(10)


def test_http10_keep_alive_is_honoured(server):
    with RawConnection(server.port) as c:
        for i in range(3):
            c.send(b"GET /n/%d HTTP/1.0\r\nConnection: keep-alive\r\n\r\n" % i)
            r = c.read_response()
            assert r.status == 200 and r.body == str(i).encode()
            # An HTTP/1.0 client needs the explicit token to know it may reuse.
            assert "keep-alive" in r.header("connection", "").lower()
            assert r.header("content-length") == str(len(r.body))
        assert c.is_open()


def test_http10_streaming_response_is_close_delimited(server):
    with RawConnection(server.port) as c:
        c.send(b"GET /chunked HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        r = c.read_response()
        assert r.status == 200
        assert r.header("transfer-encoding") is None, "chunked sent to an HTTP/1.0 client"
        assert r.body == b"alpha-beta-gamma"
        assert c.eof


def test_httpx_client_reuses_one_connection(server):
    ports = set()
    with httpx.Client(base_url=server.url) as client:
        for i in range(5):
            r = client.get("/request")
            assert r.status_code == 200
            ports.add(r.json()["client"][1])
    assert len(ports) == 1


# -- pipelining ------------------------------------------------------------

def test_pipelined_requests_answered_in_order(server):
    data = b"".join(get("/n/%d" % i) for i in range(8))
    responses, _ = exchange(server.port, data, 8)
    assert [r.body for r in responses] == [str(i).encode() for i in range(8)]


def test_pipelined_mixed_methods_answered_in_order(server):
    data = (get("/n/1") + post("/echo", b"body-two")
            + b"HEAD /n/3 HTTP/1.1\r\nHost: x\r\n\r\n"
            + chunked_post("/echo", [b"four", b"-4"])
            + get("/nope-404") + get("/n/6"))
    responses, _ = exchange(server.port, data, 6, heads=[0, 0, 1, 0, 0, 0])
    assert [r.status for r in responses] == [200, 200, 200, 200, 404, 200]
    assert responses[0].body == b"1"
    assert responses[1].body == b"body-two"
    assert responses[2].body == b"" and responses[2].header("content-length") == "1"
    assert responses[3].body == b"four-4"
    assert responses[5].body == b"6"


def test_pipelined_requests_sent_byte_by_byte(server):
    data = get("/n/1") + post("/echo", b"abc") + get("/n/3")
    with RawConnection(server.port) as c:
        c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for i in range(len(data)):
            c.send(data[i:i + 1])
        bodies = [c.read_response().body for _ in range(3)]
    assert bodies == [b"1", b"abc", b"3"]


def test_pipelined_request_after_connection_close_is_not_answered(server):
    data = get("/n/1", headers=[("Connection", "close")]) + get("/n/2")
    responses, closed = exchange(server.port, data, 2, closed_wait=10)
    assert [r.body for r in responses] == [b"1"]
    assert closed


# -- unread bodies -----------------------------------------------------------

def drained_or_closed(server, first):
    """Send `first` (answered without reading its body) and then a GET on
    the same connection. The issue allows the server to either drain the body
    or close; what it must never do is parse body bytes as a request."""
    with RawConnection(server.port) as c:
        c.send(first + get("/n/42"))
        r1 = c.read_response()
        assert r1.status == 200 and r1.body == b"ignored"
        try:
            r2 = c.read_response()
        except Exception:
            assert c.eof and c.buf == b"", "garbage after first response: %r" % c.buf
            return "closed"
        assert r2.status == 200 and r2.body == b"42", r2
        return "drained"


def test_unread_body_is_drained_before_next_request(server):
    # The body itself looks like a request: parsed as one, it would give 404.
    body = get("/smuggled")
    drained_or_closed(server, post("/noread", body))


def test_unread_large_body_is_drained_or_closed(server):
    drained_or_closed(server, post("/noread", b"Z" * 6000))


def test_unread_chunked_body_is_drained_or_closed(server):
    drained_or_closed(server, chunked_post("/noread", [b"GET / HTTP/1.1\r\n", b"x" * 500],
                                           trailers=b"X-Trailer: 1\r\n"))


def test_small_unread_body_is_drained_not_closed(server):
    # Mature servers (nginx lingering reads, h11's auto-drain) keep the
    # connection for a small body that is already in the buffer.
    assert drained_or_closed(server, post("/noread", b"tiny")) == "drained"


def closes_after(c, r):
    """`r` says Connection: close, and the server then closes with nothing
    more: a client that believed it (httpx pools the connection otherwise)
    never sends a request into a closing socket."""
    assert r.header("connection") == "close", r
    assert c.wait_closed(5) and c.extra == b"", c.buf


def test_error_in_chunked_body_says_close(server):
    # the handler reads a chunked body over max_body (8 KB here): 413 from
    # the middle of the body, whose rest cannot be found: close, and say so
    with RawConnection(server.port) as c:
        c.send(b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"100\r\n" + b"a" * 256 + b"\r\n2400\r\n" + b"b" * 0x2400 + b"\r\n0\r\n\r\n")
        r = c.read_response()
        assert r.status == 413
        closes_after(c, r)


def test_bad_chunk_says_close(server):
    with RawConnection(server.port) as c:
        c.send(b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"zz\r\nabc\r\n0\r\n\r\n")
        r = c.read_response()
        assert r.status == 400
        closes_after(c, r)


def test_answer_before_100_continue_says_close(server):
    # answered without reading the body and without sending 100 Continue:
    # the client may or may not send the body now, so the connection
    # cannot carry another request (RFC 9110 10.1.1: say so)
    with RawConnection(server.port) as c:
        c.send(b"POST /noread HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
               b"Expect: 100-continue\r\n\r\n")
        r = c.read_response(allow_interim=True)
        assert r.status == 200 and r.body == b"ignored"
        closes_after(c, r)


def test_httpx_after_refused_chunked_upload(server):
    # httpx pools a connection unless told it closes: the next request on
    # the same client must work
    with httpx.Client(base_url=server.url, timeout=10) as c:
        for i in range(3):
            r = c.post("/echo", content=iter([b"x" * 5000, b"y" * 5000]))
            assert r.status_code == 413
            assert r.headers["connection"] == "close"
            assert c.get("/n/%d" % i).text == str(i)


# -- Expect: 100-continue ------------------------------------------------

def test_expect_100_continue_is_answered_before_the_body(server):
    with RawConnection(server.port) as c:
        body = b"payload after continue"
        c.send(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n"
               b"Expect: 100-continue\r\n\r\n" % len(body))
        interim = c.read_response(allow_interim=True)
        assert interim.status == 100
        c.send(body)
        r = c.read_response()
        assert r.status == 200
        assert r.body == body
        # and the connection is still usable
        c.send(get("/n/7"))
        assert c.read_response().body == b"7"


def test_expect_100_continue_with_chunked_body(server):
    with RawConnection(server.port) as c:
        c.send(b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
               b"Expect: 100-continue\r\n\r\n")
        assert c.read_response(allow_interim=True).status == 100
        c.send(b"3\r\nabc\r\n0\r\n\r\n")
        r = c.read_response()
        assert r.status == 200 and r.body == b"abc"


def test_expect_100_continue_body_too_large_is_413_without_continue(server):
    with RawConnection(server.port) as c:
        c.send(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n"
               b"Expect: 100-continue\r\n\r\n")
        r = c.read_response(allow_interim=True)
        assert r.status == 413


def test_expect_100_continue_for_unknown_path_is_404_without_continue(server):
    with RawConnection(server.port) as c:
        c.send(b"POST /nope HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
               b"Expect: 100-continue\r\n\r\n")
        r = c.read_response(allow_interim=True)
        assert r.status == 404


def test_unknown_expectation_is_417(server):
    # RFC 9110 10.1.1: a server MAY answer 417 to an expectation it does
    # not support; nginx and h11-based servers ignore it. Either is fine,
    # as long as the request is not mishandled.
    with RawConnection(server.port) as c:
        c.send(post("/echo", b"abc", headers=[("Expect", "something-else")]))
        r = c.read_response()
        assert r.status in (200, 417)
        if r.status == 200:
            assert r.body == b"abc"


def test_httpx_expect_continue(server):
    r = httpx.post(server.url + "/echo", content=b"x" * 3000,
                   headers={"Expect": "100-continue"})
    assert r.status_code == 200
    assert r.content == b"x" * 3000


# -- chunked request bodies ----------------------------------------------

def test_chunked_body_is_decoded(server):
    with RawConnection(server.port) as c:
        c.send(chunked_post("/echo", [b"hello", b" ", b"world"]))
        r = c.read_response()
        assert r.status == 200 and r.body == b"hello world"


def test_chunked_body_with_trailers_and_extensions(server):
    data = (b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"5;name=value\r\nhello\r\n"
            b"6 ; quoted=\"a;b\"\r\n world\r\n"
            b"0\r\nX-Checksum: 1234\r\nX-Other: y\r\n\r\n")
    responses, _ = exchange(server.port, data + get("/n/9"), 2)
    assert responses[0].status == 200
    assert responses[0].body == b"hello world"
    assert responses[1].body == b"9"


def test_chunked_body_hex_sizes_upper_and_lower(server):
    chunk = bytes(range(256)) * 2  # 0x200
    data = (b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            + b"1A\r\n" + b"a" * 26 + b"\r\n" + b"1ff\r\n" + chunk[:511] + b"\r\n"
            + b"0\r\n\r\n")
    with RawConnection(server.port) as c:
        c.send(data)
        r = c.read_response()
    assert r.status == 200
    assert r.body == b"a" * 26 + chunk[:511]


def test_chunked_body_sent_byte_by_byte(server):
    data = chunked_post("/echo", [b"one", b"two", b"three"], trailers=b"T: v\r\n")
    with RawConnection(server.port) as c:
        c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for i in range(len(data)):
            c.send(data[i:i + 1])
        r = c.read_response()
    assert r.status == 200 and r.body == b"onetwothree"


def test_empty_chunked_body(server):
    with RawConnection(server.port) as c:
        c.send(chunked_post("/echo-info", []))
        r = c.read_response()
    assert r.status == 200
    assert json.loads(r.body)["len"] == 0


def test_httpx_streaming_upload_is_chunked(server):
    def gen():
        for i in range(10):
            yield b"part%d;" % i
    r = httpx.post(server.url + "/echo", content=gen())
    assert r.status_code == 200
    assert r.content == b"".join(b"part%d;" % i for i in range(10))


# -- timeouts and the connection cap ---------------------------------------

def test_slow_request_head_is_dropped(strict_server):
    with RawConnection(strict_server.port, timeout=20) as c:
        c.send(b"GET / HTTP/1.1\r\nHost")
        # Dropped (optionally after a 408): the server closes the socket.
        assert c.wait_closed(15)
        assert c.extra == b"" or c.extra.startswith(b"HTTP/1.1 408")


def test_idle_keep_alive_connection_is_closed(strict_server):
    with RawConnection(strict_server.port, timeout=20) as c:
        c.send(get("/"))
        assert c.read_response().status == 200
        assert c.wait_closed(15)
        assert c.extra == b""


def test_silent_connection_is_dropped(strict_server):
    with RawConnection(strict_server.port, timeout=20) as c:
        assert c.wait_closed(15)


def test_stalled_client_does_not_block_others(strict_server):
    with RawConnection(strict_server.port) as slow:
        slow.send(b"GET / HT")
        r = httpx.get(strict_server.url + "/", timeout=10)
        assert r.text == "hello"


def wait_until_served(url, deadline=15.0):
    end = time.monotonic() + deadline
    last = None
    while time.monotonic() < end:
        try:
            r = httpx.get(url, timeout=5)
            if r.status_code == 200:
                return r
            last = r.status_code
        except httpx.HTTPError as e:
            last = e
        time.sleep(0.1)
    raise AssertionError("server did not serve again: %r" % (last,))


def test_connections_over_the_cap_get_503(strict_server):
    wait_until_served(strict_server.url + "/")
    held = []
    try:
        for i in range(3):
            c = RawConnection(strict_server.port)
            held.append(c)
            c.send(get("/n/%d" % i))
            assert c.read_response().status == 200
        extra = RawConnection(strict_server.port)
        held.append(extra)
        extra.send(get("/n/99"))
        r = extra.read_response()
        assert r.status == 503
        assert extra.wait_closed(10)
    finally:
        for c in held:
            c.close()
    # capacity comes back once the held connections are gone
    assert wait_until_served(strict_server.url + "/").text == "hello"


def test_stalled_request_body_is_dropped(strict_server):
    # The head arrived, the body never completes. Like nginx's
    # client_body_timeout, the server must not wait forever (our bound:
    # well within 10 s when head/idle timeouts are 2 s).
    with RawConnection(strict_server.port, timeout=20) as c:
        c.send(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly-part")
        assert c.wait_closed(10)
    assert httpx.get(strict_server.url + "/", timeout=10).text == "hello"


# -- tiny read buffer: every parser state crosses a read boundary -------------

@pytest.fixture(scope="module", params=["cpython", "micropython"])
def tiny_reads(request, start_app_module):
    return start_app_module("tests/apps/basic.py", request.param,
                            env={"AHTTP_OPTIONS": json.dumps({"read_size": 7})})


def test_tiny_read_size_pipelined_mixed(tiny_reads):
    data = (get("/n/1", headers=[("X-Filler", "f" * 100)]) + post("/echo", b"B" * 300)
            + chunked_post("/echo", [b"c" * 50, b"d" * 50], trailers=b"T: 1\r\n")
            + get("/n/4"))
    responses, _ = exchange(tiny_reads.port, data, 4)
    assert [r.status for r in responses] == [200, 200, 200, 200]
    assert responses[0].body == b"1"
    assert responses[1].body == b"B" * 300
    assert responses[2].body == b"c" * 50 + b"d" * 50
    assert responses[3].body == b"4"


def test_tiny_read_size_large_upload(tiny_reads):
    body = bytes(range(256)) * 16
    r = httpx.post(tiny_reads.url + "/echo", content=body, timeout=20)
    assert r.status_code == 200 and r.content == body


def test_many_pipelined_requests_in_one_write(server):
    n = 60
    data = b"".join(get("/n/%d" % i) for i in range(n))
    responses, _ = exchange(server.port, data, n)
    assert [r.body for r in responses] == [str(i).encode() for i in range(n)]


def test_readinto_gives_what_has_come_without_waiting_to_fill_the_buffer(server):
    # A handler reads the raw body with reader.readinto(4 KB buffer); the
    # 10-byte body comes in two pieces. Each call returns what has arrived
    # (MicroPython's own blocking readinto() would wait for 4 KB, here
    # until the read timeout), and the next request on the connection is
    # served as usual.
    with RawConnection(server.port, timeout=5) as c:
        c.send(b"POST /readinto HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nhello")
        time.sleep(0.3)
        c.send(b"world")
        r = c.read_response()
        assert r.status == 200
        got = json.loads(r.body)
        assert got["body"] == "helloworld" and got["reads"] >= 2, got
        c.send(get("/"))
        assert c.read_response().status == 200
