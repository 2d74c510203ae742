"""WebSocket for the blocking driver: the thin blocking twin of ws.py.

Loaded by `ahttp.sync` on first use. It only moves bytes: every protocol
decision and limit (handshake, frames, UTF-8, the answers to pings and
closes, close codes and reasons) is in the sans-IO core `_ws.Protocol`,
shared with the async driver; this loop writes what it queues. The timing
(keepalive, close_timeout) is the driver's. No asyncio here.

    ws = WebSocket.accept(reader, writer, request)
    for message in ws:              # str for text, bytes for binary
        ws.send(message)

Keepalive pings (`ping_interval`) go out while receive() waits. One thread
uses a WebSocket at a time (sends from a second thread need a lock of the
caller's).
"""
from . import _ws, _utf8
from ._ws import ConnectionClosed
from ._ws_cold import piece_frame
from ._compat import ticks_ms, ticks_diff, const

_READ_SIZE = const(512)  # see ws.py
_SKIP_SIZE = const(4096)

# What the shared core needs that MicroPython v1.11 (the base of Pycom's
# WiPy firmware) lacks, supplied here, once, where only this driver pays:
try:
    _ws.join((bytearray(1),))
except TypeError:
    # bytes.join takes only bytes there (a fragmented binary message)
    def _join(parts, join=_ws.join):
        return join([bytes(p) for p in parts])
    _ws.join = _join
if not hasattr(bytearray, "find"):
    # bytearray has no find() there (_utf8's check of non-ASCII text)
    def _lax_ok(data, lax_ok=_utf8._lax_ok):
        return lax_ok(bytes(data))
    _utf8._lax_ok = _lax_ok


class WebSocket:
    """One server-side WebSocket connection. Create it with accept()."""

    def __init__(self, reader, writer, request, protocol, subprotocol=None,
                 close_timeout=5.0, ping_interval=None, ping_timeout=None):
        self.reader = reader
        self.writer = writer
        self.request = request
        self.subprotocol = subprotocol
        self.close_timeout = close_timeout
        self.close_code = None
        self.close_reason = ""
        self._proto = protocol
        self._done = False
        self._ping_interval = ping_interval
        self._ping_timeout = ping_timeout or ping_interval
        self._last_seen = ticks_ms()
        self._ping_sent = None     # ticks_ms of an unanswered keepalive ping
        self._timed_out = False    # and True once it went unanswered too long

    @classmethod
    def accept(cls, reader, writer, request, subprotocols=None, origins=None,
               max_message_size=_ws.DEFAULT_MAX_MESSAGE, max_frame_size=None,
               ping_interval=None, ping_timeout=None, close_timeout=5.0,
               headers=None):
        """Validate the upgrade request and answer it with 101 (the options
        are ws.WebSocket.accept's). A request that cannot be upgraded
        raises HTTPError (400, 403 or 426), which the server answers."""
        response, proto, sub = _ws.handshake(request, subprotocols, origins, headers,
                                             max_message_size, max_frame_size)
        ws = cls(reader, writer, request, proto, sub, close_timeout,
                 ping_interval, ping_timeout)
        take_over = getattr(writer, "take_over", None)
        if take_over is not None:
            take_over(ws)       # the server calls ws._ended() after the handler
        writer.write(response)
        return ws

    # -- receiving -------------------------------------------------------

    def __iter__(self):
        return self

    def __next__(self):
        """Messages until the connection closes (any close ends the loop;
        see close_code / close_reason)."""
        try:
            return self.receive()
        except ConnectionClosed:
            raise StopIteration

    @property
    def closed(self):
        return self._done

    def receive(self):
        """The next message: str (text) or bytes (binary). Pings are
        answered here. Raises ConnectionClosed once the connection is closed."""
        return self._next(0)[1]

    def receive_piece(self, size=1024):
        """The next piece of a message as it arrives: (str or bytes, last);
        see ws.WebSocket.receive_piece."""
        if size < 1:
            raise ValueError("size must be at least 1")
        event = self._next(size)
        return event[1], event[2]

    def send_piece(self, piece, last=False):
        """Send `piece` as the next fragment of a message; see
        ws.WebSocket.send_piece."""
        head, piece = piece_frame(self, piece, last)
        self._write(head, piece)

    def _next(self, pieces):
        # the next MESSAGE event; pieces: see receive_piece
        if self._done:
            raise ConnectionClosed(self.close_code, self.close_reason)
        self._proto.begin(pieces)
        return self._receive()

    def _receive(self):
        proto = self._proto
        into = hasattr(self.reader, "readinto")
        size = _READ_SIZE if into else _SKIP_SIZE
        while True:
            if self._done:
                raise ConnectionClosed(self.close_code, self.close_reason)
            event = proto.next_event()
            if event is None:
                try:
                    # the rest of a big payload straight into its block (see
                    # _ws.Parser.room)
                    room = proto.parser.room() if into else None
                    data = self._read(size, room)
                    if not data:
                        self._finish(proto.abort(self._timed_out))
                        raise ConnectionClosed(1006, self.close_reason)
                    self._last_seen = ticks_ms()
                    self._ping_sent = None
                    if room is None:
                        proto.feed(data)
                    else:
                        proto.parser.filled(data)       # a count
                except MemoryError:
                    # a big payload's block holds the heap: 1009, as for one
                    # over the limit (see ws.WebSocket._receive)
                    if proto.parser._whole is None:
                        raise
                    self._respond(proto.fail(proto.too_big()))
                continue
            if event[0] == _ws.MESSAGE:
                return event
            # PONG: _last_seen was updated when its bytes arrived.
            self._respond(event)

    def _read(self, size, room=None):
        """The next bytes from the peer, up to `size` (with a `room`
        memoryview: their count, put there); b"" when the connection is
        gone (or the keepalive ping went unanswered). Keepalive pings go
        out while waiting."""
        readable = getattr(self.reader, "readable", None)
        while readable is not None:     # wait here: a read times out
            interval = self._ping_interval
            left = 60000
            if interval:
                now = ticks_ms()
                if self._ping_sent is not None:
                    left = int(self._ping_timeout * 1000) - ticks_diff(now, self._ping_sent)
                    if left <= 0:
                        self._timed_out = True      # (see _receive)
                        return b""
                else:
                    left = int(interval * 1000) - ticks_diff(now, self._last_seen)
                    if left <= 0:
                        try:
                            self.ping(b"keepalive")
                        except ConnectionClosed:
                            return b""
                        self._ping_sent = ticks_ms()
                        continue
            if readable(left):
                break
        try:
            if room is None:
                return self.reader.read(size)
            return self.reader.readinto(room)
        except (OSError, EOFError):
            return b""

    # -- sending ---------------------------------------------------------

    def send(self, message):
        """Send a str as a text message or bytes as a binary message."""
        if self._done or self._proto.close_sent:
            raise ConnectionClosed(self.close_code or 1006, self.close_reason)
        head, payload = self._proto.encode_message(message)
        self._write(head, payload)

    def ping(self, data=b""):
        """Send a ping (at most 125 bytes); the pong is handled by receive()."""
        if self._done or self._proto.close_sent:
            raise ConnectionClosed(self.close_code or 1006, self.close_reason)
        self._write(self._proto.ping_frame(data))

    def _write(self, frame, body=None):
        if self._done:
            raise ConnectionClosed(self.close_code, self.close_reason)
        writer = self.writer
        try:
            if body is None:
                writer.write(frame)
            else:
                # Piece by piece (_ws.pieces, memoryviews of the message):
                # no copy of it; the header rides with the small first one.
                for piece in _ws.pieces(body, frame):
                    writer.write(piece)
        except (OSError, EOFError):
            self._finish(self._proto.abort())
            raise ConnectionClosed(1006, self.close_reason)

    # -- closing ---------------------------------------------------------

    def close(self, code=1000, reason=""):
        """Start the close handshake, wait (up to close_timeout) for the
        peer's close frame, then close the connection."""
        if self._done:
            return
        if not self._proto.close_sent:
            try:
                self._write(self._proto.close_frame(code, reason))
            except ConnectionClosed:
                return
        self._until_closed()
        if not self._done:
            self._finish((0, code, reason))

    def _until_closed(self):
        # Messages after our close are dropped; bounded by close_timeout.
        end = ticks_ms() + int(self.close_timeout * 1000)
        readable = getattr(self.reader, "readable", None)
        try:
            while not self._done:
                left = ticks_diff(end, ticks_ms())
                if left <= 0 or (readable is not None and not readable(left)):
                    return
                self._ping_interval = None
                self._receive()     # (also in the middle of a message in pieces)
        except ConnectionClosed:
            pass

    def _respond(self, event):
        # Write what the Protocol queued for `event` (a pong, the echo of
        # the peer's close, our close after an error). A CLOSE ends the
        # connection (ConnectionClosed): when ours went first, after
        # waiting (close_timeout at most) for the peer's.
        out = self._proto.data_to_send()
        wait = False
        if out:
            try:
                self._write(out)
                wait = True
            except ConnectionClosed:
                pass
        if event[0] != _ws.CLOSE:
            return
        if wait and not self._proto.close_received:
            self._linger()
        self._finish(event)
        raise ConnectionClosed(event[1], event[2])

    def _ended(self, exc):
        # The handler returned (exc None) or raised, the connection still
        # open: close it properly (the Protocol's _ended chooses the code).
        if not self._done:
            try:
                self._respond(self._proto._ended(exc))
            except ConnectionClosed:
                pass

    def _linger(self):
        # Wait (close_timeout at most) for the peer's answer to our close
        # frame, dropping everything else: closing with unread bytes would
        # make the kernel send RST, which can destroy our close frame.
        proto = self._proto
        end = ticks_ms() + int(self.close_timeout * 1000)
        readable = getattr(self.reader, "readable", None)
        try:
            while proto.next_event() is None:
                left = ticks_diff(end, ticks_ms())
                if left <= 0 or (readable is not None and not readable(left)):
                    return
                data = self.reader.read(_SKIP_SIZE)
                if not data:
                    return
                proto.feed(data)
        except Exception:
            pass

    def _finish(self, event):
        """Closed: remember why (a CLOSE event), close the socket."""
        if self._done:
            return
        self._done = True
        self.close_code = event[1]
        self.close_reason = event[2]
        try:
            self.writer.close()
        except Exception:
            pass


_end = 1    # imported completely (see _compat.load)
