"""Sans-IO HTTP/1.1: request-head parsing, body framing, response heads.

Everything that decides what bytes mean or which bytes to send lives here,
shared by the async and the sync driver. Nothing here reads or writes a
socket or imports asyncio. Errors are `HTTPError` with the status to answer.

Line endings: CRLF is required. A bare LF or bare CR anywhere in the head
is a 400 (RFC 9112 allows either choice; strict refuses smuggling tricks).
The head must be UTF-8 (checked once, strictly; the head is parsed as
bytes and only the pieces kept are decoded), but for obs-text in field
values: a value that is not UTF-8 is read as Latin-1 (RFC 9110 5.5).
"""
import gc
import re

from ._compat import const, MICROPYTHON, ticks_ms, ticks_diff
# builtins as module globals: MicroPython looks a builtin name up along
# its builtins table (~100 ns), a global in one step (docs/design.md)
from builtins import len, str

_TOKEN = re.compile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
# the request parser works on bytes: MicroPython's str finds and slices
# walk the UTF-8 from the start to turn char indexes into bytes (a slice at
# offset 900 costs 2.7 us, of bytes 0.3 us). MicroPython's re takes bytes
# with str patterns; CPython wants a bytes pattern.
_TOKEN_B = _TOKEN if MICROPYTHON else re.compile(_TOKEN.pattern.encode())
# CTLs but HT (NUL is looked for apart: MicroPython's patterns are C
# strings). Inside a line, CR and LF are CTLs too: a bare one is refused.
_CTL = re.compile(b"[\x01-\x08\x0a-\x1f\x7f]")
# and the bytes of non-ASCII text: a head with none of these (almost every
# one) is checked without being decoded, and _utf8 is loaded only for one
# that has them
_ODD = re.compile(b"[\x01-\x08\x0a-\x1f\x7f\x80-\xff]")

_MAX_CL_DIGITS = const(15)

# One string instead of a dict: a dict of 45 entries costs ~3 KB of heap.
# The statuses a server sends most come first: find() stops early.
_REASONS = ("|200 OK|404 Not Found|304 Not Modified|206 Partial Content"
            "|101 Switching Protocols|204 No Content|201 Created|302 Found"
            "|301 Moved Permanently|303 See Other|307 Temporary Redirect"
            "|308 Permanent Redirect|400 Bad Request|405 Method Not Allowed"
            "|500 Internal Server Error|503 Service Unavailable|401 Unauthorized"
            "|403 Forbidden|413 Content Too Large|416 Range Not Satisfiable"
            "|100 Continue|202 Accepted|406 Not Acceptable|408 Request Timeout"
            "|409 Conflict|410 Gone|411 Length Required"
            "|412 Precondition Failed|414 URI Too Long"
            "|415 Unsupported Media Type|417 Expectation Failed"
            "|422 Unprocessable Content|426 Upgrade Required"
            "|429 Too Many Requests|431 Request Header Fields Too Large"
            "|501 Not Implemented|502 Bad Gateway|505 HTTP Version Not Supported|")


def reason(status):
    """The reason phrase for a status code ("Unknown" if we have none)."""
    if status == 200:
        return "OK"
    i = _REASONS.find("|%d " % status)
    if i < 0:
        return "Unknown"
    return _REASONS[i + 5:_REASONS.find("|", i + 5)]


class HTTPError(Exception):
    """A request the server refuses, with the status to answer.

    Raise it from a handler to answer with that status: the message becomes
    the plain-text body. `headers` is a list of (name, value) pairs.
    """

    def __init__(self, status, message=None, headers=None):
        super().__init__(status, message)
        self.status = status
        self.message = message or reason(status)
        self.headers = headers


def abort(status, message=None):
    """Raise the HTTP error `status` (HTTPError) from anywhere in a handler,
    or code it calls, on either server: the request is answered `status`,
    with `message` (default: the status's reason) as the plain-text body,
    as long as nothing was sent yet. `abort(404)`, `abort(403, "no")`.
    (A function here, not made on first use: MicroPython v1.11 has no
    module __getattr__ to make it.)"""
    raise HTTPError(status, message)


# (name, default): everything a client controls, bounded. Defaults are
# sized for a board with ~100 KB of RAM; each is an HTTPServer keyword.
# Timeouts in seconds.
LIMITS = (("max_request_line", 2048), ("max_header_line", 2048),
          ("max_headers", 32), ("max_head", 4096), ("max_body", 16384),
          ("head_timeout", 10.0), ("idle_timeout", 20.0), ("send_timeout", 10.0),
          ("max_connections", 24), ("read_size", 1024), ("min_free", 4096))


class Limits:
    # The defaults are class attributes: an instance holds only what its
    # options change (every instance attribute is heap on a board).
    for name, default in LIMITS:
        locals()[name] = default
    del name, default
    # the timeouts in ms, as the drivers' deadlines use them
    head_ms = int(head_timeout * 1000)
    idle_ms = int(idle_timeout * 1000)
    send_ms = int(send_timeout * 1000)

    def __init__(self, **kw):
        changed = False
        for name, default in LIMITS:
            v = kw.pop(name, default)
            if v != default:
                setattr(self, name, v)
                changed = True
        if kw:
            raise TypeError("unknown option(s): " + ", ".join(kw))
        if changed:
            self.head_ms = int(self.head_timeout * 1000)
            self.idle_ms = int(self.idle_timeout * 1000)
            self.send_ms = int(self.send_timeout * 1000)


# Lingering close: after an error answer, read and drop what the client is
# still sending, for this long and this much at most, so the kernel does not
# answer it with an RST that destroys the response.
LINGER_MS = const(500)
# raised when there is no room for one more (made now: at that point there
# may be no memory for a new exception); the server answers 503, unlogged
NO_ROOM = MemoryError("no heap for another stream")
LINGER_BYTES = const(65536)
_spare = 0      # heap believed free beyond min_free (see heap_room)
_measured = 0   # ticks_ms() when it was measured


def heap_room(min_free, room=0):
    """MicroPython: whether a connection or stream starting now (4 KB,
    and `room` bytes more) leaves `min_free` bytes of heap free.

    gc.mem_free() walks the whole heap (300 us at 2 MB, 3.8 ms at 32 MB of
    PSRAM), so it is measured again only once what was spare at the last
    measure could be taken by what started since, or a second on; with
    too little free, after a collection."""
    global _spare, _measured
    _spare -= 4096 + room
    if _spare >= 0 and ticks_diff(ticks_ms(), _measured) <= 1000:
        return True
    f = gc.mem_free()
    if f < min_free + room:
        gc.collect()
        f = gc.mem_free()
    _measured = ticks_ms()
    _spare = f - min_free - room
    return _spare >= 0


class RecvBuffer:
    """The base of both drivers' connection objects: the bytes received
    and not consumed yet (the head is read in bulk, so the body and
    pipelined requests may already be here) and the response bookkeeping.
    No I/O: the driver appends what it reads."""
    _buf = b""
    _pos = 0
    body = None          # _body.Body while a request body is unread

    def _append(self, data):
        if self._pos < len(self._buf):
            self._buf = self._buf[self._pos:] + data
        else:
            self._buf = data
        self._pos = 0

    def _take(self, n, buf=None):
        # up to n buffered bytes; with `buf`: copied there, their count
        b = self._buf
        p = self._pos
        if p == 0 and n >= len(b):
            self._buf = b""
            out = b
        else:
            out = b[p:p + n]
            self._pos = p + len(out)
        if buf is None:
            return out
        buf[:len(out)] = out
        return len(out)

    # bookkeeping of the response side, the same in both drivers
    def begin(self, request):
        """A new request on this connection: the last one's response is
        forgotten (only if there was one: the fast path's common case)."""
        self.request = request
        if self.written:
            self.written = self.status = 0
            self.discard = False
            self.response = None

    def started(self, response):
        self.response = response
        self.status = response.status

    def take_over(self, owner=True, room=0):
        """The handler owns the connection from now on (SSE, WebSocket):
        no keep-alive, nothing appended, closed when the handler returns.
        An `owner` with `_ended(exc)` (a WebSocket) is told first, to close
        its protocol (exc: what the handler raised, or None).

        MicroPython: a stream holds its memory for as long as it is open,
        so it starts only while `min_free` (and `room` more) bytes of heap
        are free; otherwise MemoryError, before anything is written, which
        the server answers 503 (never a 200 and then an empty stream)."""
        if (MICROPYTHON and not self.taken and not self.written
                and not heap_room(self.app.limits.min_free, room)):
            # every raise of one instance adds its frames to its
            # traceback (24 bytes each), which would grow for good
            NO_ROOM.__traceback__ = None
            raise NO_ROOM
        self.taken = owner

    def _raw(self, n):
        # A handler read raw bytes: account for them against the body.
        if self.body is not None:
            self.body.raw(n)

    def next_head(self, limits):
        """The next request head in the buffer, parsed (parse_head), or None
        when more bytes are needed; HTTPError as soon as a limit is passed.
        Empty lines before it are dropped."""
        buf = self._buf
        if self._pos:
            buf = self._buf = buf[self._pos:]
            self._pos = 0
        if buf.startswith(b"\r\n"):
            buf = self._buf = skip_empty_lines(buf)
        end = buf.find(b"\r\n\r\n") + 4
        if end == 3 or end > limits.max_head:
            end = find_head_end(buf, limits)
            if end < 0:
                return None
        if end == len(buf):
            self._buf = b""
            return parse_head(buf, limits)
        self._pos = end
        return parse_head(buf[:end], limits)


def skip_empty_lines(buf):
    """`buf` without the empty lines a client may send before a request
    line (RFC 9112 section 2.2 says to ignore them)."""
    while buf[:2] == b"\r\n":
        buf = buf[2:]
    return buf


def find_head_end(buf, limits):
    """Index just past the blank line that ends the request head in `buf`,
    or -1 when more bytes are needed. Raises HTTPError as soon as the limits
    are passed, before more is buffered."""
    i = buf.find(b"\r\n\r\n")
    if i >= 0:
        if i + 4 > limits.max_head:
            raise HTTPError(431, "request head too large")
        return i + 4
    n = len(buf)
    j = buf.find(b"\n")
    # the request line's length without its CR LF (or the CR read so far)
    line = (n - (buf[-1:] == b"\r")) if j < 0 else j - (j > 0 and buf[j - 1] == 13)
    if line > limits.max_request_line:
        raise HTTPError(414, "request line too long")
    # What has come of the request line must be able to start one (a TLS
    # hello, binary noise, a line with no CRLF in sight): 400 now, not when
    # head_timeout ends the wait. Only here, while the head is incomplete.
    k = buf.find(b"\r")
    if k < 0 or j >= 0 and j < k:
        k = n if j < 0 else j
    p = buf[:k]
    sp = p.find(b" ")
    m = p if sp < 0 else p[:sp]
    if sp == 0 or m and not _TOKEN_B.match(m) or b"\x00" in p or _CTL.search(p):
        raise HTTPError(400, "malformed request line")
    if sp > 0:
        i = p.find(b" ", sp + 1)
        if i >= 0:
            v = p[i + 1:]
            if (i == sp + 1 or v.find(b" ") >= 0 or not b"HTTP/".startswith(v[:5])
                    or len(v) > 5 and not v[5:].replace(b".", b"").isdigit()):
                raise HTTPError(400, "malformed request line")
    if j >= 0 and (buf.find(b"\n\n") >= 0 or buf.find(b"\n\r\n") >= 0):
        raise HTTPError(400, "bare LF in request head")
    if n > limits.max_head:
        raise HTTPError(431, "request head too large")
    return -1


def _odd_text(piece):
    # A target or field value with bytes _ODD finds: 400 for a control
    # character (a bare CR or LF among them); else its text without the
    # spaces and tabs around it, strictly UTF-8, or None when it is not
    # UTF-8. (Checked before strip, which would take VT and FF off the
    # ends unseen.)
    if _CTL.search(piece):
        if b"\r" in piece or b"\n" in piece:
            raise HTTPError(400, "bare CR or LF in request head")
        raise HTTPError(400, "control character in request head")
    from ._utf8 import utf8
    try:
        return utf8(piece.strip())
    except UnicodeError:
        return None


def parse_head(head, limits):
    """Parse a request head (bytes up to and including the blank line).

    Returns (method, target, version, headers) with `headers` a dict of
    lower-case names to str values, repeated fields combined with ", "
    (cookies with "; ") as RFC 9110 section 5.3 allows. Control characters
    other than HT anywhere in the head are refused: NUL, CR and LF as RFC
    9110 section 5.5 requires, the others as it allows.
    """
    # Positions into the bytes (see _TOKEN_B), not split() lists: every
    # object allocated per request costs its share of a collection (see
    # bench/profile.py). Every byte between the lines' CR LF is checked by
    # what its part must be (method and header names tokens, the version
    # as it is spelt, the target and values by _ODD, which finds a bare CR
    # or LF as a control character): no scan of the whole head for them.
    if b"\x00" in head:
        raise HTTPError(400, "control character in request head")
    e = head.find(b"\r\n")
    if e > limits.max_request_line:
        raise HTTPError(414, "request line too long")
    if e < 0:
        raise HTTPError(400, "bare CR or LF in request head")
    i = head.find(b" ", 0, e)
    j = head.find(b" ", i + 1, e) if i >= 0 else -1
    if j < 0 or head.find(b" ", j + 1, e) >= 0:
        raise HTTPError(400, "malformed request line")
    if i == 3 and head.startswith(b"GET"):
        method = "GET"
    elif _TOKEN_B.match(head[:i]):
        method = str(head[:i], "utf-8")
    else:
        raise HTTPError(400, "invalid method")
    # (no new string constants here: each is an interned name on a board)
    if e - j == 9 and head.startswith(b"HTTP/1.1", j + 1):
        version = "HTTP/1.1"
    elif e - j == 9 and head.startswith(b"HTTP/1.0", j + 1):
        version = "HTTP/1.0"
    else:
        v = head[j + 1:e]
        if not (len(v) == 8 and v.startswith(b"HTTP/") and v[5:6].isdigit()
                and v[6:7] == b"." and v[7:8].isdigit()):
            raise HTTPError(400, "malformed HTTP version")
        if not v.startswith(b"HTTP/1."):
            raise HTTPError(505, "HTTP version not supported")
        # a later 1.x: served as the 1.1 it is compatible with (RFC 9112 2.3)
        version = "HTTP/1.1"
    target = head[i + 1:j]
    if not target or b"\t" in target:
        raise HTTPError(400, "invalid request target")
    # The method, version and header names are tokens (checked): control
    # characters and non-ASCII bytes can only be in the target and the
    # values, which are looked at one by one (fewer bytes through the
    # regex than the whole head; _utf8 is loaded only for text that is
    # not ASCII)
    if _ODD.search(target):
        target = _odd_text(target)
        if target is None:
            raise HTTPError(400, "request line is not valid UTF-8")
    else:
        target = str(target, "utf-8")
    headers = {}
    maxlen = limits.max_header_line
    pos = e + 2
    # (one pass more than max_headers: the blank line that ends the head)
    for _ in range(limits.max_headers + 1):
        e = head.find(b"\r\n", pos)
        if e <= pos:
            if e == pos:
                break
            raise HTTPError(400, "bare CR or LF in request head")
        if e - pos > maxlen:
            raise HTTPError(431, "header line too long")
        i = head.find(b":", pos, e)
        if i <= pos:
            if head[pos] in (32, 9):            # space, tab
                raise HTTPError(400, "obsolete line folding")
            raise HTTPError(400, "malformed header line")
        # (the one field every request has: as the constant, where a new
        # str is looked up among all the interned names on MicroPython, ~13
        # instructions per name an app has loaded; spelt as clients do,
        # without a slice and lower())
        if i - pos == 4 and head.startswith(b"Host", pos):
            name = "host"
        else:
            name = head[pos:i].lower()
            if name == b"host":
                name = "host"
            # (letters and hyphens, as nearly every name is, make a token:
            # two C loops where the regex costs ~450 instructions a byte)
            elif not name.replace(b"-", b"").isalpha() and not _TOKEN_B.match(name):
                if name[0] in (32, 9):
                    raise HTTPError(400, "obsolete line folding")
                raise HTTPError(400, "invalid header name")
            else:
                name = str(name, "utf-8")
        # (without the one space that usually follows the colon: strip()
        # then returns this very slice, no copy)
        value = head[i + 2:e] if head[i + 1] == 32 else head[i + 1:e]
        if _ODD.search(value):
            text = _odd_text(value)
            if text is None:
                # obs-text (bytes 0x80-0xFF that are not UTF-8) is allowed
                # in field values (RFC 9110 5.5): read as Latin-1, each
                # byte the character it names (MicroPython has no Latin-1
                # codec: widened to UTF-8 here)
                b = bytearray()
                for c in value.strip():
                    if c < 0x80:
                        b.append(c)
                    else:
                        b.append(0xC0 | c >> 6)
                        b.append(0x80 | c & 0x3F)
                text = str(b, "utf-8")
            value = text
        else:
            # (strip() takes spaces and tabs off, the OWS around a value:
            # the other characters it takes are CTLs, refused above)
            value = str(value.strip(), "utf-8")
        if name in headers:
            if name == "host":
                raise HTTPError(400, "more than one Host header")
            headers[name] = headers[name] + ("; " if name == "cookie" else ", ") + value
        else:
            headers[name] = value
        pos = e + 2
    else:
        raise HTTPError(431, "too many header fields")
    if version == "HTTP/1.1" and "host" not in headers:
        raise HTTPError(400, "HTTP/1.1 request without Host")   # RFC 9112 3.2
    return method, target, version, headers


def isdigits(s):
    """ASCII digits only (str.isdigit also takes other scripts' digits).

    On MicroPython, iterating a str or indexing one character interns that
    character for good (a qstr): an attacker sending many distinct
    characters would grow the heap without bound. Code here looks at
    client text through slices, find() and bytes, never per character."""
    return s.encode().isdigit()


def body_framing(headers, max_body):
    """How the request body is delimited: -1 for chunked, else its length.

    Refuses what could desynchronise a kept-alive connection (RFC 9112
    section 6.3): Transfer-Encoding together with Content-Length, codings
    other than plain `chunked`, and invalid or conflicting lengths.
    """
    te = headers.get("transfer-encoding")
    cl = headers.get("content-length")
    if te is not None:
        if cl is not None:
            raise HTTPError(400, "both Transfer-Encoding and Content-Length")
        if te.lower() != "chunked":
            raise HTTPError(501, "transfer coding not supported")
        return -1
    if cl is None:
        return 0
    n = -1
    for v in cl.split(","):
        v = v.strip(" \t")
        if not isdigits(v) or len(v) > _MAX_CL_DIGITS:
            raise HTTPError(400, "invalid Content-Length")
        m = int(v)
        if n >= 0 and m != n:
            raise HTTPError(400, "conflicting Content-Length")
        n = m
    if n > max_body:
        raise HTTPError(413, "request body too large")
    return n


def encode_head(status, headers, phrase=None):
    """The bytes of a response head: status line, headers, blank line.

    `headers` is a list of (name, value) pairs; a value with CR or LF is
    refused (header injection) with ValueError.
    """
    parts = ["HTTP/1.1 ", str(status), " ",
             phrase or reason(status), "\r\n"]
    for name, value in headers:
        value = str(value)
        if "\n" in value or "\r" in value or "\n" in name or "\r" in name:
            raise ValueError("CR or LF in response header " + name)
        parts.append(name)
        parts.append(": ")
        parts.append(value)
        parts.append("\r\n")
    parts.append("\r\n")
    return "".join(parts).encode()


LAST_CHUNK = b"0\r\n\r\n"


def encode_chunk(data):
    """One chunk of a chunked body (empty data gives nothing: that would
    end the body)."""
    if not data:
        return b""
    return b"".join((("%x\r\n" % len(data)).encode(), data, b"\r\n"))
