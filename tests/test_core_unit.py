"""Unit tests of the sans-IO core: head parser, body framing, chunked
decoder, encoders, percent/query/cookie decoding, dates, router, static
path resolution.

The same file runs under CPython (pytest collects the test_* functions) and
under MicroPython (tests/mp_unit.py imports it and calls them), so it keeps
to the MicroPython subset: no pytest in the tests themselves, no f-strings,
no reliance on dict order. Parsers are fed whole, one byte at a time, and
followed by garbage (h11's habit).
"""
try:
    import ahttp  # noqa: F401  (MicroPython: mp_unit.py set the path)
except ImportError:
    import os
    import sys
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from ahttp._http import (HTTPError, Limits, find_head_end, parse_head, body_framing,
                         encode_head, encode_chunk, reason)
from ahttp._query import unquote, parse_qs, parse_qsl
from ahttp._chunked import ChunkedDecoder
from ahttp._cookie import parse_cookies, cookie_header
from ahttp._dates import http_date, parse_http_date
from ahttp._app import Router
from ahttp._setup import add as route_add
from ahttp import _static


def raises(status, fn, *args):
    """Call fn(*args) and check it raises HTTPError with `status`."""
    try:
        fn(*args)
    except HTTPError as e:
        assert e.status == status, "expected %d, got %d (%s) for %r" % (
            status, e.status, e.message, args)
        return e
    raise AssertionError("expected HTTPError %d for %r" % (status, args))


def raises_value_error(fn, *args):
    try:
        fn(*args)
    except ValueError:
        return
    raise AssertionError("expected ValueError for %r" % (args,))


def small_limits():
    return Limits(max_request_line=64, max_header_line=64, max_headers=4,
                  max_head=256, max_body=100)


REQ = b"GET /a?b=c HTTP/1.1\r\nHost: example\r\nX-Two: 2\r\n\r\n"


# -- find_head_end -------------------------------------------------------------

def test_find_head_end_whole():
    assert find_head_end(REQ, Limits()) == len(REQ)


def test_find_head_end_byte_at_a_time():
    lim = Limits()
    for i in range(len(REQ)):
        assert find_head_end(REQ[:i], lim) == -1, i
    assert find_head_end(REQ, lim) == len(REQ)


def test_find_head_end_followed_by_garbage():
    assert find_head_end(REQ + b"\x00garbage\r\n\r\nmore", Limits()) == len(REQ)


def test_find_head_end_pipelined():
    assert find_head_end(REQ + REQ, Limits()) == len(REQ)


def test_find_head_end_long_request_line_without_newline_is_414():
    raises(414, find_head_end, b"GET /" + b"a" * 100, small_limits())


def test_find_head_end_head_too_large_is_431():
    lim = small_limits()
    head = b"GET / HTTP/1.1\r\n" + b"X-A: bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\r\n" * 6
    raises(431, find_head_end, head, lim)
    raises(431, find_head_end, head + b"\r\n", lim)


def test_find_head_end_bare_lf_is_400():
    raises(400, find_head_end, b"GET / HTTP/1.1\nHost: x\n\n", Limits())


# -- parse_head --------------------------------------------------------------------

def test_parse_head_basic():
    method, target, version, headers = parse_head(REQ, Limits())
    assert method == "GET"
    assert target == "/a?b=c"
    assert version == "HTTP/1.1"
    assert headers == {"host": "example", "x-two": "2"}


def test_parse_head_lowercases_names_and_trims_values():
    h = parse_head(b"GET / HTTP/1.1\r\nHoSt:   x \t\r\nCONTENT-type:\ttext/plain\r\n\r\n",
                   Limits())[3]
    assert h == {"host": "x", "content-type": "text/plain"}


def test_parse_head_combines_repeated_fields():
    h = parse_head(b"GET / HTTP/1.1\r\nHost: x\r\nAccept: a\r\naccept: b\r\n"
                   b"Cookie: a=1\r\nCookie: b=2\r\n\r\n", Limits())[3]
    assert h["accept"] == "a, b"
    assert h["cookie"] == "a=1; b=2"


def test_parse_head_http10():
    assert parse_head(b"GET / HTTP/1.0\r\n\r\n", Limits())[2] == "HTTP/1.0"


def test_parse_head_utf8_value():
    h = parse_head("GET / HTTP/1.1\r\nHost: x\r\nX-Name: J\u00fcrgen\r\n\r\n".encode(), Limits())[3]
    assert h["x-name"] == "J\u00fcrgen"


BAD_REQUEST_LINES = [
    b"GET /",
    b"GET  / HTTP/1.1",
    b"GET / HTTP/1.1 x",
    b"G(T / HTTP/1.1",
    b"G\xc3\xa9T / HTTP/1.1",
    b"GET / HTTX/1.1",
    b"GET / http/1.1",
    b"GET /a\x01b HTTP/1.1",
]

BAD_FIELD_LINES = [
    b" c",                 # obsolete line folding
    b"\tc",
    b"Host2 x",            # no colon
    b"X-A : x",            # space before colon
    b": x",                # empty name
    b"X(A): x",
    b"X-A: b\rc",
    b"X-A: b\x00c",
]

BAD_400 = ([line + b"\r\nHost: x\r\n\r\n" for line in BAD_REQUEST_LINES]
           + [b"GET / HTTP/1.1\r\nHost: x\r\n" + line + b"\r\n\r\n" for line in BAD_FIELD_LINES]
           + [b"GET / HTTP/1.1\r\n Host: x\r\n\r\n",
              b"GET / HTTP/1.1\r\nHost: x\r\nX-A: b\nc\r\n\r\n"])


def test_parse_head_rejects_malformed_heads():
    for head in BAD_400:
        raises(400, parse_head, head, Limits())


def test_parse_head_rejects_non_ascii_header_name():
    # str.isalpha() is true for "\u00e9" on CPython; a field name is a token.
    raises(400, parse_head, "GET / HTTP/1.1\r\nHost: x\r\nX-\u00e9: v\r\n\r\n".encode(), Limits())


def test_parse_head_unsupported_version_is_505():
    raises(505, parse_head, b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", Limits())
    raises(505, parse_head, b"GET / HTTP/3.0\r\nHost: x\r\n\r\n", Limits())
    raises(505, parse_head, b"GET / HTTP/0.9\r\nHost: x\r\n\r\n", Limits())


def test_parse_head_later_1x_minor_is_1_1():
    # RFC 9112 2.3: handled as the 1.1 it is compatible with (Host required)
    for v in (b"HTTP/1.2", b"HTTP/1.9"):
        assert parse_head(b"GET / " + v + b"\r\nHost: x\r\n\r\n", Limits())[2] == "HTTP/1.1"
        raises(400, parse_head, b"GET / " + v + b"\r\n\r\n", Limits())


def test_parse_head_obs_text_value_is_latin1():
    # RFC 9110 5.5: obs-text in a value; not UTF-8, so read as Latin-1,
    # while a UTF-8 value in the same head stays UTF-8
    h = parse_head(b"GET / HTTP/1.1\r\nHost: x\r\nX-A: caf\xe9 \xff\x80\r\n"
                   b"X-B: J\xc3\xbcrgen\r\n\r\n", Limits())[3]
    assert h["x-a"] == "caf\u00e9 \u00ff\u0080"
    assert h["x-b"] == "J\u00fcrgen"
    raises(400, parse_head, b"GET /caf\xe9 HTTP/1.1\r\nHost: x\r\nX-A: \xe9\r\n\r\n", Limits())
    raises(400, parse_head, b"GET / HTTP/1.1\r\nHost: x\r\nX-\xe9: v\r\n\r\n", Limits())


def test_parse_head_obs_text_decodes_every_byte_as_latin1():
    data = bytes(range(0x80, 0x100)) + b"x"
    h = parse_head(b"GET / HTTP/1.1\r\nHost: x\r\nX-A: " + data + b"\r\n\r\n", Limits())[3]
    text = h["x-a"]
    assert len(text) == 129
    assert [ord(text[i:i + 1]) for i in range(129)] == list(range(0x80, 0x100)) + [0x78]


GARBAGE_HEADS = [
    b"\x16\x03\x01\x00\xa5\x01\x00",   # TLS ClientHello
    b"\x00GET",
    b"G(T",
    b"GET\t",
    b" GET",
    b"GET  /",
    b"GET / HTTX",
    b"GET / http/1.1",
    b"GET / HTTP/1.1 extra",
    b"GET / HTTP/x",
    b"GET /a\x7f",
    b"X-Header: value",
]


def test_find_head_end_refuses_what_cannot_become_a_request_line():
    # at once, from the bytes so far, whatever a read split off
    for data in GARBAGE_HEADS:
        raises(400, find_head_end, data, Limits())
        raises(400, find_head_end, data + b"\r\nHost: x", Limits())


def test_find_head_end_waits_on_every_prefix_of_a_request_line():
    line = b"OPTIONS /a/b?c=d%20e HTTP/1.1\r\nHost: x\r\n"
    for i in range(len(line) + 1):
        assert find_head_end(line[:i], Limits()) == -1, line[:i]
    assert find_head_end(b"\r", Limits()) == -1


def test_json_nested_deeper_than_64_is_400():
    from ahttp.request import decode_json
    raises(400, decode_json, b"[" * 2000 + b"]" * 2000)
    raises(400, decode_json, b"[" * 65 + b"]" * 65)
    raises(400, decode_json, b'{"a":' * 100 + b"1" + b"}" * 100)
    raises(400, decode_json, b'["\\\\", ' + b"[" * 70 + b"]" * 70 + b"]")  # escaped \, then deep
    assert decode_json(b"[" * 64 + b"]" * 64) is not None
    assert decode_json(b'["[[[[\\"[[[' + b"{" * 100 + b'", 1]') == ["[[[[\"[[[" + "{" * 100, 1]
    many = b"[" + b",".join(b'{"a": [1, {"b": "]]]"}]}' for _ in range(200)) + b"]"
    assert len(decode_json(many)) == 200


def test_parse_head_http11_needs_exactly_one_host():
    raises(400, parse_head, b"GET / HTTP/1.1\r\n\r\n", Limits())
    raises(400, parse_head, b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", Limits())


def test_parse_head_limits():
    lim = small_limits()
    raises(414, parse_head, b"GET /" + b"a" * 80 + b" HTTP/1.1\r\nHost: x\r\n\r\n", lim)
    raises(431, parse_head, b"GET / HTTP/1.1\r\nHost: x\r\nX-A: " + b"b" * 80 + b"\r\n\r\n", lim)
    many = b"GET / HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-" + str(i).encode() + b": v\r\n"
                                                        for i in range(4)) + b"\r\n"
    raises(431, parse_head, many, lim)
    ok = b"GET / HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-" + str(i).encode() + b": v\r\n"
                                                      for i in range(3)) + b"\r\n"
    assert len(parse_head(ok, lim)[3]) == 4


# -- body_framing -------------------------------------------------------------------

def test_body_framing_lengths():
    assert body_framing({}, 100) == 0
    assert body_framing({"content-length": "0"}, 100) == 0
    assert body_framing({"content-length": "42"}, 100) == 42
    assert body_framing({"content-length": "100"}, 100) == 100
    assert body_framing({"content-length": "7, 7"}, 100) == 7
    assert body_framing({"transfer-encoding": "chunked"}, 100) == -1
    assert body_framing({"transfer-encoding": "Chunked"}, 100) == -1


def test_body_framing_refusals():
    cases = [
        ({"content-length": "5", "transfer-encoding": "chunked"}, 400),
        ({"content-length": "-1"}, 400),
        ({"content-length": "+1"}, 400),
        ({"content-length": "1.0"}, 400),
        ({"content-length": "0x10"}, 400),
        ({"content-length": ""}, 400),
        ({"content-length": "1 2"}, 400),
        ({"content-length": "5, 6"}, 400),
        ({"content-length": "\u0661"}, 400),
        ({"content-length": "\u00b2"}, 400),
        ({"content-length": "101"}, 413),
        ({"transfer-encoding": "gzip"}, 501),
        ({"transfer-encoding": "gzip, chunked"}, 501),
    ]
    for headers, status in cases:
        raises(status, body_framing, headers, 100)


# -- ChunkedDecoder ---------------------------------------------------------------

CHUNKED = b"5;ext=1\r\nhello\r\n6\r\n world\r\nA\r\n0123456789\r\n0\r\nX-T: 1\r\nY: 2\r\n\r\n"
CHUNKED_BODY = b"hello world0123456789"


def feed_all(dec, data, step):
    out = []
    for i in range(0, len(data), step):
        out.extend(dec.feed(data[i:i + step]))
        if dec.done:
            break
    return b"".join(out)


def test_chunked_whole():
    dec = ChunkedDecoder(100)
    assert feed_all(dec, CHUNKED, len(CHUNKED)) == CHUNKED_BODY
    assert dec.done and dec.rest == b""


def test_chunked_byte_at_a_time():
    dec = ChunkedDecoder(100)
    out = []
    for i in range(len(CHUNKED)):
        assert not dec.done, i
        out.extend(dec.feed(CHUNKED[i:i + 1]))
    assert dec.done
    assert b"".join(out) == CHUNKED_BODY


def test_chunked_every_split_point():
    for cut in range(1, len(CHUNKED)):
        dec = ChunkedDecoder(100)
        out = dec.feed(CHUNKED[:cut]) + dec.feed(CHUNKED[cut:])
        assert dec.done, cut
        assert b"".join(out) == CHUNKED_BODY, cut


def test_chunked_followed_by_next_request():
    dec = ChunkedDecoder(100)
    body = b"".join(dec.feed(CHUNKED + REQ + b"garbage"))
    assert body == CHUNKED_BODY
    assert dec.done
    assert dec.rest == REQ + b"garbage"


def test_chunked_empty_body():
    dec = ChunkedDecoder(100)
    assert dec.feed(b"0\r\n\r\n") == [] and dec.done


def test_chunked_errors():
    cases = [
        (b"zz\r\nhello\r\n0\r\n\r\n", 400),
        (b"+5\r\nhello\r\n0\r\n\r\n", 400),
        (b"-5\r\nhello\r\n0\r\n\r\n", 400),
        (b"\r\nhello\r\n0\r\n\r\n", 400),
        (b"3\r\nhello\r\n0\r\n\r\n", 400),
        (b"5\nhello\r\n0\r\n\r\n", 400),
        (b"5\r\nhello\n0\r\n\r\n", 400),
        (b"5\r\nhello\r\n0\r\nbad trailer\r\n\r\n", 400),
        (b"fffffffff\r\n", 400),
        (b"65\r\n", 413),                                   # 101 > 100
        (b"32\r\n" + b"a" * 50 + b"\r\n33\r\n", 413),       # 50 + 51 > 100
        (b"5" + b" " * 300 + b"\r\n", 400),                 # line too long
    ]
    for data, status in cases:
        raises(status, lambda d: ChunkedDecoder(100).feed(d), data)


# -- encoders ------------------------------------------------------------------------

def test_encode_head_exact_bytes():
    got = encode_head(200, [("Server", "ahttp"), ("Content-Length", 5)])
    assert got == b"HTTP/1.1 200 OK\r\nServer: ahttp\r\nContent-Length: 5\r\n\r\n"


def test_encode_head_refuses_header_injection():
    raises_value_error(encode_head, 200, [("X-A", "a\r\nSet-Cookie: evil=1")])
    raises_value_error(encode_head, 200, [("X-A", "a\nb")])
    raises_value_error(encode_head, 200, [("X-A\r\nB", "a")])


def test_encode_chunk():
    assert encode_chunk(b"abc") == b"3\r\nabc\r\n"
    assert encode_chunk(b"x" * 26) == b"1a\r\n" + b"x" * 26 + b"\r\n"
    assert encode_chunk(b"") == b""


def test_reason_phrases():
    assert reason(200) == "OK"
    assert reason(404) == "Not Found"
    assert reason(431) == "Request Header Fields Too Large"


def test_fast_path_heads_match_head_prefix():
    # encode_value's constant heads are what head_prefix builds
    from ahttp import _response as R
    assert R._P200 == (R.head_prefix(200, R.HTML), R.head_prefix(200, R._OCTET),
                       R.head_prefix(200, R._JSON))


class _Req:
    # a request on no connection: verdict() reads its version and headers
    _reader = None

    def __init__(self, keep=True, version="1.1"):
        self.version = version
        if version == "1.1":
            self.headers = {} if keep else {"connection": "close"}
        else:
            self.headers = {"connection": "keep-alive"} if keep else {}


def test_encode_value_fast_path_bytes():
    from ahttp._response import encode_value
    head, keep, rest, status = encode_value("h\u00e9", _Req(), False)
    assert head == (b"HTTP/1.1 200 OK\r\nServer: ahttp\r\nContent-Type: text/html; "
                    b"charset=utf-8\r\nContent-Length: 3\r\n\r\nh\xc3\xa9")
    assert keep == 0 and rest is None                       # verdict(): kept
    head, keep, rest, status = encode_value({"a": 1}, _Req(False), True)    # HEAD, closing
    assert head == (b"HTTP/1.1 200 OK\r\nServer: ahttp\r\nContent-Type: application/json"
                    b"\r\nContent-Length: 8\r\nConnection: close\r\n\r\n")
    assert keep == 1 and rest is None                       # closed, nothing to linger for
    big = b"x" * 600                                                # body written apart
    head, keep, rest, status = encode_value(big, _Req(True, "1.0"), False)
    assert head == (b"HTTP/1.1 200 OK\r\nServer: ahttp\r\nContent-Type: application/"
                    b"octet-stream\r\nContent-Length: 600\r\nConnection: keep-alive\r\n\r\n")
    assert rest is big and status == 200
    assert encode_value(3.5, _Req(), False) is None


class _Stopping:
    _stopping = True


class _Conn:
    # what verdict() reads of a driver's connection (RecvBuffer)
    taken = False
    closed = False
    body = None
    response = None
    _buf = b""
    _pos = 0
    app = _Req      # (any object whose _stopping is false)
    _stopping = False

    def __init__(self, **kw):
        for k in kw:
            setattr(self, k, kw[k])


class _BodyState:
    # what verdict() asks of a request body (_body.Body)
    def __init__(self, reusable, finished):
        self.r = reusable
        self.f = finished

    def reusable(self):
        return self.r

    def finished(self):
        return self.f


class _Framed:
    def __init__(self, framing):
        self.framing = framing


def _verdict_req(version, connection, conn):
    r = _Req(True, version)
    r.headers = {} if connection is None else {"connection": connection}
    r._reader = conn
    return r


_Req._stopping = False
_KEEP, _END, _DRAIN, _LINGER = 0, 1, 2, 3
# (version, Connection header, the response allows keep-alive, connection) -> verdict
_VERDICTS = [
    ("1.1", None, True, None, _KEEP),
    ("1.1", "keep-alive", True, _Conn(), _KEEP),
    ("1.1", "close", True, _Conn(), _END),
    ("1.1", "Keep-Alive, CLOSE", True, _Conn(), _END),
    ("1.0", None, True, _Conn(), _END),
    ("1.0", "Keep-Alive", True, _Conn(), _KEEP),
    # the server closes (close=True, an error): the client may have pipelined
    ("1.1", None, False, _Conn(), _LINGER),
    ("1.0", "keep-alive", False, _Conn(), _LINGER),
    # a close-delimited body ends with the close: linger only for bytes received
    ("1.1", None, False, _Conn(response=_Framed(2)), _END),
    ("1.1", None, False, _Conn(response=_Framed(2), _buf=b"GET / HT"), _LINGER),
    ("1.1", None, False, _Conn(response=_Framed(2), _buf=b"GET / HT", _pos=8), _END),
    ("1.1", None, False, _Conn(response=_Framed(0)), _LINGER),
    # a request body: dropped to keep the connection, or lingered over
    ("1.1", None, True, _Conn(body=_BodyState(True, False)), _DRAIN),
    ("1.1", None, True, _Conn(body=_BodyState(True, True)), _DRAIN),
    ("1.1", None, True, _Conn(body=_BodyState(False, False)), _LINGER),
    ("1.1", "close", True, _Conn(body=_BodyState(True, False)), _LINGER),
    ("1.1", "close", True, _Conn(body=_BodyState(True, True)), _END),
    ("1.0", None, False, _Conn(body=_BodyState(True, True)), _END),
    ("1.1", None, False, _Conn(response=_Framed(2), body=_BodyState(False, False)), _LINGER),
    # the response failed part way (the handler raised after its head)
    ("1.1", "close", None, _Conn(), _LINGER),
    ("1.1", None, None, _Conn(response=_Framed(2)), _LINGER),
    ("1.1", None, None, _Conn(taken=True), _END),
    # the handler owns the socket, or closed it
    ("1.1", None, True, _Conn(taken=True), _END),
    ("1.1", None, False, _Conn(taken=True, body=_BodyState(False, False)), _END),
    ("1.1", None, True, _Conn(closed=True), _END),
    # the server is stopping
    ("1.1", None, True, _Conn(app=_Stopping), _END),
    ("1.1", None, True, _Conn(app=_Stopping, body=_BodyState(True, False)), _LINGER),
    ("1.1", None, True, _Conn(app=_Stopping, body=_BodyState(True, True)), _END),
]


def test_verdict_keep_close_or_linger():
    from ahttp._response import verdict
    for i, (version, connection, keep, conn, expected) in enumerate(_VERDICTS):
        got = verdict(_verdict_req(version, connection, conn), keep)
        assert got == expected, (i, version, connection, keep, got, expected)
    assert verdict(None, False) == _LINGER      # refused before its framing was known
    assert verdict(None, True) == _LINGER


class _AppReq(_Req):
    app = None


# every shape the fast path takes, and some it must leave to HTTPResponse
_SHAPES = [
    "Hello", b"\x00\x01", {"a": [1, 2]}, [1, "x"], "x" * 700,
    ("Hello", 201), ("Hello", 404, {"Content-Type": "text/plain"}),
    ({"ok": True}, {"X-A": "1", "Content-Type": "text/html"}),
    (b"raw", [("X-B", 2), ("content-type", "image/png")]),
    ("Hello", 200, {"Content-Type": ""}), ("Hello", 200, {"content-length": "5"}),
    ("x" * 700, 500, [("X-C", "y")]), ("Hello", 204), (None, 404), ("a", "b", "c"),
    ("Hello", 200, {"X-Bad": "a\r\nb"}), ("Hello", 200, [("X-A",)]), ("Hello", 99),
    (bytearray(b"ba"), 200), ("Hello", 200, ("X-A", "1")),
]


class _Log:
    def log_exception(self, exc):
        pass


def test_encode_value_sends_what_httpresponse_sends():
    # one path for returned values: the fast path's bytes (or its refusal,
    # None) are exactly the general path's
    from ahttp._response import encode_value, make_response, BaseResponse
    for value in _SHAPES:
        for keep, version, head_only in [(True, "1.1", False), (False, "1.1", False),
                                         (True, "1.0", False), (True, "1.1", True)]:
            req = _AppReq(keep, version)
            req.app = _Log()
            enc = encode_value(value, req, head_only)
            if enc is None:
                continue    # left to the general path
            resp = make_response(BaseResponse, value)
            general = resp.encode(req, head_only)
            body = enc[2]
            sent = enc[0] + (bytes(body) if body is not None else b"")
            assert sent == general + (resp._rest or b""), (value, sent, general)
            assert (not enc[1] & 1) == resp.keep, value
            assert enc[3] == resp.status, value


def test_encode_value_takes_the_common_tuples():
    from ahttp._response import encode_value
    for value in [("a", 201), ("a", 404, {"Content-Type": "text/plain"}),
                  ({"a": 1}, {"X-A": "1"}), (b"a", 200, [("X-B", "2")])]:
        assert encode_value(value, _AppReq(), False) is not None, value


# -- percent, query, cookies ----------------------------------------------------------

def test_unquote():
    assert unquote("a%20b") == "a b"
    assert unquote("a+b") == "a+b"
    assert unquote("a+b", True) == "a b"
    assert unquote("%2B", True) == "+"
    assert unquote("%C3%A9%e2%98%83") == "\u00e9\u2603"
    assert unquote("100%25") == "100%"
    assert unquote("plain") == "plain"


def test_unquote_errors():
    for bad in ("%", "%2", "%zz", "a%g0", "%ff", "%C3"):
        raises(400, unquote, bad)


def test_parse_qs():
    assert parse_qs("") == {}
    assert parse_qs("a=1&b=2") == {"a": "1", "b": "2"}
    assert parse_qs("a=1+2&b=%26%3D") == {"a": "1 2", "b": "&="}
    assert parse_qs("flag&x=") == {"flag": "", "x": ""}
    assert parse_qs("a=1&&b=2&") == {"a": "1", "b": "2"}
    assert parse_qs("a=1&a=2") == {"a": "2"}
    assert parse_qs("k=v=w") == {"k": "v=w"}
    assert parse_qs("na%C3%AFve=caf%C3%A9") == {"na\u00efve": "caf\u00e9"}


def test_parse_qsl_keeps_repeats_in_order():
    assert parse_qsl("a=1&b=2&a=3") == [("a", "1"), ("b", "2"), ("a", "3")]


def test_parse_cookies():
    assert parse_cookies(None) == {}
    assert parse_cookies("") == {}
    assert parse_cookies("a=1") == {"a": "1"}
    assert parse_cookies("a=1; b=two ;c=x=y") == {"a": "1", "b": "two", "c": "x=y"}
    assert parse_cookies('q="quoted"') == {"q": "quoted"}
    assert parse_cookies("junk; a=1") == {"a": "1"}


def test_cookie_header():
    v = cookie_header("sid", "abc", max_age=60, http_only=True, secure=True,
                      same_site="Strict")
    parts = v.split("; ")
    assert parts[0] == "sid=abc"
    for p in ("Max-Age=60", "Path=/", "HttpOnly", "Secure", "SameSite=Strict"):
        assert p in parts, (p, parts)
    assert cookie_header("a", "b", path=None) == "a=b"
    assert "Expires=Thu, 01 Jan 1970 00:00:00 GMT" in cookie_header("a", "", expires=0)


def test_cookie_header_refuses_injection():
    raises_value_error(cookie_header, "a b", "v")
    raises_value_error(cookie_header, "a", "v; Domain=evil")
    raises_value_error(cookie_header, "a;", "v")


# -- dates -------------------------------------------------------------------------

DATES = [
    (0, "Thu, 01 Jan 1970 00:00:00 GMT"),
    (784111777, "Sun, 06 Nov 1994 08:49:37 GMT"),
    (951782400, "Tue, 29 Feb 2000 00:00:00 GMT"),
    (1700000000, "Tue, 14 Nov 2023 22:13:20 GMT"),
    (4102444799, "Thu, 31 Dec 2099 23:59:59 GMT"),
]


def test_http_date():
    for ts, text in DATES:
        assert http_date(ts) == text, (ts, http_date(ts))


def test_parse_http_date():
    for ts, text in DATES:
        assert parse_http_date(text) == ts, text
    for bad in ("", "yesterday", "Sun, 06 Nov 1994 08:49:37 UTC",
                "Sun, 06 Foo 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT"):
        assert parse_http_date(bad) is None, bad


# -- router -----------------------------------------------------------------------

def h_a():
    pass


def h_b():
    pass


def h_c():
    pass


def make_router():
    r = Router()
    route_add(r, "GET", "/users/<name>", h_a)
    route_add(r, "GET", "/users/me", h_b)
    route_add(r, ["GET", "post"], "/items/<int:id>", h_c)
    route_add(r, "GET", "/files/<path:rest>", h_a)
    route_add(r, "PUT", "/things", h_b)
    route_add(r, "DELETE", "/things", h_c)
    return r


def allow_of(e):
    for k, v in e.headers:
        if k.lower() == "allow":
            return set(m.strip() for m in v.split(","))
    raise AssertionError("no Allow header")


def test_router_static_before_parameter():
    r = make_router()
    assert r.match("GET", "/users/me") == (h_b, {})
    assert r.match("GET", "/users/bob") == (h_a, {"name": "bob"})


def test_router_converters():
    r = make_router()
    assert r.match("GET", "/items/42") == (h_c, {"id": 42})
    assert r.match("POST", "/items/7") == (h_c, {"id": 7})
    assert r.match("GET", "/files/a/b/c") == (h_a, {"rest": "a/b/c"})
    for path in ("/items/x", "/items/", "/items/4.2", "/items/\u00b2", "/items/\u0661",
                 "/files/", "/users/a/b", "/nope"):
        raises(404, r.match, "GET", path)


def test_router_405_and_allow():
    r = make_router()
    e = raises(405, r.match, "GET", "/things")
    assert allow_of(e) >= set(["PUT", "DELETE", "OPTIONS"])
    e = raises(405, r.match, "DELETE", "/items/3")
    assert allow_of(e) >= set(["GET", "HEAD", "POST"])


def test_router_options_and_head():
    r = make_router()
    h, allow = r.match("OPTIONS", "/items/3")
    assert h is None
    assert set(m.strip() for m in allow.split(",")) >= set(["GET", "HEAD", "POST", "OPTIONS"])
    assert r.match("HEAD", "/users/me") == (h_b, {})
    assert r.match("HEAD", "/items/5") == (h_c, {"id": 5})
    raises(405, r.match, "HEAD", "/things")


def test_router_rejects_bad_patterns():
    r = Router()
    for path in ("no-slash", "/a/<path:p>/b", "/a/x<y>", "/a/<bad:y>", "/a/<>",
                 "/a/<id>/<id>", "/a/<int:n>/<path:n>"):
        raises_value_error(route_add, r, "GET", path, h_a)


def test_router_methods_for_options_asterisk():
    ms = make_router().methods()
    for m in ("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"):
        assert m in ms


# -- static path resolution -----------------------------------------------------

class _CountingGC:
    """Stands in for the gc module: how often the free heap was asked."""

    def __init__(self, free):
        self.free = free
        self.asked = 0
        self.collected = 0

    def mem_free(self):
        self.asked += 1
        return self.free

    def collect(self):
        self.collected += 1


def test_heap_room_measures_once_per_burst_and_refuses_a_low_heap():
    # gc.mem_free() walks the whole heap: new connections and streams share
    # one measure, taken again once the 4 KB each start may take (plus its
    # room) could have used up what was spare, or a second on
    import ahttp._http as h
    from ahttp._compat import ticks_ms, ticks_add
    fake = _CountingGC(65536)
    real, saved = h.gc, (h._spare, h._measured)
    h.gc = fake
    try:
        h._spare = -1
        assert h.heap_room(4096) is True
        assert fake.asked == 1
        for _ in range(15):         # 64 KB free, 4 KB kept: 15 starts spare
            assert h.heap_room(4096) is True
        assert fake.asked == 1
        assert h.heap_room(4096) is True
        assert fake.asked == 2
        assert h.heap_room(4096, 8192) is True      # room: 4 + 8 KB spent
        assert h.heap_room(4096) is True
        assert fake.asked == 2
        assert h.heap_room(4096, 50000) is True     # more than is left: measured
        assert fake.asked == 3
        h._measured = ticks_add(ticks_ms(), -2000)  # a second on: measured
        assert h.heap_room(4096) is True
        assert fake.asked == 4
        fake.free = 6000            # little spare: measured at each start
        h._spare = -1
        assert h.heap_room(4096) is True
        assert h.heap_room(4096) is True
        assert fake.asked == 6 and fake.collected == 0
        fake.free = 3000            # below min_free: collected, refused
        assert h.heap_room(4096) is False
        assert fake.asked == 8 and fake.collected == 1
        assert h.heap_room(4096) is False           # and again, not on credit
        assert fake.collected == 2
    finally:
        h.gc = real
        h._spare, h._measured = saved


def test_safe_join_stays_inside():
    assert _static.safe_join("www", "a/b.txt") == "www/a/b.txt"
    assert _static.safe_join("www", "") == "www"
    assert _static.safe_join("www", "a//b") == "www/a/b"
    for bad in ("..", "../x", "a/../../x", ".hidden", "a/.git/config", "a\x00b",
                "..\\x", "a\\..\\..\\x", "c:/x"):
        assert _static.safe_join("www", bad) is None, bad


def test_guess_type():
    assert _static.guess_type("a/b.HTML").startswith("text/html")
    assert _static.guess_type("x.css").startswith("text/css")
    assert _static.guess_type("x.png") == "image/png"
    assert _static.guess_type("noext") == "application/octet-stream"
    assert _static.guess_type("dir.d/noext") == "application/octet-stream"


class _NoRealpathOs:
    """An os module as MicroPython's: no os.path.realpath; ilistdir reports
    every entry of `links` as a symlink and counts its calls."""

    def __init__(self, links):
        self.links = links
        self.scans = 0

    def ilistdir(self, path):
        self.scans += 1
        for name in ("a", "b.txt"):
            yield (name, 0o120000 if name in self.links else 0o100000, 0)


def test_symlink_scan_only_where_symlinks_can_exist():
    # The unix port (VfsPosix) scans each directory on the way and refuses
    # a symlink; a board's FAT/littlefs cannot hold one: no scan at all.
    real_os, real_links = _static.os, _static._LINKS
    try:
        fake = _NoRealpathOs(links=("b.txt",))
        _static.os = fake
        _static._LINKS = True
        assert _static._inside("/www", "/www/b.txt") is False
        assert fake.scans == 1
        _static._LINKS = False
        assert _static._inside("/www", "/www/b.txt") is True
        assert fake.scans == 1
    finally:
        _static.os, _static._LINKS = real_os, real_links


def test_parse_range():
    pr = _static._parse_range
    assert pr("bytes=0-9", 100) == (0, 9)
    assert pr("bytes=90-", 100) == (90, 99)
    assert pr("bytes=-10", 100) == (90, 99)
    assert pr("bytes=95-200", 100) == (95, 99)
    assert pr("bytes=-200", 100) == (0, 99)
    assert pr("bytes=100-", 100) == -1
    assert pr("bytes=100-200", 100) == -1
    assert pr("bytes=-0", 100) == -1
    assert pr("bytes=5-2", 100) is None
    assert pr("bytes=x-2", 100) is None
    assert pr("items=0-1", 100) is None


# -- CPython only: run the same tests under MicroPython --------------------------

try:
    import pytest
except ImportError:
    pytest = None

if pytest is not None:
    def test_core_unit_tests_pass_under_micropython():
        import subprocess
        from conftest import ROOT, TESTS, micropython_exe, runtime_env
        proc = subprocess.run([micropython_exe(), TESTS + "/mp_unit.py"],
                              env=runtime_env("micropython"), cwd=ROOT,
                              capture_output=True, text=True, timeout=120)
        out = proc.stdout + proc.stderr
        failed = [l for l in out.splitlines() if l.startswith("FAIL")]
        assert proc.returncode == 0 and not failed and "ALL PASSED" in out, out

    def test_verdict_constants_are_the_drivers():
        # the drivers keep private copies of verdict()'s answers (CPython:
        # MicroPython folds private constants into the code)
        import ahttp._response as r
        import ahttp.server as a
        import ahttp.sync as b
        import ahttp._server_cold as c
        assert (r._KEEP, r._END, r._DRAIN, r._LINGER) == (_KEEP, _END, _DRAIN, _LINGER)
        assert (a._END, a._DRAIN, a._LINGER) == (_END, _DRAIN, _LINGER)
        assert (b._END, b._DRAIN, b._LINGER_CLOSE) == (_END, _DRAIN, _LINGER)
        assert c._LINGER == _LINGER
