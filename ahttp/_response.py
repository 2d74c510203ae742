"""Response heads, framing and the connection's verdict, shared by both
drivers.

`BaseResponse` decides the framing of a response (Content-Length, chunked
or close-delimited) and builds its head in one join; the drivers subclass it
with `send`/`write`/`end` that do the I/O. `verdict()` is the one place that
decides whether a connection is kept, closed, or closed with a lingering
read. No I/O here.
"""
import json

from ._http import reason
from ._compat import cold, MICROPYTHON, const
# builtins as module globals: MicroPython looks a builtin name up along
# its builtins table (~100 ns), a global in one step (docs/design.md)
from builtins import bytes, dict, int, len, list, memoryview, str, tuple, type

SERVER = "ahttp"
HTML = "text/html; charset=utf-8"
_JSON = "application/json"
_OCTET = "application/octet-stream"
_CLOSE_H = b"Connection: close\r\n"
_KEEP_H = b"Connection: keep-alive\r\n"


# MicroPython formats bytes % str into one bytes object (no str to encode
# afterwards); CPython refuses that, so there the formats stay str.
_HEAD = "HTTP/1.1 %d %s\r\nServer: %s\r\n"
_HEAD_CT = _HEAD + "Content-Type: %s\r\n"
if MICROPYTHON:
    _HEAD = _HEAD.encode()
    _HEAD_CT = _HEAD_CT.encode()


def head_prefix(status, ctype):
    """Status line, Server and Content-Type as bytes. Built per response
    (the fast path's are the constants _P200): a cache filled while
    serving would put long-lived objects all over the heap, leaving a
    board's free memory in small pieces. One format, one object."""
    if ctype:
        _check(ctype)
        h = _HEAD_CT % (status, reason(status), SERVER, ctype)
    else:
        h = _HEAD % (status, reason(status), SERVER)
    return h if MICROPYTHON else h.encode()


def _check(value):
    if "\n" in value or "\r" in value:
        raise ValueError("CR or LF in a response header: " + repr(value))


# head_prefix(200, t) for the fast path's types (HTML, _OCTET, _JSON), as
# constants: in ROMFS or frozen code their bytes stay in flash
# (test_core_unit checks them against head_prefix)
_P200 = (b"HTTP/1.1 200 OK\r\nServer: ahttp\r\nContent-Type: text/html; charset=utf-8\r\n",
         b"HTTP/1.1 200 OK\r\nServer: ahttp\r\nContent-Type: application/octet-stream\r\n",
         b"HTTP/1.1 200 OK\r\nServer: ahttp\r\nContent-Type: application/json\r\n")


if MICROPYTHON:
    def _dumps(v, top=True):
        """json.dumps, refusing what JSON cannot hold (TypeError), as
        CPython's does: MicroPython's writes repr() of other objects and
        bytes as strings, which is not the value (or not JSON at all).
        Scalars are checked in the loop, only containers recurse."""
        t = type(v)
        if t is dict or (t is not list and isinstance(v, dict)):
            for k in v:
                if type(k) is not str:
                    raise TypeError("JSON object keys must be str, not " + type(k).__name__)
                x = v[k]
                t = type(x)
                if not (t is str or t is int or t is bool or x is None or t is float):
                    _dumps(x, False)
        elif t is list or t is tuple or isinstance(v, (list, tuple)):
            for x in v:
                t = type(x)
                if not (t is str or t is int or t is bool or x is None or t is float):
                    _dumps(x, False)
        elif not (t is str or t is int or t is bool or v is None or t is float):
            raise TypeError("Object of type %s is not JSON serializable" % t.__name__)
        if top:
            return json.dumps(v)
else:
    _dumps = json.dumps


def encode_fields(headers):
    """(name, value) pairs as header lines; CR/LF refused (injection)."""
    parts = []
    for name, value in headers:
        _check(name)
        _check(value)
        parts.append(name)
        parts.append(": ")
        parts.append(value)
        parts.append("\r\n")
    return "".join(parts).encode()


def encode_value(value, request, head_only):
    """The one path for what a handler returns (see make_response for the
    shapes): str, bytes, dict or list, alone or in a tuple (body, status),
    (body, headers) or (body, status, headers). Returns (bytes to write,
    the connection's verdict(), a body to write after them or None,
    the status). A small body is joined to the head (one write); a larger
    one goes out on its own, so no head+body copy has to find room in a
    fragmented heap. None for anything else, or a value this cannot encode
    (the general path, HTTPResponse, answers or refuses it): the bytes are
    those HTTPResponse would send. What stays open is verdict()'s."""
    status = 200
    fields = b""
    ctype = _TYPES      # (no Content-Type header given)
    if type(value) is tuple:
        n = len(value)
        headers = None
        if n == 3:
            value, status, headers = value
        elif n == 2:
            value, status = value
            if type(status) is not int:
                status, headers = 200, status
        else:
            return None
        if type(status) is not int or status < 200 or status > 599 or status == 204 \
                or status == 304:
            return None
        if headers:
            if type(headers) is dict:
                headers = headers.items()
            elif type(headers) is not list:
                return None
            pairs = []
            try:
                for k, v in headers:
                    low = k.lower()
                    if low == "content-type":
                        ctype = v
                    elif low == "content-length":
                        return None
                    else:
                        pairs.append((k, str(v)))
                if ctype is not _TYPES and ctype:
                    _check(ctype)
                if pairs:
                    fields = encode_fields(pairs)
            except (ValueError, TypeError, AttributeError):
                return None     # refused (a 500, logged) by the general path
    t = type(value)
    if t is str:
        body = value
        ct = 0
    elif t is bytes:
        body = value
        ct = 1
    elif t is dict or t is list:
        try:
            body = _dumps(value)
        except (TypeError, ValueError):
            return None     # the general path answers it (a 500)
        ct = 2
    else:
        return None
    if ct == 1:
        n = len(body)
    elif MICROPYTHON:
        # the str's UTF-8 bytes as they are, not a copy (one body-sized
        # block less to find on a small heap): a memoryview counts them
        # and is what a long body is written as; bytes % str takes them
        n = len(memoryview(body))
    else:
        body = body.encode()
        n = len(body)
    v = verdict(request, True)
    if v & 1:
        conn = _CLOSE_H
    else:
        conn = _KEEP_H if request.version == "1.0" else b""
    # one formatting, no intermediate pieces: this runs for every request
    # the fast path answers
    if ctype is _TYPES:
        prefix = _P200[ct] if status == 200 else head_prefix(status, _TYPES[ct])
    else:
        prefix = head_prefix(status, ctype)
    if head_only or n > 512:
        if not head_only and type(body) is str:
            body = memoryview(body)
        return (b"%sContent-Length: %d\r\n%s%s\r\n" % (prefix, n, conn, fields), v,
                None if head_only else body, status)
    return (b"%sContent-Length: %d\r\n%s%s\r\n%s" % (prefix, n, conn, fields, body), v,
            None, status)


_TYPES = (HTML, _OCTET, _JSON)

# What a server at its connection cap answers before closing.
BUSY = (b"HTTP/1.1 503 Service Unavailable\r\nServer: ahttp\r\n"
        b"Content-Type: text/plain\r\nContent-Length: 20\r\nRetry-After: 1\r\n"
        b"Connection: close\r\n\r\n503 server is busy\r\n")
# What a request gets when answering it failed before anything was sent
# (an error page that could not be built): a constant, nothing to allocate.
FAIL = (b"HTTP/1.1 500 Internal Server Error\r\nServer: ahttp\r\n"
        b"Content-Type: text/plain\r\nContent-Length: 27\r\n"
        b"Connection: close\r\n\r\n500 Internal Server Error\r\n")

# framing of the body that follows a head
LENGTH = 0      # Content-Length (or no body at all)
CHUNKED = 1     # Transfer-Encoding: chunked
CLOSE = 2       # delimited by closing the connection

# What a connection does once a response is out: verdict()'s answers. Bit 0
# set: it ends; bit 1 set: bytes of the request may still be unread. (The
# drivers keep private copies of these: a const is folded into the code
# that uses it and costs no name on a board.)
_KEEP = const(0)        # read the next request
_END = const(1)         # close now
_DRAIN = const(2)       # drop the rest of the request body (Body.finish asks again)
_LINGER = const(3)      # close after a lingering read: the client may still be sending


def verdict(request, keep):
    """Whether the connection that carried `request` is kept (_KEEP, or
    _DRAIN: once the rest of the body is dropped), closed (_END) or closed
    after a lingering read (_LINGER), once its response is out. Both
    drivers act on this, and the head's Connection header says it.

    `keep`: the response allows another request (not `close=True`, not
    close-delimited); None: it failed part way (the handler raised after
    its head was sent), which lingers. `request` None: one refused before
    its framing was known (a bad head), after which anything may follow.

    - kept: HTTP/1.1 unless `Connection: close`, HTTP/1.0 with `Connection:
      keep-alive`; the body left unread can be dropped (Body.reusable);
      the server is not stopping; the handler did not take the socket
      over (SSE, WebSocket) or close it, which ends it (_END);
    - otherwise a lingering read when the client may still be sending: a
      body not read to its end, or requests it may have pipelined (it
      asked to keep the connection). Not after a close-delimited body
      with nothing received beyond the request: the client sees that body
      end only when the server closes (MicroPython cannot shut down just
      the sending side), so waiting would hold it up.
    """
    if request is None:
        return _LINGER
    st = request._reader
    body = None
    if st is not None:
        if st.taken or st.closed:
            return _END
        body = st.body
    if keep is None:
        return _LINGER
    c = request.headers.get("connection")
    if c is None:
        more = request.version == "1.1"
    elif request.version == "1.1":
        more = "close" not in c.lower()
    else:
        more = "keep-alive" in c.lower()
    if more and keep and (body is None or body.reusable()):
        if st is None or not st.app._stopping:
            return _KEEP if body is None else _DRAIN
        more = False        # the server is stopping
    elif more and st is not None and st._pos >= len(st._buf):
        r = st.response
        more = r is None or r.framing != CLOSE
    if more or body is not None and not body.finished():
        return _LINGER
    return _END


class BaseResponse:
    """status, content type, headers, optional body.

    `body` may be bytes, str (UTF-8), or dict/list (JSON). Without a body the
    response is chunked when `chunked=True` (and the client speaks HTTP/1.1),
    has a fixed length when `content_length` is given, and otherwise ends
    when the connection closes.
    """

    def __init__(self, status=200, content_type="text/html", close=False,
                 headers=None, body=None, chunked=False, content_length=None):
        if type(status) is not int or status < 100 or status > 599:
            raise TypeError("a response status is an int from 100 to 599, not %r" % (status,))
        self.status = status
        self.content_type = content_type
        self.close = close
        self.headers = []
        self.chunked = chunked
        self.length = content_length
        if headers:
            for k, v in (headers.items() if isinstance(headers, dict) else headers):
                self.add_header(k, v)
        if body is not None and not isinstance(body, (bytes, bytearray, memoryview)):
            if isinstance(body, str):
                body = body.encode()
            else:
                body = _dumps(body).encode()
                if content_type == "text/html":
                    self.content_type = _JSON
        self.body = body
        self.framing = None
        self.keep = False
        self._writer = None
        self._rest = None

    def add_header(self, name, value):
        if name.lower() == "content-length":
            self.length = int(value)
            return
        if name.lower() == "content-type":
            self.content_type = value
            return
        self.headers.append((name, str(value)))

    def __getattr__(self, name):
        # set_header, set_cookie, delete_cookie, chunk: ahttp._response_cold
        return cold(self, "_response_cold", name)

    def encode(self, request, head_only=False):
        """Head bytes (plus the body when it is small) for `request`.

        Sets `self.framing` and `self.keep` (whether the connection may
        serve another request afterwards). A head that cannot be encoded
        (CR or LF in a header: injection) becomes a 500, logged.
        """
        try:
            return self._encode(request, head_only)
        except (ValueError, TypeError) as e:
            if request is not None:
                request.app.log_exception(e)
            self.__init__(500, "text/plain; charset=utf-8", True,
                          body=error_body(500, "Internal Server Error"))
            return self._encode(request, head_only)

    def _encode(self, request, head_only):
        if request is not None and getattr(request.app, "after_hooks", None):
            request.app.run_after(request, self)    # after_request hooks
        status = self.status
        self._rest = None
        body = self.body
        if status < 200 or status == 204 or status == 304:
            parts = [head_prefix(status, None)]
            framing = LENGTH
            body = None
        else:
            parts = [head_prefix(status, self.content_type)]
            if body is not None:
                framing = LENGTH
                parts.append(b"Content-Length: %d\r\n" % len(body))
            elif self.length is not None:
                framing = LENGTH
                parts.append(b"Content-Length: %d\r\n" % self.length)
            elif self.chunked and request is not None and request.version == "1.1":
                framing = CHUNKED
                parts.append(b"Transfer-Encoding: chunked\r\n")
            else:
                framing = CLOSE
        keep = not verdict(request, not self.close and framing != CLOSE) & 1
        if keep:
            if request.version == "1.0":
                parts.append(_KEEP_H)
        else:
            parts.append(_CLOSE_H)
        if self.headers:
            parts.append(encode_fields(self.headers))
        parts.append(b"\r\n")
        self.framing = framing
        self.keep = keep
        if body is not None and not head_only:
            if len(body) <= 1024:
                parts.append(body)
            else:
                self._rest = body
        return b"".join(parts)


def make_response(cls, value):
    """Turn a handler's return value into a response of class `cls`.

    The shapes: str (text/html), bytes (application/octet-stream), dict or
    list (JSON), each alone (200) or in a tuple (body, status), (body,
    headers) or (body, status, headers), where headers is a dict or a list
    of (name, value) pairs and the body may be None (empty); or an
    HTTPResponse. Anything else is a TypeError (the app answers 500 and
    logs why, ahttp._app_cold.bad_return): a bare int too, which could
    mean a status or a JSON number.
    """
    if isinstance(value, BaseResponse):
        return value
    status = 200
    headers = None
    ok = True
    if type(value) is tuple:
        n = len(value)
        if n == 3:
            value, status, headers = value
        elif n == 2:
            value, status = value
            if type(status) is not int:
                status, headers = 200, status
        else:
            ok = False
        if headers is not None and not isinstance(headers, (dict, list)):
            ok = False
    t = type(value)
    if t is str:
        ct = HTML
    elif t is bytes or t is bytearray:
        ct = _OCTET
    elif value is None:
        ct = None
        value = b""
    elif t is dict or t is list or isinstance(value, (dict, list)):
        ct = _JSON
    else:
        ok = False
    if not ok:
        raise TypeError("not a shape of the handler contract")
    return cls(status, ct, headers=headers, body=value)


def error_body(status, message, detail=None):
    text = str(status) + " " + message + "\n"
    if detail:
        text += "\n" + detail
    return text
