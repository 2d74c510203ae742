"""The async WebSocket's rarely used methods: messages in pieces. Loaded
on first use through WebSocket.__getattr__, so an app that never streams
a message holds none of it (nor its names, interned on a board). The
sync driver shares piece_frame()."""
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
    event = await self._next(size)
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
    are continuations (`ws._piece_open` while a message is under way)."""
    if ws._done or ws._proto.close_sent:
        raise ConnectionClosed(ws.close_code or 1006, ws.close_reason)
    opened = getattr(ws, "_piece_open", False)
    op = 0                  # continuation
    if isinstance(piece, str):
        piece = piece.encode()
        if not opened:
            op = 1          # text
    elif not opened:
        op = 2              # binary
    ws._piece_open = not last
    return _ws.encode_header(op, len(piece), last), piece


_end = 1    # imported completely (see _compat.load)
