"""The WebSocket's rarely used code: the async driver's messages in
pieces, loaded on first use through WebSocket.__getattr__, so an app that
never streams a message holds none of it (nor its names, interned on a
board); the sync driver shares piece_frame(). And the sans-IO core's
check of a text frame that arrives in several reads (utf8)."""
from . import _ws
from ._ws import ConnectionClosed


async def receive_piece(self, size=1024):
    """The next piece of a message as it arrives: (str or bytes, last),
    at most `size` bytes of payload (a text piece ends on a whole
    character: it may be empty, or carry up to 3 bytes of a character the
    last piece cut). Nothing the size of the
    message is held, so a board can take messages bigger than its free
    heap (`max_message_size` still applies: None for no limit). Pings are
    answered in between. Until `last`, receive() raises RuntimeError."""
    if size < 1:
        raise ValueError("size must be at least 1")
    event = await self._receive(size)
    return event[1], event[2]


async def send_piece(self, piece, last=False):
    """Send `piece` (str or bytes) as the next fragment of a message; the
    first piece's type makes it text or binary, `last=True` ends it. Do
    not send() another message from another task until then."""
    head, piece = piece_frame(self, piece, last)
    await self._write(head, piece)


def piece_frame(ws, piece, last):
    """(frame header, payload bytes) for send_piece() of either driver:
    the first piece's type makes the message text or binary, the others
    are continuations (the Protocol's `_piece_open` while a message is
    under way: the outgoing fragment state, next to the incoming one)."""
    proto = ws._proto
    if ws._done or proto.close_sent:
        raise ConnectionClosed(ws.close_code or 1006, ws.close_reason)
    opened = getattr(proto, "_piece_open", False)
    op = 0                  # continuation
    if isinstance(piece, str):
        piece = piece.encode()
        if not opened:
            op = 1          # text
    elif not opened:
        op = 2              # binary
    proto._piece_open = not last
    return _ws.encode_header(op, len(piece), last), piece


def utf8(proto, hdr):
    """(Named like _utf8.utf8: a new name would be interned on a board.)
    Check the UTF-8 of what has come of the text frame `hdr` that
    Protocol `proto` waits on, from where the last check stopped: a
    ProtocolError(1007) as soon as no continuation could make it valid
    (RFC 6455 8.1 lets an endpoint fail on invalid data at once), not
    only when the frame ends. Unmasked copies of 512 bytes at a time, so
    a big frame's check holds little besides its block."""
    p = proto.parser
    pv = proto._pv
    if pv is None or pv[0] is not hdr:
        v = _ws.Utf8Validator()
        if hdr[1] == 0:     # a continuation: the last fragment's unfinished character
            v._tail = proto._utf8._tail
        pv = proto._pv = [hdr, 0, v]
    at = pv[1]
    if p._whole is not None:
        src = p._whole
        off = 0
        end = p._fill
    else:
        src = p._buf
        off = p._off
        end = len(src) - off
        if end > hdr[2]:
            end = hdr[2]
    mask = hdr[3]
    while at < end:
        k = end if end - at <= 512 else at + 512
        chunk = bytearray(src[off + at:off + k])
        if mask is not None:
            r = at & 3
            _ws.apply_mask(chunk, mask[r:] + mask[:r])
        pv[2].feed(chunk, False)
        at = k
    pv[1] = at


_end = 1    # imported completely (see _compat.load)
