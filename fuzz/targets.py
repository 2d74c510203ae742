"""Fuzz entry points for the sans-IO parsers, shared by the hypothesis
tests (tests/test_robust_parser.py) and the coverage-guided harness
(fuzz/run.py).

Each `drive_*` function feeds a byte stream, in the pieces given, to a
parser exactly the way the drivers do, and returns the list of events it
produced. On top of what the parser checks itself, it asserts the
invariants the robustness issue asks for:

- the only exception that may escape is the parser's own protocol error
  (HTTPError for HTTP, ProtocolError for WebSocket); anything else is a bug
  and propagates to the caller;
- what stays buffered while the parser waits for more bytes never exceeds
  its limit (plus the one read that brought it over);
- `check_*_split` compares a stream fed whole with the same stream fed in
  other pieces.

Runs on CPython and MicroPython (no typing, no f-strings with `=`).
"""
from ahttp._http import HTTPError, Limits, RecvBuffer, body_framing
from ahttp._chunked import ChunkedDecoder
from ahttp.request import Request
from ahttp import _ws

# The chunked decoder's own bounds (ahttp/_chunked.py).
MAX_CHUNK_LINE = 256


class Violation(AssertionError):
    pass


def small_limits():
    """Limits small enough that random input reaches every one of them."""
    return Limits(max_request_line=64, max_header_line=48, max_headers=4,
                  max_head=160, max_body=64)


def default_limits():
    return Limits()


# Set by `fuzz/run.py --skip-known`: where a core bug is reported but not
# fixed yet, a stand-in for its fix (guarded by this flag) lets a long run
# look for new ones. None at the moment: the request-target crash and the
# request-line off-by-one it was used for are fixed (83560aa).
SKIP_KNOWN = False


def _request_facts(head):
    # Everything a handler could touch without reading the body: the
    # target's decoding, query parsing, cookies. Must raise HTTPError only.
    method, target, version, headers = head
    req = Request(None, method, target, version, headers)
    args = req.args
    cookies = req.cookies
    return (method, target, version, sorted(headers.items()), req.path,
            sorted(args.items()), sorted(cookies.items()), req.keep_alive())


def drive_http(pieces, limits, record=True):
    """Feed `pieces` to a RecvBuffer + body decoders as the asyncio driver
    does. Events: ("head", facts), ("body", bytes), ("end",), ("error",
    status). Stops at the first error."""
    rb = RecvBuffer()
    rb._buf = b""
    rb._pos = 0
    events = [] if record else _Last()
    left = 0          # Content-Length bytes still expected
    dec = None        # ChunkedDecoder while a chunked body is read
    in_body = False
    try:
        for piece in pieces:
            if not piece:
                continue
            rb._append(piece)
            while True:
                if not in_body:
                    head = rb.next_head(limits)
                    if head is None:
                        pending = len(rb._buf) - rb._pos
                        if pending > limits.max_head + len(piece):
                            raise Violation("%d bytes buffered for a head (max_head %d)"
                                            % (pending, limits.max_head))
                        break
                    events.append(("head", _request_facts(head)))
                    framing = body_framing(head[3], limits.max_body)
                    if framing == 0:
                        events.append(("end",))
                        continue
                    if framing > limits.max_body:
                        raise Violation("body_framing accepted %d > max_body" % framing)
                    in_body = True
                    if framing < 0:
                        dec = ChunkedDecoder(limits.max_body)
                    else:
                        left = framing
                        dec = None
                    continue
                if rb._pos >= len(rb._buf):
                    break
                if dec is None:
                    out = rb._take(left)
                    left -= len(out)
                    events.append(("body", out))
                    if left == 0:
                        in_body = False
                        events.append(("end",))
                    continue
                out = dec.feed(rb._take(len(rb._buf) - rb._pos))
                if len(dec.line) > MAX_CHUNK_LINE:
                    raise Violation("chunk line buffer grew to %d" % len(dec.line))
                if dec.total > limits.max_body:
                    raise Violation("chunked total %d > max_body" % dec.total)
                for b in out:
                    events.append(("body", b))
                if dec.done:
                    rb._buf = dec.rest
                    rb._pos = 0
                    in_body = False
                    dec = None
                    events.append(("end",))
    except HTTPError as e:
        if not (400 <= e.status <= 599):
            raise Violation("HTTPError with status %r" % e.status)
        events.append(("error", e.status))
        return normalize(events)
    if in_body or rb._pos < len(rb._buf):
        events.append(("wait",))
    return normalize(events)


class _Last(list):
    def append(self, ev):
        if self:
            self[0] = ev
        else:
            list.append(self, ev)


def normalize(events):
    """Join adjacent body pieces: how a body is cut is not an event."""
    out = []
    for ev in events:
        if ev[0] == "body":
            if not ev[1]:
                continue
            if out and out[-1][0] == "body":
                out[-1] = ("body", out[-1][1] + bytes(ev[1]))
                continue
            ev = ("body", bytes(ev[1]))
        out.append(ev)
    return out


def split_every(data, size):
    return [data[i:i + size] for i in range(0, len(data), size)] or [b""]


def check_http_split(data, limits, cuts):
    """`data` fed whole and fed cut at `cuts` (sorted offsets) must give the
    same events; an error may carry another status when the bytes are
    invalid for more than one reason (the split run may notice a limit
    first), but both runs must fail, and at the same head."""
    whole = drive_http([data], limits)
    pieces = []
    prev = 0
    for c in cuts:
        pieces.append(data[prev:c])
        prev = c
    pieces.append(data[prev:])
    split = drive_http(pieces, limits)
    same_prefix(whole, split, data, cuts)
    return whole


def same_prefix(whole, split, data, cuts):
    """Same events; the last may differ only as error vs error (another
    status) or error vs wait: invalid bytes fed in pieces may be refused
    before the bytes that make them refusable in the whole run arrive (a
    too-long request line is noticed before its LF when it comes alone).
    That difference only exists while the stream is unfinished."""
    a = [e for e in whole if e[0] not in ("error", "wait")]
    b = [e for e in split if e[0] not in ("error", "wait")]
    ea = whole[-1][0] if whole and whole[-1][0] in ("error", "wait") else None
    eb = split[-1][0] if split and split[-1][0] in ("error", "wait") else None
    if ea is not None and eb is not None:
        # Body bytes are passed on as they arrive: fed whole, the decoder
        # may find the error before handing out the bytes in front of it.
        ta = a.pop()[1] if a and a[-1][0] == "body" else b""
        tb = b.pop()[1] if b and b[-1][0] == "body" else b""
        if not (ta.startswith(tb) or tb.startswith(ta)):
            a.append(("body", ta))
    if a != b or (ea is None) != (eb is None):
        raise Violation("split at %r changed the result:\nwhole %r\nsplit %r\ninput %r"
                        % (cuts, whole, split, data))


# -- WebSocket ---------------------------------------------------------------

def drive_ws(pieces, max_message=256, max_frame=None):
    """Feed `pieces` to a server-side Protocol as ws.py does: events until
    None after each piece; a violation comes out as a CLOSE event before
    the peer's close (the Protocol failed itself: only the peer's close
    frame matters then). Events: ("msg", value), ("ping", b), ("pong", b),
    ("close", code, reason), ("error", code). Nothing may raise."""
    proto = _ws.Protocol(max_message_size=max_message, max_frame_size=max_frame)
    limit = max_frame if max_frame is not None else max_message
    events = []
    closed = False      # the peer's close came out (a later CLOSE: a failure)
    for piece in pieces:
        if not piece:
            continue
        proto.feed(piece)
        while True:
            ev = proto.next_event()
            if ev is None:
                break
            if ev[0] == _ws.CLOSE and (closed or not proto.close_received):
                events.append(("error", ev[1]))
                continue
            if ev[0] == _ws.CLOSE:
                closed = True
            kind = ev[0]
            if kind == _ws.MESSAGE:
                v = ev[1]
                if isinstance(v, (bytes, bytearray)):
                    v = bytes(v)
                size = len(v.encode()) if isinstance(v, str) else len(v)
                if size > max_message:
                    raise Violation("message of %d bytes > max %d" % (size, max_message))
                events.append(("msg", v))
            elif kind == _ws.PING:
                events.append(("ping", bytes(ev[1])))
            elif kind == _ws.PONG:
                events.append(("pong", bytes(ev[1])))
            else:
                events.append(("close", ev[1], ev[2]))
        held = proto.parser.buffered()
        if proto._parts:
            for p in proto._parts:
                held += len(p)
        # a frame (or, after a failure, a close frame of up to 125 bytes)
        # plus its header, the read that brought it, and the message so far
        if held > max(limit, 125) + 14 + len(piece) + max_message:
            raise Violation("%d bytes held by the WebSocket parser" % held)
    return events


def check_ws_split(data, cuts, max_message=256, max_frame=None):
    whole = drive_ws([data], max_message, max_frame)
    pieces = []
    prev = 0
    for c in cuts:
        pieces.append(data[prev:c])
        prev = c
    pieces.append(data[prev:])
    split = drive_ws(pieces, max_message, max_frame)
    if whole != split:
        raise Violation("ws split at %r changed the result:\nwhole %r\nsplit %r\ninput %r"
                        % (cuts, whole, split, data))
    return whole


# -- one input, for coverage-guided fuzzing ------------------------------------

def http_one_input(data):
    """One fuzz input: byte 0 picks the limits and the piece size, the rest
    is the stream. Checks the invariants above (raises on a violation)."""
    if not data:
        return
    sel = data[0]
    stream = data[1:]
    limits = small_limits() if sel & 1 else default_limits()
    size = (sel >> 1) % 17 + 1
    whole = drive_http([stream], limits)
    split = drive_http(split_every(stream, size), limits)
    same_prefix(whole, split, stream, "every %d bytes" % size)


def ws_one_input(data):
    if len(data) < 2:
        return
    sel = data[0]
    stream = data[1:]
    max_message = (16, 125, 300, 70000)[sel & 3]
    max_frame = None if sel & 4 else max(1, max_message // 2)
    size = (sel >> 3) % 13 + 1
    whole = drive_ws([stream], max_message, max_frame)
    split = drive_ws(split_every(stream, size), max_message, max_frame)
    if whole != split:
        raise Violation("ws split every %d bytes changed the result:\nwhole %r\nsplit %r"
                        % (size, whole, split))
