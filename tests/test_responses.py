"""Responses over real sockets: return values, HTTPResponse, framing
(Content-Length, chunked, close-delimited seed pattern), redirects, cookies,
handler errors (500 and the server keeps serving) and clients that go away
in the middle of a response.
"""
import json
import os
import socket
import struct
import time

import httpx
import pytest

from rawhttp import ProtocolError, RawConnection, exchange, get

pytestmark = pytest.mark.timeout(90)

WWW = os.path.join(os.path.dirname(os.path.abspath(__file__)), "apps", "www")


@pytest.fixture(scope="module", params=["cpython", "micropython"])
def server(request, start_app_module, www_big):
    return start_app_module("tests/apps/basic.py", request.param)


@pytest.fixture(scope="module", params=["cpython", "micropython"])
def debug_server(request, start_app_module):
    return start_app_module("tests/apps/basic.py", request.param,
                            env={"AHTTP_OPTIONS": json.dumps({"debug": True})})


@pytest.fixture(scope="module")
def client(server):
    with httpx.Client(base_url=server.url, timeout=10) as c:
        yield c


def media_type(r):
    return r.headers["content-type"].split(";")[0].strip().lower()


def assert_framed(r):
    assert r.headers.get("content-length") == str(len(r.content))
    assert "transfer-encoding" not in r.headers
    assert r.headers.get("server")


# -- return values -----------------------------------------------------------

def test_str_is_200_text_with_length(client):
    r = client.get("/")
    assert r.status_code == 200
    assert r.text == "hello"
    assert media_type(r).startswith("text/")
    assert_framed(r)


def test_str_is_utf8_encoded(client):
    r = client.get("/unicode")
    assert r.content == "gr\u00fc\u00df dich \u2603".encode("utf-8")
    assert_framed(r)


def test_empty_str_is_200_with_zero_length(client):
    r = client.get("/empty-str")
    assert r.status_code == 200
    assert r.content == b""
    assert r.headers.get("content-length") == "0"


def test_bytes_are_sent_verbatim(client):
    r = client.get("/bytes")
    assert r.status_code == 200
    assert r.content == b"\x00\x01\x02\xffbinary"
    assert_framed(r)


def test_dict_is_json(client):
    r = client.get("/dict")
    assert r.status_code == 200
    assert media_type(r) == "application/json"
    assert r.json() == {"a": 1, "b": [1, 2], "s": "\u00e9", "t": True, "n": None}
    assert_framed(r)


def test_list_is_json(client):
    r = client.get("/list")
    assert media_type(r) == "application/json"
    assert r.json() == [1, "two", None, {"k": "v"}]
    assert_framed(r)


def test_tuple_with_status(client):
    r = client.get("/tuple2")
    assert r.status_code == 201
    assert r.text == "made"
    assert_framed(r)


def test_tuple_with_status_and_headers(client):
    r = client.get("/tuple3")
    assert r.status_code == 418
    assert r.text == "teapot"
    assert r.headers["x-custom"] == "yes"
    # a Content-Type given by the handler replaces the default, not added twice
    assert r.headers.get_list("content-type") == ["text/plain"]
    assert_framed(r)


def test_tuple_with_dict_body(client):
    r = client.get("/tuple-dict")
    assert r.status_code == 202
    assert media_type(r) == "application/json"
    assert r.json() == {"ok": True}


def test_http_response_object(client):
    r = client.get("/response")
    assert r.status_code == 203
    assert r.text == "from response"
    assert r.headers["x-from"] == "response"
    assert media_type(r) == "text/plain"
    assert_framed(r)


def test_http_response_bytes_body(client):
    r = client.get("/response-bytes")
    assert r.content == b"\xff\x00\xfe"
    assert_framed(r)


def test_http_response_large_body(client):
    r = client.get("/response-big")
    assert r.content == b"0123456789" * 1000
    assert_framed(r)


def test_http_response_sent_by_handler_keeps_connection(server):
    data = get("/response-sent") + get("/n/3")
    responses, _ = exchange(server.port, data, 2)
    assert responses[0].body == b"sent by handler"
    assert responses[0].header("content-length") == str(len(b"sent by handler"))
    assert responses[1].body == b"3"


def test_204_has_no_body_and_keeps_connection(server):
    data = get("/no-content") + get("/n/4")
    responses, _ = exchange(server.port, data, 2)
    assert responses[0].status == 204
    assert responses[0].header("content-length") in (None, "0")
    assert responses[0].header("transfer-encoding") is None
    assert responses[1].body == b"4"


def test_status_line_has_reason_phrase(server):
    with RawConnection(server.port) as c:
        c.send(get("/tuple3"))
        r = c.read_response()
    assert r.raw_head.startswith(b"HTTP/1.1 418 ")


def test_http_error_raised_by_handler(client):
    r = client.get("/http-error")
    assert r.status_code == 403
    assert "no entry here" in r.text
    assert_framed(r)


def test_server_header_on_every_response(client):
    for path in ("/", "/nope", "/dict", "/raise"):
        assert client.get(path).headers.get("server"), path


# -- redirects -----------------------------------------------------------------

@pytest.mark.parametrize("code", [301, 302, 303, 307, 308])
def test_redirects(client, code):
    r = client.get("/redirect/%d" % code)
    assert r.status_code == code
    assert r.headers["location"] == "/target?from=%d" % code
    assert r.headers.get("content-length") == str(len(r.content))
    followed = client.get("/redirect/%d" % code, follow_redirects=True)
    assert followed.status_code == 200
    assert followed.text == "target %d" % code


def test_redirect_with_bad_status_is_500(client):
    r = client.get("/redirect/200")
    assert r.status_code == 500
    assert client.get("/").text == "hello"


# -- cookies -------------------------------------------------------------------

def test_set_cookie_headers_are_separate(server):
    with RawConnection(server.port) as c:
        c.send(get("/set-cookie"))
        r = c.read_response()
    cookies = r.header_all("set-cookie")
    assert len(cookies) == 2, cookies   # never folded into one line
    sid = [c for c in cookies if c.startswith("sid=")][0]
    theme = [c for c in cookies if c.startswith("theme=")][0]
    attrs = [a.strip().lower() for a in sid.split(";")]
    assert attrs[0] == "sid=abc123"
    assert "httponly" in attrs and "max-age=3600" in attrs
    attrs = [a.strip().lower() for a in theme.split(";")]
    assert attrs[0] == "theme=dark"
    assert "path=/app" in attrs and "samesite=lax" in attrs and "secure" in attrs


def test_cookies_round_trip_with_httpx(server):
    with httpx.Client(base_url=server.url) as c:
        c.get("/set-cookie")
        assert c.cookies.get("sid") == "abc123"
        assert c.get("/cookies").json().get("sid") == "abc123"


def test_delete_cookie_expires_it(server):
    with RawConnection(server.port) as c:
        c.send(get("/delete-cookie"))
        r = c.read_response()
    (value,) = r.header_all("set-cookie")
    attrs = [a.strip().lower() for a in value.split(";")]
    assert attrs[0] == "sid="
    assert "max-age=0" in attrs


def test_request_cookies_are_parsed(client):
    r = client.get("/cookies", headers={"Cookie": 'a=1; b="quoted"; c=x=y'})
    assert r.json() == {"a": "1", "b": "quoted", "c": "x=y"}


# -- streaming: chunked and close-delimited ---------------------------------

def test_chunked_response_framing(server):
    with RawConnection(server.port) as c:
        c.send(get("/chunked"))
        r = c.read_response()
        assert r.status == 200
        assert r.header("transfer-encoding") == "chunked"
        assert r.header("content-length") is None
        assert r.chunked and r.body == b"alpha-beta-gamma"
        assert "close" not in r.header("connection", "").lower()
        # the connection is reusable after the last chunk
        c.send(get("/n/8"))
        assert c.read_response().body == b"8"


def test_chunked_response_with_httpx(client):
    r = client.get("/chunked")
    assert r.text == "alpha-beta-gamma"


def test_long_chunked_stream(client):
    r = client.get("/stream/300")
    assert r.status_code == 200
    assert len(r.content) == 300 * 1024


def test_seed_pattern_close_delimited_sendfile(server):
    with open(os.path.join(WWW, "index.html"), "rb") as f:
        expected = f.read()
    with RawConnection(server.port) as c:
        c.send(get("/seed"))
        r = c.read_response()
        assert r.status == 200
        assert r.header("connection", "").lower() == "close"
        assert r.header("transfer-encoding") is None
        assert r.body == expected
        assert c.eof


def test_seed_pattern_with_httpx(client):
    r = client.get("/seed")
    assert r.status_code == 200
    assert media_type(r) == "text/html"
    assert b"index page of www" in r.content


def test_seed_pattern_http10(server):
    with RawConnection(server.port) as c:
        c.send(b"GET /seed HTTP/1.0\r\n\r\n")
        r = c.read_response()
        assert r.status == 200 and b"index page of www" in r.body


def test_seed_pattern_big_file(server, www_big):
    r = httpx.get(server.url + "/seed-big", timeout=30)
    assert r.status_code == 200
    assert r.content == www_big


def test_raw_writes_after_head_are_close_delimited(server):
    with RawConnection(server.port) as c:
        c.send(get("/raw-close") + get("/n/1"))
        r = c.read_response()
        assert r.header("connection", "").lower() == "close"
        assert r.body == b"part1-part2"   # and not the next response
        assert c.eof


# -- handler errors --------------------------------------------------------------

def test_handler_exception_is_500_without_traceback(server):
    r = httpx.get(server.url + "/raise")
    assert r.status_code == 500
    assert "Traceback" not in r.text
    assert "boom-marker" not in r.text
    assert_framed(r)


def test_handler_exception_is_logged(server):
    httpx.get(server.url + "/raise")
    deadline = time.monotonic() + 10
    while "boom-marker-42" not in server.log() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert "boom-marker-42" in server.log()
    assert "ValueError" in server.log()


def test_server_keeps_serving_after_500(server):
    with RawConnection(server.port) as c:
        c.send(get("/raise"))
        assert c.read_response().status == 500
        # a 500 before any byte was written leaves the connection usable
        # (nginx/h11 behaviour); a close is also acceptable
        try:
            c.send(get("/n/5"))
            r = c.read_response()
            assert r.body == b"5"
        except Exception:
            assert c.eof
    for i in range(3):
        assert httpx.get(server.url + "/raise").status_code == 500
        assert httpx.get(server.url + "/").text == "hello"


def test_memory_error_in_handler_is_503_retry_after(server):
    # a full heap is a passing overload, not a broken handler: 503 with
    # Retry-After, which a client may retry; the server goes on
    with RawConnection(server.port) as c:
        c.send(get("/raise-memory"))
        r = c.read_response()
        assert r.status == 503
        assert r.header("retry-after") == "1"
        assert r.header("connection") == "close"
        assert b"memory-boom-marker" not in r.body
        assert c.wait_closed(5)
    assert httpx.get(server.url + "/").text == "hello"
    deadline = time.monotonic() + 10
    while "memory-boom-marker" not in server.log() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert "MemoryError" in server.log()


def test_exception_after_head_closes_connection(server):
    with RawConnection(server.port) as c:
        c.send(get("/raise-after-head"))
        head = c.read_head()
        assert head[1] == 200
        # the response is cut short: the server closes, no second head
        assert c.wait_closed(10)
        assert b"HTTP/1.1 500" not in c.extra
    assert httpx.get(server.url + "/").text == "hello"


def test_exception_inside_chunked_stream_never_ends_body_cleanly(server):
    # The client must be able to tell the body was truncated: no last-chunk.
    with RawConnection(server.port) as c:
        c.send(get("/raise-in-chunked"))
        c.read_head()
        assert c.wait_closed(10)
        assert not c.extra.endswith(b"0\r\n\r\n"), c.extra
    assert httpx.get(server.url + "/").text == "hello"


def test_debug_mode_shows_traceback(debug_server):
    r = httpx.get(debug_server.url + "/raise")
    assert r.status_code == 500
    assert "boom-marker-42" in r.text
    assert "Traceback" in r.text or "ValueError" in r.text
    assert httpx.get(debug_server.url + "/").text == "hello"


# -- clients that go away --------------------------------------------------------

def abort(sock):
    """Close with RST instead of FIN."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


@pytest.mark.parametrize("path", ["/stream/2000", "/seed-big", "/static/big.bin",
                                  "/response-big"])
def test_client_disconnect_mid_response(server, path):
    for i in range(4):
        s = socket.create_connection(("127.0.0.1", server.port), 10)
        s.settimeout(10)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.sendall(get(path))
        assert s.recv(2048)
        if i % 2:
            abort(s)
        else:
            s.close()
    assert server.alive()
    assert httpx.get(server.url + "/", timeout=10).text == "hello"


@pytest.mark.async_only("a client that stops reading holds the one-request-at-a-time "
                   "sync server until send_timeout")
def test_client_that_stops_reading_does_not_stall_others(server):
    s = socket.create_connection(("127.0.0.1", server.port), 10)
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.sendall(get("/stream/5000"))
        s.recv(100)
        # the stalled stream keeps its task busy; everyone else is served
        for i in range(5):
            assert httpx.get(server.url + "/n/%d" % i, timeout=10).text == str(i)
    finally:
        abort(s)


def test_disconnect_before_response(server):
    for i in range(3):
        s = socket.create_connection(("127.0.0.1", server.port), 10)
        s.sendall(get("/stream/100"))
        abort(s)
    assert httpx.get(server.url + "/", timeout=10).text == "hello"


# -- header injection --------------------------------------------------------

def injected(server, query):
    """The response to /inject?v=... or None when the server closed the
    connection without answering."""
    with RawConnection(server.port) as c:
        c.send(get("/inject?v=" + query))
        try:
            return c.read_response()
        except ProtocolError:
            assert c.eof and not c.buf
            return None


@pytest.mark.parametrize("query", ["a%0D%0ASet-Cookie:%20pwned=1", "a%0ASet-Cookie:%20pwned=1",
                                   "a%0DSet-Cookie:%20pwned=1"])
def test_header_value_with_crlf_is_never_sent(server, query):
    r = injected(server, query)
    if r is not None:
        assert r.header("set-cookie") is None
        assert b"pwned" not in r.raw_head
    assert httpx.get(server.url + "/inject?v=plain").headers["x-echo"] == "plain"


def test_header_injection_attempt_is_answered_with_500(server):
    # The handler produced an invalid response: like any handler error the
    # client gets a 500, not a connection closed without a word.
    r = injected(server, "a%0D%0AX-Evil:%201")
    assert r is not None, "connection closed without a response"
    assert r.status == 500
    assert r.header("x-evil") is None
