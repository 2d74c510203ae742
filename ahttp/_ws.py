"""Sans-IO WebSocket (RFC 6455, server side): handshake, frames, UTF-8, close.

Bytes go in through `Protocol.feed()`, events come out of `next_event()`, and
the `encode_*` helpers return the bytes to write. Every protocol decision and
limit lives here so the async (ws.py) and blocking (_sync_ws.py) drivers only
move bytes: the answers the protocol owes the peer (a pong for each ping, the
echo of its close, our close after its error) are queued by the Protocol
itself, with their close codes and reasons, and the drivers write what
`data_to_send()` returns. Never import asyncio or touch a socket in this module.
"""
import binascii
import hashlib
import sys

from ._compat import const, MICROPYTHON, load
from ._utf8 import utf8, LEADS
from ._http import HTTPError

if MICROPYTHON:
    import gc as _gc    # see _COLLECT_AT
    try:
        import uctypes          # see _probe
    except ImportError:
        uctypes = None
else:
    _gc = uctypes = None

# Opcodes and close codes: private consts, replaced where they are used
# (no module names: each would be interned on a board).
_OP_CONT = const(0)
_OP_TEXT = const(1)
_OP_BINARY = const(2)
_OP_CLOSE = const(8)
_OP_PING = const(9)
_OP_PONG = const(10)

# Events returned by Protocol.next_event(): (kind, value[, reason]).
MESSAGE = const(1)   # (MESSAGE, str | bytes)
PING = const(2)      # (PING, payload) - its pong is queued (data_to_send)
PONG = const(3)      # (PONG, payload)
CLOSE = const(4)     # (CLOSE, code, reason) - the connection ends; the
                     # answer is queued; close_received False: ours went
                     # first (an error), the peer's is still to come

_CLOSE_NORMAL = const(1000)
_CLOSE_GOING_AWAY = const(1001)
_CLOSE_PROTOCOL_ERROR = const(1002)
_CLOSE_UNSUPPORTED = const(1003)
_CLOSE_NO_STATUS = const(1005)
_CLOSE_ABNORMAL = const(1006)
_CLOSE_INVALID_DATA = const(1007)
_CLOSE_POLICY = const(1008)
_CLOSE_TOO_BIG = const(1009)
_CLOSE_INTERNAL = const(1011)

DEFAULT_MAX_MESSAGE = const(65536)

# A frame at least this big that has not all arrived gets one block of its
# size, filled as reads come (see FrameParser._next); smaller ones wait in
# the receive buffer.
_BIG = const(512)
_UNMASK_CHUNK = const(256)
_SHORT = const(32)          # payloads up to this are unmasked byte by byte
_JOIN = const(8192)         # frames up to this size are written in one piece
_COLLECT_AT = const(8192)   # MicroPython: gc before taking a block this big
_PIECE = const(4096)        # big messages are sent in pieces of this size
_FIRST = const(508)         # but the first, sent joined to the frame header
_AGAIN = object()
join = b"".join     # a fragmented binary message's parts (see _sync_ws)


class ConnectionClosed(OSError):
    """The WebSocket is closed. `code` and `reason` are the peer's close
    frame (1005 when it had no code, 1006 when the connection dropped
    without one, or the code we closed with after a protocol error).

    An OSError, like every "the client went away" error of the server (SSE
    sends raise OSError too), so one `except OSError` covers both and the
    server treats it as a disconnect rather than a bug."""

    def __init__(self, code=1006, reason=""):
        super().__init__("WebSocket closed: %s %s" % (code, reason))
        self.code = code
        self.reason = reason


class ProtocolError(Exception):
    """A violation by the peer; `code` is the close code to send."""

    def __init__(self, code, reason):
        super().__init__(code, reason)
        self.code = code
        self.reason = reason


class HandshakeError(HTTPError):
    """The upgrade request is refused: the server answers with `status`,
    the reason as the text body and `headers` (an HTTPError, so both drivers
    translate it at their one error boundary)."""

    def __init__(self, status, reason, headers=None):
        HTTPError.__init__(self, status, reason, list(headers) if headers else None)
        self.reason = reason


# -- handshake ---------------------------------------------------------------

def _tokens(value):
    """Comma-separated header tokens, lower-cased and stripped."""
    if not value:
        return []
    return [t.strip().lower() for t in value.split(",") if t.strip()]


def check_request(method, version, headers):
    """Validate an upgrade request; return its Sec-WebSocket-Key.

    `headers` is a dict with lower-case names and str values. Raises
    HandshakeError(400 or 426, reason) when the request cannot be upgraded.
    """
    if method != "GET":
        raise HandshakeError(400, "WebSocket handshake must use GET")
    if version and (version.endswith("1.0") or version.endswith("0.9")):
        raise HandshakeError(400, "WebSocket handshake needs HTTP/1.1")
    if "websocket" not in _tokens(headers.get("upgrade")):
        raise HandshakeError(426, "Upgrade: websocket header expected",
                             (("Upgrade", "websocket"), ("Connection", "Upgrade")))
    if "upgrade" not in _tokens(headers.get("connection")):
        raise HandshakeError(400, "Connection: Upgrade header expected")
    if (headers.get("sec-websocket-version") or "").strip() != "13":
        raise HandshakeError(426, "Sec-WebSocket-Version 13 expected",
                             (("Sec-WebSocket-Version", "13"),))
    key = (headers.get("sec-websocket-key") or "").strip()
    if not valid_key(key):
        raise HandshakeError(400, "invalid Sec-WebSocket-Key")
    return key


def valid_key(key):
    """A key is the base64 encoding of 16 bytes: 22 characters and '=='."""
    if len(key) != 24 or not key.endswith("=="):
        return False
    k = key.encode()     # bytes: iterating a str interns each character
    for i in range(22):
        if k[i] not in b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/":
            return False
    try:
        return len(binascii.a2b_base64(key)) == 16
    except ValueError:      # (CPython's binascii.Error is one; 1.20 has none)
        return False


def accept_key(key):
    """Sec-WebSocket-Accept for a Sec-WebSocket-Key (str in, str out)."""
    # a hashlib without SHA-1 (ports built without TLS: the v1.11 and v1.20
    # unix ports, boards without a network) gets it in Python
    sha1 = getattr(hashlib, "sha1", None) or load("_sha1").sha1
    digest = sha1(key.encode() + b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest()
    return binascii.b2a_base64(digest).strip().decode()


def select_subprotocol(offered, supported):
    """The first of the server's `supported` subprotocols the client offered
    (the Sec-WebSocket-Protocol header value), or None."""
    if not offered or not supported:
        return None
    client = [t.strip() for t in offered.split(",")]
    for name in supported:
        if name in client:
            return name
    return None


def _header_lines(headers):
    out = []
    for name, value in headers:
        name = str(name)
        value = str(value)
        if "\r" in name or "\n" in name or "\r" in value or "\n" in value:
            raise ValueError("newline in header")
        out.append(name + ": " + value + "\r\n")
    return out


def encode_accept(key, subprotocol=None, headers=()):
    """The 101 response completing the handshake. Extensions offered by the
    client (permessage-deflate) are declined by not naming them."""
    lines = ["HTTP/1.1 101 Switching Protocols\r\n",
             "Upgrade: websocket\r\n",
             "Connection: Upgrade\r\n",
             "Sec-WebSocket-Accept: " + accept_key(key) + "\r\n"]
    if subprotocol:
        lines.append("Sec-WebSocket-Protocol: " + subprotocol + "\r\n")
    lines += _header_lines(headers)
    lines.append("\r\n")
    return "".join(lines).encode()


# -- frames ------------------------------------------------------------------

def encode_header(opcode, length, fin=True, mask=None):
    """Frame header bytes; the payload follows (masked by the caller if
    `mask` is given, see apply_mask)."""
    # (the server's usual header first, in a frame small enough for the C
    # stack: see tools/frames.py)
    if length < 126 and fin and not mask:
        return (0x8000 | opcode << 8 | length).to_bytes(2, "big")
    return _encode_header(opcode, length, fin, mask)


def _encode_header(opcode, length, fin, mask):
    b0 = (0x80 if fin else 0) | opcode
    m = 0x80 if mask else 0
    if length < 126:
        head = (b0 << 8 | m | length).to_bytes(2, "big")
    elif length < 65536:
        head = (b0 << 24 | (m | 126) << 16 | length).to_bytes(4, "big")
    else:
        head = (b0 << 8 | m | 127).to_bytes(2, "big") + length.to_bytes(8, "big")
    if mask:
        head += mask
    return head


def encode_frame(opcode, payload=b"", fin=True, mask=None):
    """One whole frame as bytes (servers send unmasked frames)."""
    if mask:
        payload = apply_mask(bytearray(payload), mask)
    return encode_header(opcode, len(payload), fin, mask) + payload


def encode_close(code=_CLOSE_NORMAL, reason="", mask=None):
    """A close frame; code None sends an empty payload."""
    if code is None:
        return encode_frame(_OP_CLOSE, b"", mask=mask)
    payload = code.to_bytes(2, "big") + reason.encode()
    if len(payload) > 125:
        raise ValueError("close reason longer than 123 bytes")
    return encode_frame(_OP_CLOSE, payload, mask=mask)


# (Long explanations in this module are comments, not docstrings: a
# docstring is held in the parse tree while the module compiles from
# source, which decides the smallest heap that imports it on v1.11.)
#
# _probe() -> (word, header), probed once at import.
#
# word: the chunk size apply_mask() unmasks in (ports without
# arbitrary-precision ints overflow in from_bytes: smaller words there).
#
# header: the uctypes layout of a bytes object's header where payloads
# can be received in place, else None. MicroPython keeps a bytes object
# as four words (type, cached hash, length, data pointer), and
# str(b, "utf-8") of a bytes object shares its data. So a big payload is
# received straight into a fresh bytes(n), through a bytearray over its
# memory, and the hash cached when it was made (of zeros) is cleared once
# it is full (0 means "not computed"): the bytes handed over, or the str
# made of them, is the one block the payload came in, never a second
# copy. The layout is checked on a sample first; anywhere it differs
# (CPython, another port) payloads are copied out of a bytearray.
# (Few names here on purpose: each new one is interned on a board.)
def _probe():
    word = 0
    for size in (_UNMASK_CHUNK, 8, 4):
        try:
            v = int.from_bytes(b"\xff" * size, "big")
            if v.to_bytes(size, "big") == b"\xff" * size:
                word = size
                break
        except (OverflowError, ValueError):
            pass
    if uctypes is None:
        return word, None
    try:
        w = 8 if sys.maxsize > 0xFFFFFFFF else 4
        t = uctypes.UINT64 if w == 8 else uctypes.UINT32
        layout = {"hash": t | w, "len": t | 2 * w, "data": t | 3 * w}
        b = bytes(40)
        h = uctypes.struct(id(b), layout)
        if h.len != 40 or h.data != uctypes.addressof(b):
            return word, None
        v = bytes(range(48, 88))
        uctypes.bytearray_at(h.data, 40)[:] = v
        h.hash = 0
        if b == v and hash(b) == hash(v) and str(b, "utf-8") == str(v, "utf-8"):
            return word, layout
    except Exception:
        pass
    return word, None


_WORD, _HEADER = _probe()


def apply_mask(buf, mask):
    """XOR a bytearray in place with a 4-byte mask (same call unmasks).

    Works a chunk at a time through int.from_bytes so it runs at C speed on
    both runtimes without allocating more than one chunk."""
    # (in small functions, each frame small enough for the C stack: see
    # tools/frames.py)
    # (a short one byte by byte: allocates nothing, where the chunked way
    # makes a few objects, which a full heap may not have room for)
    if _WORD and len(buf) > _SHORT:
        _unmask(memoryview(buf), mask, len(buf))
    else:
        _unmask_bytes(buf, mask)
    return buf


def _unmask_bytes(buf, mask):
    for i in range(len(buf)):
        buf[i] ^= mask[i & 3]


def _unmask(mv, mask, n):
    i = 0
    if n >= _WORD:
        m = int.from_bytes(mask * (_WORD // 4), "big")
        while i + _WORD <= n:
            _xor(mv, i, i + _WORD, m)
            i += _WORD
    if i < n:
        m = int.from_bytes((mask * ((n - i) // 4 + 1))[:n - i], "big")
        _xor(mv, i, n, m)


def _xor(mv, i, j, m):
    mv[i:j] = (int.from_bytes(mv[i:j], "big") ^ m).to_bytes(j - i, "big")


# FrameParser: bytes in, frames out: `feed(data)`, then `next_frame()`
# returns (fin, opcode, payload), or None when more bytes are needed. The
# payload is unmasked, in a bytearray (a big frame's is filled as reads
# come, see _BIG).
#
# Headers are validated before the payload is buffered (reserved bits and
# opcodes, control frame rules, masking, `max_frame_size`), and
# `on_header` (fin, opcode, length) can refuse a frame by raising
# ProtocolError, so a peer can never make this allocate beyond the
# configured bounds.
#
# With `pieces` set (bytes), a data frame bigger than that, or not all
# here yet, comes out in pieces of at most that many bytes, each as it
# arrives: (False, opcode, piece), then the rest as continuations, the
# last with the frame's own fin. Nothing the size of the frame is held.
class FrameParser:
    """Bytes in, frames out (see above)."""
    pieces = 0

    def __init__(self, max_frame_size=DEFAULT_MAX_MESSAGE, require_mask=True,
                 on_header=None):
        self.max_frame_size = max_frame_size
        self.require_mask = require_mask
        self.on_header = on_header
        # b"" while empty (no allocation per frame); feed() makes the
        # bytearray
        self._buf = b""
        self._off = 0
        self._hdr = None        # (fin, opcode, length, mask, header_len)
        self._whole = None      # a big frame's payload, filled as reads come
        self._block = None      # and the block it is (see _probe)
        self._fill = 0          # bytes of it received
        self._need = 0          # and still to come
        # After a protocol error: validate nothing, drop every payload
        # unbuffered, return only close frames (to finish the handshake).
        self.discard = False
        self._skip = 0
        self._refused = False

    def feed(self, data):
        if not data:
            return
        if self._skip:
            k = len(data) if len(data) < self._skip else self._skip
            self._skip -= k
            if k == len(data):
                return
            data = memoryview(data)[k:]
        if self._need:
            k = len(data) if len(data) < self._need else self._need
            f = self._fill
            self._whole[f:f + k] = data if k == len(data) else memoryview(data)[:k]
            self._fill = f + k
            self._need -= k
            if k == len(data):
                return
            data = memoryview(data)[k:]
        if self._off >= len(self._buf):
            self._buf = bytearray(data)
            self._off = 0
        else:
            if self._off:
                # Compact instead of `del buf[:n]` (MicroPython refuses it).
                self._buf = self._buf[self._off:]
                self._off = 0
            self._buf += data

    def room(self):
        """Where the rest of a big payload goes, or None."""
        # A memoryview the driver can read into straight from the socket
        # (then filled(k)), exactly as long as what is missing, so no read
        # takes bytes of the next frame. No copy, and no allocation per
        # read while a big message comes in: on a small heap, the
        # payload's block is the only one it needs.
        if self._need:
            return memoryview(self._whole)[self._fill:]
        return None

    def filled(self, k):
        """k bytes were read into room()."""
        self._fill += k
        self._need -= k

    def buffered(self):
        """Bytes received but not yet returned as frames."""
        n = len(self._buf) - self._off
        if self._whole is not None:
            n += self._fill
        return n

    def wanted(self):
        """How many more bytes the current frame needs (at least 1)."""
        if self._whole is not None:
            return max(1, self._need)
        avail = len(self._buf) - self._off
        if self._hdr is not None:
            return max(1, self._hdr[2] - avail)
        return max(1, 2 - avail)

    def _parse_header(self):
        buf = self._buf
        off = self._off
        avail = len(buf) - off
        if avail < 2:
            return None
        b0 = buf[off]
        b1 = buf[off + 1]
        n = b1 & 0x7F
        hl = 2
        if n == 126:
            hl = 4
        elif n == 127:
            hl = 10
        if b1 & 0x80:
            hl += 4
        if avail < hl:
            return None
        fin = b0 & 0x80 != 0
        opcode = b0 & 0x0F
        if self.discard:
            if n == 126:
                n = (buf[off + 2] << 8) | buf[off + 3]
            elif n == 127:
                n = int.from_bytes(bytes(buf[off + 2:off + 10]), "big")
            mask = bytes(buf[off + hl - 4:off + hl]) if b1 & 0x80 else None
            return (fin, opcode, n, mask, hl)
        if b0 & 0x70:
            raise ProtocolError(_CLOSE_PROTOCOL_ERROR, "reserved bits set")
        if opcode > _OP_BINARY and opcode < _OP_CLOSE or opcode > _OP_PONG:
            raise ProtocolError(_CLOSE_PROTOCOL_ERROR, "reserved opcode")
        if opcode >= _OP_CLOSE:
            if not fin:
                raise ProtocolError(_CLOSE_PROTOCOL_ERROR, "fragmented control frame")
            if n > 125:
                raise ProtocolError(_CLOSE_PROTOCOL_ERROR, "control frame too long")
        if n == 126:
            n = (buf[off + 2] << 8) | buf[off + 3]
            if n < 126:
                raise ProtocolError(_CLOSE_PROTOCOL_ERROR, "non-minimal length")
        elif n == 127:
            if buf[off + 2] & 0x80:
                raise ProtocolError(_CLOSE_PROTOCOL_ERROR, "length MSB set")
            n = int.from_bytes(bytes(buf[off + 2:off + 10]), "big")
            if n < 65536:
                raise ProtocolError(_CLOSE_PROTOCOL_ERROR, "non-minimal length")
        mask = None
        if b1 & 0x80:
            mask = bytes(buf[off + hl - 4:off + hl])
        elif self.require_mask:
            raise ProtocolError(_CLOSE_PROTOCOL_ERROR, "unmasked frame from client")
        if self.max_frame_size is not None and n > self.max_frame_size:
            raise ProtocolError(_CLOSE_TOO_BIG, "frame too big")
        if self.on_header is not None:
            self.on_header(fin, opcode, n)
        return (fin, opcode, n, mask, hl)

    def next_frame(self):
        while True:
            frame = self._next()
            if frame is not _AGAIN:
                return frame

    def _next(self):
        hdr = self._hdr
        if self._whole is not None:
            if self._need:
                return None
            payload = self._whole
            block = self._block
            self._whole = self._block = None
        else:
            block = None
            refused = False
            if hdr is None:
                # A header that raises stays unconsumed and marked: in
                # discard mode it is skipped, never taken for a close reply.
                refused = self._refused
                self._refused = True
                hdr = self._parse_header()
                self._refused = False
                if hdr is None:
                    self._refused = refused
                    return None
                self._hdr = hdr
                self._off += hdr[4]
            n = hdr[2]
            avail = len(self._buf) - self._off
            if self.discard and (hdr[1] != _OP_CLOSE or n > 125 or refused):
                self._hdr = None
                if avail >= n:
                    self._off += n
                else:
                    self._skip = n - avail
                    self._buf = b""
                    self._off = 0
                return _AGAIN
            k = self.pieces
            if k and hdr[1] < _OP_CLOSE and (avail < n or n > k):
                # a piece of what has come (see the class docstring)
                if avail < k:
                    k = avail
                if not k:
                    return None
            else:
                k = n
            if avail >= k:
                off = self._off
                payload = self._buf[off:off + k]
                self._off = off + k
                if self._off >= len(self._buf):
                    self._buf = b""
                    self._off = 0
                if k < n:
                    # the rest stays as a continuation, the mask turned to
                    # where it goes on
                    mask = hdr[3]
                    if mask is not None:
                        apply_mask(payload, mask)
                        mask = mask[k & 3:] + mask[:k & 3]
                    self._hdr = (hdr[0], _OP_CONT, n - k, mask, 0)
                    return (False, hdr[1], payload)
            elif n >= _BIG:
                # One block for the whole payload, taken now (for a big one
                # after a collection, while the heap still has a hole that
                # big), each read copied into it: no growing buffer, and
                # nothing long-lived between the reads. Pieces kept as they
                # came would each stay between the reads freed around them,
                # cutting the free space into holes too small for the
                # message handed over.
                if n >= _COLLECT_AT and _gc is not None:
                    _gc.collect()
                    if _gc.mem_free() < n:
                        # cannot fit: refused before trying (Protocol
                        # turns this into 1009, see next_event)
                        raise MemoryError
                if _HEADER is None:
                    whole = self._block = bytearray(n)
                else:
                    # received in place into the bytes handed over (_probe)
                    self._block = bytes(n)
                    whole = uctypes.bytearray_at(uctypes.addressof(self._block), n)
                if avail:
                    whole[:avail] = memoryview(self._buf)[self._off:]
                self._whole = whole
                self._fill = avail
                self._buf = b""
                self._off = 0
                self._need = n - avail
                return None
            else:
                return None
        self._hdr = None
        mask = hdr[3]
        if mask is not None:
            apply_mask(payload, mask)
        if block is not None:
            payload = block
            if _HEADER is not None:     # full: its cached hash is stale
                uctypes.struct(id(block), _HEADER).hash = 0
        return (hdr[0], hdr[1], payload)


# -- UTF-8 ---------------------------------------------------------------------

def decode_utf8(data):
    """Strict UTF-8 decoding of a complete text; ProtocolError(1007) if bad."""
    try:
        return utf8(data)
    except UnicodeError:
        raise ProtocolError(_CLOSE_INVALID_DATA, "invalid UTF-8")


def _seq_len(b):
    if b < 0x80:
        return 1
    if b < 0xC2:
        return 0        # continuation byte or overlong lead: invalid as lead
    if b < 0xE0:
        return 2
    if b < 0xF0:
        return 3
    if b < 0xF5:
        return 4
    return 0


def _valid_prefix(tail):
    """Can the incomplete sequence `tail` still become a valid character?"""
    need = _seq_len(tail[0])
    if need <= len(tail):
        return False
    for i in range(1, len(tail)):
        b = tail[i]
        if b & 0xC0 != 0x80:
            return False
    if len(tail) > 1:
        for j in range(0, len(LEADS), 3):
            if LEADS[j] == tail[0] and LEADS[j + 1]:
                if tail[1] < LEADS[j + 1] or tail[1] > LEADS[j + 2]:
                    return False
    return True


class Utf8Validator:
    """Incremental UTF-8 decoding for text split across frames:
    feed() decodes and returns the complete prefix, carries up to 3 bytes of
    an unfinished character, and fails (1007) as soon as no continuation
    could make the text valid."""

    def __init__(self):
        self._tail = b""

    def feed(self, data, final):
        if self._tail:
            data = self._tail + bytes(data)
            self._tail = b""
        n = len(data)
        cut = n
        k = 1
        while k <= 3 and k <= n:
            b = data[n - k]
            if b & 0xC0 != 0x80:
                if _seq_len(b) > k:
                    cut = n - k
                break
            k += 1
        text = decode_utf8(data if cut == n else data[:cut]) if cut else ""
        if cut < n:
            tail = bytes(data[cut:])
            if final or not _valid_prefix(tail):
                raise ProtocolError(_CLOSE_INVALID_DATA, "invalid UTF-8")
            self._tail = tail
        return text


# -- close codes -----------------------------------------------------------------

def valid_close_code(code):
    """Codes a peer may put in a close frame (RFC 6455 7.4, IANA registry)."""
    if 1000 <= code <= 1003 or 1007 <= code <= 1014:
        return True
    return 3000 <= code <= 4999


def parse_close(payload):
    """(code, reason) from a close frame payload; 1005 when it is empty."""
    n = len(payload)
    if n == 0:
        return _CLOSE_NO_STATUS, ""
    if n == 1:
        raise ProtocolError(_CLOSE_PROTOCOL_ERROR, "close frame payload of 1 byte")
    code = (payload[0] << 8) | payload[1]
    if not valid_close_code(code):
        raise ProtocolError(_CLOSE_PROTOCOL_ERROR, "invalid close code")
    return code, decode_utf8(payload[2:]) if n > 2 else ""


# -- the connection state --------------------------------------------------------

def pieces(body, head=b"", size=_PIECE):
    """A big message body (bytes) as pieces to write: `head` (the frame
    header) joined to a small first piece, then memoryviews of `size`
    bytes. Only the first piece is copied."""
    mv = memoryview(body)
    n = len(body)
    i = _FIRST
    yield head + mv[:i] if head else mv[:i]
    while i < n:
        yield mv[i:i + size]
        i += size


# Protocol: feed(bytes) / next_event() -> event or None. The answers the
# peer is owed are decided and queued here, never by a driver: the pong
# for each ping, the echo of its close frame (its code and reason), our
# close frame when it breaks the protocol (1002, 1007, 1009, with a
# reason); the driver writes data_to_send() after any event but a
# message. So are the codes and reasons of every other end: the handler
# left it open (_ended: 1000, 1011), the server stops (_ended: 1001),
# the connection was lost (abort: 1006, local only).
# encode_message(), ping_frame() and close_frame() return the bytes of
# what the application sends. Limits: `max_message_size` (whole message
# after reassembly) and `max_frame_size`; both are checked from frame
# headers, before buffering.
class Protocol:
    """One server-side WebSocket connection, sans I/O."""
    mask = None     # set by a client (ahttp.testing): its answers are masked

    def __init__(self, max_message_size=DEFAULT_MAX_MESSAGE, max_frame_size=None,
                 require_mask=True):
        if max_frame_size is None:
            max_frame_size = max_message_size
        self.max_message_size = max_message_size
        self.parser = FrameParser(max_frame_size, require_mask, self._on_header)
        self._hdr_msg = 0       # opcode of the message in progress (headers)
        self._hdr_size = 0
        self._msg_op = 0        # the same, as payloads arrive
        self._parts = None
        self._utf8 = None
        self._pv = None         # a partly received text frame (_ws_cold.utf8)
        self.close_sent = False
        self.close_received = False
        self.close_code = None
        self.close_reason = ""
        # queued answers (see data_to_send); stored now with every other
        # attribute: a first store later can grow this object's table,
        # which a full heap refuses (the answer would be lost)
        self.out_buf = b""

    def _on_header(self, fin, opcode, length):
        if opcode >= _OP_CLOSE:
            return
        if opcode == _OP_CONT:
            if not self._hdr_msg:
                raise ProtocolError(_CLOSE_PROTOCOL_ERROR, "continuation without a message")
            size = self._hdr_size + length
        else:
            if self._hdr_msg:
                raise ProtocolError(_CLOSE_PROTOCOL_ERROR, "new message inside a fragmented one")
            size = length
        if self.max_message_size is not None and size > self.max_message_size:
            raise ProtocolError(_CLOSE_TOO_BIG, "message too big")
        self._hdr_size = size
        if fin:
            self._hdr_msg = 0
        elif opcode != _OP_CONT:
            self._hdr_msg = opcode

    def feed(self, data):
        self.parser.feed(data)

    def data_to_send(self):
        """The queued answers (bytes, b"" if none), taken."""
        out = self.out_buf
        if out:
            self.out_buf = b""
        return out

    def begin(self, pieces):
        """The drivers' receive(): the next message whole (pieces 0) or,
        receive_piece(), in pieces of at most `pieces` bytes, as events
        (MESSAGE, piece, last) until its last piece."""
        if pieces:
            self.parser.pieces = pieces
        elif self.parser.pieces:
            raise RuntimeError("a message is being received in pieces: "
                               "receive_piece() until its last one")

    def next_event(self):
        """The next event, or None when more bytes are needed."""
        # A ping's pong and the echo of the peer's close are queued as
        # they come. A violation by the peer queues our close frame (fail)
        # and comes out as (CLOSE, code, reason) with close_received
        # False: the driver writes it, waits (bounded) for the peer's
        # close, which comes out as the same event, and ends the
        # connection.
        #
        # A message that cannot be allocated (MemoryError anywhere in
        # taking it in: its block, its fragments, their join) is refused
        # like one over the limit, with 1009, and what it held is dropped:
        # on a small heap a message can be inside max_message_size and
        # still not fit the free memory, and the peer is told so instead
        # of 1011.
        try:
            while True:
                frame = self.parser.next_frame()
                if frame is None:
                    hdr = self.parser._hdr
                    if hdr is not None and not self.parser.pieces and not self.close_received and (
                            hdr[1] == _OP_TEXT or hdr[1] == _OP_CONT and self._utf8 is not None):
                        # A text frame waits for the rest of its payload:
                        # what has come is checked now, so invalid UTF-8
                        # fails before the frame ends (Autobahn 6.4.3/6.4.4
                        # send one in slow chunks); not after a close, whose
                        # followers are ignored whole. Loaded on first use.
                        load("_ws_cold").utf8(self, hdr)
                    return None
                fin, opcode, payload = frame
                if self.close_received:
                    continue        # nothing may follow a close frame
                if self.parser.discard:
                    # Failed: only the peer's close frame matters now.
                    self.close_received = True
                    return (CLOSE, self.close_code, self.close_reason)
                if opcode == _OP_CLOSE:
                    code, reason = parse_close(payload)
                    self.close_received = True
                    self.close_code = code
                    self.close_reason = reason
                    if not self.close_sent:
                        # echoed (RFC 6455 5.5.1): its code and reason, or
                        # an empty close for an empty one
                        self.out_buf += encode_close(
                            None if code == _CLOSE_NO_STATUS else code, reason, self.mask)
                        self.close_sent = True
                    return (CLOSE, code, reason)
                if opcode == _OP_PING:
                    payload = bytes(payload)
                    self.out_buf += encode_frame(_OP_PONG, payload, True, self.mask)
                    return (PING, payload)
                if opcode == _OP_PONG:
                    return (PONG, bytes(payload))
                if self.parser.pieces:
                    # (MESSAGE, piece, last): see ws.WebSocket.receive_piece
                    if opcode != _OP_CONT:
                        self._msg_op = opcode
                        self._utf8 = Utf8Validator() if opcode == _OP_TEXT else None
                    if self._utf8 is not None:
                        payload = self._utf8.feed(payload, fin)
                    elif type(payload) is not bytes:
                        payload = bytes(payload)
                    if fin:
                        self._utf8 = None
                        self.parser.pieces = 0      # (see begin)
                    return (MESSAGE, payload, fin)
                if fin and opcode != _OP_CONT:       # the common case
                    if opcode == _OP_TEXT:
                        return (MESSAGE, decode_utf8(payload))
                    return (MESSAGE, payload if type(payload) is bytes else bytes(payload))
                if opcode != _OP_CONT:
                    self._msg_op = opcode
                    self._parts = []
                    if opcode == _OP_TEXT:
                        self._utf8 = Utf8Validator()
                parts = self._parts
                if self._msg_op == _OP_TEXT:
                    # Decode fragment by fragment: fails fast, and the
                    # fragments are never all held as bytes next to the str.
                    payload = self._utf8.feed(payload, fin)
                # Small fragments are merged as they come: a message in
                # fragments of a few bytes would otherwise hold an object
                # per fragment, several times its size on a board's heap.
                if parts and len(payload) < _PIECE and len(parts[-1]) < _PIECE:
                    parts[-1] += payload
                else:
                    parts.append(payload)
                if not fin:
                    continue
                self._parts = None
                self._utf8 = None
                if len(parts) == 1:
                    payload = parts[0]
                elif self._msg_op == _OP_TEXT:
                    payload = "".join(parts)
                else:
                    payload = join(parts)
                parts = None
                if self._msg_op == _OP_TEXT or type(payload) is bytes:
                    return (MESSAGE, payload)
                return (MESSAGE, bytes(payload))
        except ProtocolError as e:
            return self.fail(e)
        except MemoryError:
            return self.fail(self.too_big())

    def too_big(self):
        """The ProtocolError for a message the heap cannot take in (1009,
        as one over the limit), what was taken of it dropped: next_event's,
        and the driver's when reading or buffering its bytes fails."""
        self._parts = self._utf8 = self._pv = None
        return ProtocolError(_CLOSE_TOO_BIG, "message too big")

    def _ended(self, exc):
        # fail() for a WebSocket ended from outside: its handler left it
        # open (exc None: it returned, 1000; else what it raised, 1011) or
        # the server stops (exc True: 1001). (Named like the drivers'
        # methods that call it: one interned name less on a board.)
        # A MemoryError: 1011 "out of memory", from ready-made objects
        # (fail(None)): the heap is full, there may be no room to make one.
        if exc is None:
            exc = ProtocolError(_CLOSE_NORMAL, "")
        elif exc is True:
            exc = ProtocolError(_CLOSE_GOING_AWAY, "going away")
        elif isinstance(exc, MemoryError):
            exc = None
        else:
            exc = ProtocolError(_CLOSE_INTERNAL, "internal error")
        return self.fail(exc)

    def abort(self, timeout=False):
        # the CLOSE event of a connection that ended with no close
        # handshake: 1006 (never sent on the wire); timeout: a keepalive
        # ping went unanswered
        return (CLOSE, _CLOSE_ABNORMAL,
                "keepalive ping timeout" if timeout else "connection lost")

    # Outgoing frames (unmasked: this is the server side).

    def encode_message(self, data):
        """(frame, None) for a small message, else (header, body): write the
        header, then each piece of pieces(body).

        Small frames come joined: a header sent alone makes Nagle's
        algorithm hold the payload back until the peer's delayed ACK (tens
        of ms per message). A big body goes out in pieces, so the stream
        never holds a copy of the whole message; a str is encoded first,
        which on MicroPython shares the str's data (no copy)."""
        op = _OP_BINARY
        if isinstance(data, str):
            data = data.encode()
            op = _OP_TEXT
        if len(data) <= _JOIN:
            return encode_header(op, len(data)) + data, None
        return encode_header(op, len(data)), data

    def ping_frame(self, data=b""):
        if isinstance(data, str):
            data = data.encode()
        if len(data) > 125:
            raise ValueError("ping payload longer than 125 bytes")
        return encode_frame(_OP_PING, data)

    def close_frame(self, code=_CLOSE_NORMAL, reason=""):
        """Our close frame (validated); marks the close as sent."""
        if code is not None and not valid_close_code(code):
            raise ValueError("invalid close code %r" % (code,))
        frame = encode_close(code, reason)
        self.close_sent = True
        return frame

    def fail(self, error):
        """Queue the close frame answering a ProtocolError (unless ours
        went already); return the event (CLOSE, code, reason)."""
        # From now on the input is only scanned for the peer's close frame
        # (returned as a CLOSE event with our error code): every other
        # frame is skipped without buffering, whatever its size. error
        # None: a full heap (see _ended), nothing allocated (the frame
        # joins an empty out_buf as itself).
        if error is None:
            self.close_code = _CLOSE_INTERNAL
            self.close_reason = _OUT_OF_MEMORY[2]
        else:
            self.close_code = error.code
            self.close_reason = error.reason
        p = self.parser
        p.discard = True
        if p._whole is not None:
            # failed while a big payload came in (MemoryError for the next
            # one, a handler's error): the rest of it is skipped
            p._skip += p._need
            p._hdr = None
        # (a header taken without its payload stays: discard mode skips it)
        p._whole = p._block = None
        p._need = 0
        if not self.close_sent:
            # (marked sent once queued: a MemoryError in between leaves it
            # to be queued again, see ws._refuse)
            self.out_buf += (_OUT_OF_MEMORY_FRAME if error is None and self.mask is None
                             else encode_close(self.close_code, self.close_reason, self.mask))
            self.close_sent = True
        return _OUT_OF_MEMORY if error is None else (CLOSE, error.code, error.reason)


# (see Protocol.fail)
_OUT_OF_MEMORY = (CLOSE, _CLOSE_INTERNAL, "out of memory")
_OUT_OF_MEMORY_FRAME = encode_close(_CLOSE_INTERNAL, _OUT_OF_MEMORY[2])


def handshake(request, subprotocols, origins, headers, max_message_size,
              max_frame_size):
    """Decide an upgrade request for both drivers: (the 101 response
    bytes, a Protocol, the chosen subprotocol or None). A request that
    cannot be upgraded raises HandshakeError (400, 403 or 426)."""
    h = request.headers
    key = check_request(request.method, request.version, h)
    if origins is not None:
        origin = h.get("origin")
        ok = origins(origin) if callable(origins) else origin in origins
        if not ok:
            raise HandshakeError(403, "Origin not allowed")
    sub = select_subprotocol(h.get("sec-websocket-protocol"), subprotocols)
    return (encode_accept(key, sub, headers or ()),
            Protocol(max_message_size, max_frame_size), sub)
