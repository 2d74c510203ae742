"""Live malformed traffic: a corpus of hostile requests sent over raw
sockets to a real server on both runtimes.

Each request goes on its own connection, followed by a half-close (so a
request the server is still waiting on ends in EOF instead of a timeout).
Each must get the status the parsing rules in README.md promise (or, where
marked, a clean close); the server must stay up, answer a normal request
afterwards, and under MicroPython its heap after the second pass of the
whole corpus must be back within HEAP_SLACK bytes of what it was after the
first (the first pass loads the lazily imported modules).
"""
import json
import socket

import pytest

from rawhttp import RawConnection, ProtocolError, get

pytestmark = pytest.mark.timeout(180)

CLOSE = "close"          # a clean close with no response is acceptable
HEAP_SLACK = 8 * 1024    # bytes (64-bit unix port; see docs/robustness.md)


def req(line, headers=(b"Host: x",), body=b""):
    return line + b"\r\n" + b"".join(h + b"\r\n" for h in headers) + b"\r\n" + body


def build_corpus():
    """(name, bytes, allowed answers): a status, or CLOSE."""
    c = []

    def add(name, data, *ok):
        c.append((name, data, set(ok)))

    # -- request line and version ------------------------------------------
    add("four parts", req(b"GET / HTTP/1.1 extra"), 400)
    add("double space", req(b"GET  / HTTP/1.1"), 400)
    add("leading space", req(b" GET / HTTP/1.1"), 400)
    add("tab separator", req(b"GET\t/ HTTP/1.1"), 400)
    add("tab in target", req(b"GET /a\tb HTTP/1.1"), 400)
    add("non-token method", req(b"G(T / HTTP/1.1"), 400)
    add("non-ascii method", req("GÉT / HTTP/1.1".encode()), 400)
    add("empty method", req(b" / HTTP/1.1"), 400)
    add("HTTP/1.2", req(b"GET / HTTP/1.2"), 200)     # served as 1.1 (RFC 9112 2.3)
    add("HTTP/1.9", req(b"GET / HTTP/1.9"), 200)
    add("HTTP/2.0", req(b"GET / HTTP/2.0"), 505)
    add("HTTP/3.0", req(b"GET / HTTP/3.0"), 505)
    add("HTTP/1", req(b"GET / HTTP/1"), 400)
    add("HTTP/2", req(b"GET / HTTP/2"), 400)
    add("HTTP/1.1.1", req(b"GET / HTTP/1.1.1"), 400)
    add("lower-case version", req(b"GET / http/1.1"), 400)
    add("HTTP/01.1", req(b"GET / HTTP/01.1"), 400)
    add("HTTP/1.10", req(b"GET / HTTP/1.10"), 400)
    add("HTTPS/1.1", req(b"GET / HTTPS/1.1"), 400)
    add("version missing", req(b"GET /"), 400)
    add("HTTP/0.9 simple request", b"GET /\r\n", 400, CLOSE)
    add("HTTP/0.9 with blank line", b"GET /\r\n\r\n", 400)
    add("request line too long", req(b"GET /" + b"a" * 3000 + b" HTTP/1.1"), 414)
    add("endless request line", b"GET /" + b"b" * 5000, 414)
    add("empty request", b"\r\n\r\n", 400, CLOSE)
    add("bare LF line ends", b"GET / HTTP/1.1\nHost: x\n\n", 400)
    add("bare CR line ends", b"GET / HTTP/1.1\rHost: x\r\r", 400, CLOSE)
    add("mixed line ends", b"GET / HTTP/1.1\r\nHost: x\n\r\n", 400)
    add("binary garbage", bytes(range(256)), 400, CLOSE)
    add("TLS ClientHello", bytes.fromhex("16030100a5010000a10303") + b"\x00" * 150, 400, CLOSE)

    # -- HTTP/2 ----------------------------------------------------------------
    add("HTTP/2 preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505)
    add("HTTP/2 preface + SETTINGS", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
        + bytes.fromhex("000000040000000000"), 505)

    # -- targets ---------------------------------------------------------------
    add("CONNECT authority-form", req(b"CONNECT example.com:443 HTTP/1.1"), 400, 405, 501)
    add("asterisk with GET", req(b"GET * HTTP/1.1"), 400)
    add("asterisk with POST", req(b"POST * HTTP/1.1", (b"Host: x", b"Content-Length: 0")), 400)
    add("relative target", req(b"GET index.html HTTP/1.1"), 400)
    add("empty path with query", req(b"GET ?a=b HTTP/1.1"), 400)
    add("only a query mark", req(b"GET ? HTTP/1.1"), 400)
    add("fragment target", req(b"GET #x HTTP/1.1"), 400)
    add("ftp absolute-form", req(b"GET ftp://x/ HTTP/1.1"), 400)
    add("absolute-form elsewhere", req(b"GET http://evil.example/nope HTTP/1.1"), 404)
    add("absolute-form with port", req(b"GET https://evil.example:8443/nope HTTP/1.1"), 404)

    # -- percent-encoding and UTF-8 in paths ------------------------------------
    for name, path in [("lone %", b"/%"), ("% one digit", b"/%4"), ("%zz", b"/%zz"),
                       ("%g0", b"/%g0"), ("truncated UTF-8", b"/%C3"),
                       ("invalid UTF-8 %ff", b"/%ff"), ("overlong /", b"/%C0%AF"),
                       ("surrogate", b"/%ED%A0%80"), ("NUL %00", b"/a%00b"),
                       ("raw invalid UTF-8", b"/\xff\xfe"), ("raw truncated UTF-8", b"/\xc3")]:
        add("path " + name, req(b"GET " + path + b" HTTP/1.1"), 400)
    add("query bad escape", req(b"GET /json/1?a=%zz HTTP/1.1"), 200, 400)

    # -- control bytes ------------------------------------------------------------
    for b in list(range(0, 9)) + [0x0b, 0x0c] + list(range(0x0e, 0x20)) + [0x7f]:
        add("CTL 0x%02x in header value" % b,
            req(b"GET / HTTP/1.1", (b"Host: x", b"X-V: a" + bytes((b,)) + b"b")), 400)
    for b in (0x00, 0x01, 0x08, 0x1b, 0x7f):
        add("CTL 0x%02x in target" % b, req(b"GET /a" + bytes((b,)) + b" HTTP/1.1"), 400)
        add("CTL 0x%02x in header name" % b,
            req(b"GET / HTTP/1.1", (b"Host: x", b"X" + bytes((b,)) + b"Y: v")), 400)
    add("NUL in method", req(b"G\x00T / HTTP/1.1"), 400)

    # -- header fields ----------------------------------------------------------
    add("obs-fold", req(b"GET / HTTP/1.1", (b"Host: x", b"X-A: one", b" two")), 400)
    add("obs-fold with tab", req(b"GET / HTTP/1.1", (b"Host: x", b"X-A: one", b"\ttwo")), 400)
    add("fold of first line", req(b"GET / HTTP/1.1", (b" Host: x",)), 400)
    add("space before colon", req(b"GET / HTTP/1.1", (b"Host: x", b"X-A : v")), 400)
    add("empty header name", req(b"GET / HTTP/1.1", (b"Host: x", b": v")), 400)
    add("no colon", req(b"GET / HTTP/1.1", (b"Host: x", b"NoColon")), 400)
    add("non-token header name", req(b"GET / HTTP/1.1", (b"Host: x", b"X(A): v")), 400)
    add("injected CR in value", req(b"GET / HTTP/1.1", (b"Host: x", b"X-A: a\rSet-Cookie: b")), 400)
    add("injected LF in value", req(b"GET / HTTP/1.1", (b"Host: x", b"X-A: a\nSet-Cookie: b")), 400)
    add("obs-text value", req(b"GET / HTTP/1.1", (b"Host: x", b"X-A: \xff\xfe caf\xe9")), 200)
    add("obs-text value and UTF-8 name", req(b"GET / HTTP/1.1",
                                             (b"Host: x", b"X-\xc3\xa9: caf\xe9")), 400)
    add("missing Host on 1.1", req(b"GET / HTTP/1.1", ()), 400)
    add("two Host fields", req(b"GET / HTTP/1.1", (b"Host: a", b"Host: b")), 400)
    add("Host injected via header", req(b"GET / HTTP/1.1", (b"Host: a", b"X: 1", b"host: evil")), 400)
    add("header line too long", req(b"GET / HTTP/1.1", (b"Host: x", b"X-Big: " + b"v" * 3000)), 431)
    add("too many headers", req(b"GET / HTTP/1.1",
                                [b"Host: x"] + [b"X-%d: v" % i for i in range(40)]), 431)
    add("head too large", req(b"GET / HTTP/1.1",
                              [b"Host: x"] + [b"X-%d: %s" % (i, b"v" * 1000) for i in range(6)]), 431)
    add("endless header line", b"GET / HTTP/1.1\r\nHost: x\r\nX-A: " + b"v" * 6000, 431)

    # -- Content-Length -----------------------------------------------------------
    def post(*headers, body=b""):
        return req(b"POST /echo HTTP/1.1", (b"Host: x",) + headers, body)
    add("CL negative", post(b"Content-Length: -1"), 400)
    add("CL plus sign", post(b"Content-Length: +5", body=b"hello"), 400)
    add("CL hex", post(b"Content-Length: 0x5", body=b"hello"), 400)
    add("CL exponent", post(b"Content-Length: 1e3"), 400)
    add("CL empty", post(b"Content-Length: "), 400)
    add("CL inner space", post(b"Content-Length: 5 5", body=b"hello"), 400)
    add("CL non-ASCII digit", post("Content-Length: \u0663".encode()), 400)
    add("CL huge", post(b"Content-Length: 99999999999999999999999"), 400)
    add("CL over max_body", post(b"Content-Length: 999999999"), 413)
    add("CL list conflicting", post(b"Content-Length: 5, 6", body=b"hello"), 400)
    add("CL duplicated conflicting", post(b"Content-Length: 5", b"Content-Length: 6",
                                          body=b"hello"), 400)
    add("CL duplicated equal", post(b"Content-Length: 5", b"Content-Length: 5",
                                    body=b"hello"), 200)
    add("CL and TE", post(b"Content-Length: 5", b"Transfer-Encoding: chunked",
                          body=b"0\r\n\r\n"), 400)
    add("TE and CL", post(b"Transfer-Encoding: chunked", b"Content-Length: 5",
                          body=b"0\r\n\r\n"), 400)
    add("TE gzip", post(b"Transfer-Encoding: gzip"), 501)
    add("TE identity", post(b"Transfer-Encoding: identity"), 501)
    add("TE chunked, gzip", post(b"Transfer-Encoding: chunked, gzip", body=b"0\r\n\r\n"), 501)
    add("TE gzip, chunked", post(b"Transfer-Encoding: gzip, chunked", body=b"0\r\n\r\n"), 501)
    add("TE duplicated", post(b"Transfer-Encoding: chunked", b"Transfer-Encoding: chunked",
                              body=b"0\r\n\r\n"), 501)
    add("TE xchunked", post(b"Transfer-Encoding: xchunked"), 501)
    add("TE with space before colon", post(b"Transfer-Encoding : chunked",
                                           body=b"0\r\n\r\n"), 400)

    # -- JSON bodies --------------------------------------------------------------
    def json_post(body):
        return req(b"POST /json HTTP/1.1", (b"Host: x", b"Content-Length: %d" % len(body)), body)
    add("JSON arrays 2,000 deep", json_post(b"[" * 2000 + b"]" * 2000), 400)
    add("JSON objects 2,000 deep", json_post(b'{"a":' * 2000 + b"0" + b"}" * 2000), 400)
    add("JSON arrays 2,000 deep, unclosed", json_post(b"[" * 2000), 400)
    add("JSON 2,000 brackets in a string", json_post(b'["' + b"[{" * 1000 + b'"]'), 200)

    # -- chunked bodies ----------------------------------------------------------
    def chunked(body):
        return post(b"Transfer-Encoding: chunked", body=body)
    add("chunk size not hex", chunked(b"g\r\nx\r\n0\r\n\r\n"), 400)
    add("chunk size negative", chunked(b"-1\r\nx\r\n0\r\n\r\n"), 400)
    add("chunk size 0x prefix", chunked(b"0x1\r\nx\r\n0\r\n\r\n"), 400)
    add("chunk size empty", chunked(b"\r\nx\r\n0\r\n\r\n"), 400)
    add("chunk size 9 digits", chunked(b"000000001\r\nx\r\n0\r\n\r\n"), 400)
    add("chunk size over max_body", chunked(b"ffffffff\r\n" + b"x" * 100), 413)
    add("chunk size inner space", chunked(b"1 1\r\nx\r\n0\r\n\r\n"), 400)
    add("chunk size bare LF", chunked(b"1\nx\r\n0\r\n\r\n"), 400)
    add("chunk data bare LF", chunked(b"1\r\nx\n0\r\n\r\n"), 400)
    add("chunk data too long", chunked(b"1\r\nxy\r\n0\r\n\r\n"), 400)
    add("chunk extension too long", chunked(b"1;" + b"e" * 400 + b"\r\nx\r\n0\r\n\r\n"), 400)
    add("chunk extension with CR", chunked(b"1;a\rb\r\nx\r\n0\r\n\r\n"), 400)
    add("malformed trailer", chunked(b"1\r\nx\r\n0\r\nno-colon\r\n\r\n"), 400)
    add("trailer section too large", chunked(b"1\r\nx\r\n0\r\n"
                                             + (b"T: " + b"t" * 200 + b"\r\n") * 30 + b"\r\n"), 431)
    add("many tiny chunks over max_body", chunked(b"1\r\nx\r\n" * 17000 + b"0\r\n\r\n"), 413)

    # -- truncated --------------------------------------------------------------
    add("truncated head", b"GET / HTTP/1.1\r\nHost: x\r\nX-A: v", 400, CLOSE)
    add("truncated body", post(b"Content-Length: 10", body=b"abc"), 400, CLOSE)
    add("truncated chunk", chunked(b"a\r\nabc"), 400, CLOSE)
    add("chunked without last chunk", chunked(b"3\r\nabc\r\n"), 400, CLOSE)
    add("chunked without final CRLF", chunked(b"3\r\nabc\r\n0\r\n"), 400, CLOSE)
    return c


CORPUS = build_corpus()


def send_one(port, data):
    """(status or CLOSE, closed afterwards) for one request on its own
    connection, half-closed after sending."""
    with RawConnection(port, timeout=10) as c:
        try:
            c.send(data)
            c.sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        try:
            r = c.read_response()
        except ProtocolError:
            if c.eof and not c.buf:
                return CLOSE, True
            raise
        except OSError:
            return CLOSE, True
        return r.status, (c.eof or c.wait_closed(10))


@pytest.fixture(scope="module", params=["cpython", "micropython"])
def server(request, start_app_module):
    return start_app_module("tests/apps/robust_app.py", request.param)


def test_corpus_is_big_enough():
    assert len(CORPUS) >= 100, len(CORPUS)
    assert len(set(name for name, _, _ in CORPUS)) == len(CORPUS)


def test_each_hostile_request_gets_the_right_answer(server):
    wrong = []
    for name, data, ok in CORPUS:
        got, closed = send_one(server.port, data)
        if got not in ok:
            wrong.append("%s: expected %s, got %s" % (name, sorted(ok, key=str), got))
        elif got != CLOSE and got >= 400 and not closed:
            wrong.append("%s: %s but the connection stayed open" % (name, got))
        assert server.alive(), "server died on %r:\n%s" % (name, server.log()[-3000:])
    assert not wrong, "%d of %d wrong:\n%s" % (len(wrong), len(CORPUS), "\n".join(wrong))


def mem(port):
    with RawConnection(port, timeout=10) as c:
        c.send(get("/_mem"))
        return json.loads(c.read_response().body)


def test_server_serves_and_heap_returns_after_the_corpus(server):
    for _ in range(2):   # the first pass loads lazily imported modules
        for name, data, ok in CORPUS:
            send_one(server.port, data)
    first = mem(server.port)
    for name, data, ok in CORPUS:
        send_one(server.port, data)
    after = mem(server.port)
    assert server.alive(), server.log()[-3000:]
    with RawConnection(server.port) as c:
        c.send(get("/"))
        r = c.read_response()
        assert r.status == 200 and r.body == b"hello"
    assert after["conns"] <= 1, after
    if server.runtime == "micropython":
        assert after["alloc"] <= first["alloc"] + HEAP_SLACK, (first, after)
    print("heap after pass 2: %s, after pass 3: %s" % (first, after))
