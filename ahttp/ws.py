"""WebSocket for the async server: the thin asyncio driver over ahttp._ws.

It only moves bytes: reads through the server's Reader, feeds the sans-IO
`_ws.Protocol`, writes what it queues (pongs, close answers) and whole frames
one sender at a time (so a send from another task never interleaves with a
pong or another send), and maps its events to the public API. Every protocol
decision (answers, close codes and reasons, fragments) is the Protocol's,
shared with the blocking driver (_sync_ws.py); the timing (keepalive,
close_timeout) is this driver's.

    ws = await WebSocket.accept(reader, writer, request)
    async for message in ws:        # str for text, bytes for binary
        await ws.send(message)
"""
from . import _ws
from ._ws import ConnectionClosed
from ._compat import ticks_ms, ticks_diff, const, cold, MICROPYTHON
from ._http import NO_ROOM
from ._response import BUSY
from ._aio import asyncio     # (uasyncio on MicroPython 1.20)

# Reads for frame headers and small frames: 512 bytes. The rest of a big
# payload is read straight into its block (_ws.FrameParser.room), so a
# bigger read only leaves a bigger transient copy on the heap when that
# block is taken, and is no faster (figures: commit fc1fc97). Skipping
# input after an error reads more.
_READ_SIZE = const(512)
_SKIP_SIZE = const(4096)
# MicroPython: heap a session needs free beyond the server's min_free to
# start while other connections are open (what it holds for its life more
# than a plain connection does), else a whole 503 before the 101
# (figures: docs/robustness.md)
_ROOM = const(2048)
# MicroPython: how often, and how long apart, the next message's
# coroutine is tried again when the heap has no room for it (see _receive)
_TRIES = const(50)
_WAIT_MS = const(20)


class WebSocket:
    """One server-side WebSocket connection. Create it with accept()."""

    def __init__(self, reader, writer, request, protocol, subprotocol=None,
                 close_timeout=5.0):
        self.reader = reader
        self.writer = writer
        self.request = request
        self.subprotocol = subprotocol
        self.close_timeout = close_timeout
        self.close_code = None
        self.close_reason = ""
        self._proto = protocol
        # One sender and one receiver at a time; a task that finds the
        # other busy waits for `_turns`, set when a turn ends (an Event made
        # only when someone waits: no asyncio.Lock per connection, nor its
        # module on a board)
        self._sending = False
        self._receiving = None     # the task in receive(), if any
        self._turns = None
        self._closed = None        # asyncio.Event set once fully closed
        self._done = False
        self._abort = None         # True when keepalive dropped the connection
        self._keepalive = None
        self._last_seen = ticks_ms()
        self._next = None          # the next message's coroutine, made ahead

    @classmethod
    async def accept(cls, reader, writer, request, subprotocols=None, origins=None,
                     max_message_size=_ws.DEFAULT_MAX_MESSAGE, max_frame_size=None,
                     ping_interval=None, ping_timeout=None, close_timeout=5.0,
                     headers=None):
        """Validate the upgrade request and answer it with 101.

        - `subprotocols`: names the server speaks, best first; the chosen
          one is `ws.subprotocol` (None if the client offered none of them).
        - `origins`: None (any), a list of allowed Origin values, or a
          callable(origin_or_None) -> bool. A refused Origin gets 403.
        - `max_message_size` / `max_frame_size` (bytes, None for no limit):
          bigger messages are refused with close code 1009 before any of
          their payload is buffered.
        - `ping_interval`/`ping_timeout` (seconds): send a ping every
          interval and drop the connection if nothing arrives within the
          timeout (default: the interval).
        - `headers`: extra (name, value) pairs for the 101 response.

        A request that cannot be upgraded raises HTTPError (400, 403 or 426
        with the reason as body), which the server answers.
        """
        # Everything the session needs is made before the 101 leaves (the
        # WebSocket, its Protocol, the drain, the keepalive task) and every
        # attribute of the connection it will store is stored now (a first
        # store can grow an object's table): until the 101 is written a
        # full heap (MemoryError) is a whole 503 + Retry-After, never a
        # 101 and then a reset.
        response, proto, sub = _ws.handshake(request, subprotocols, origins, headers,
                                             max_message_size, max_frame_size)
        ws = cls(reader, writer, request, proto, sub, close_timeout)
        take_over = getattr(writer, "take_over", None)
        if take_over is not None:
            # (the connection's attributes this driver's writes, reads and
            # close store)
            for name in ("written", "closed", "eof", "drainer", "deadline", "expired",
                         "_buf", "_pos"):
                setattr(writer, name, getattr(writer, name))
            # (MicroPython: only while min_free is free, and a session's
            # _ROOM more while other connections share the heap, else
            # NO_ROOM: alone, waiting would free nothing. The server calls
            # ws._ended() after the handler, ws._refuse() after a
            # MemoryError.)
            take_over(ws, _ROOM if len(writer.app._conns) > 1 else 0)
        if ping_interval:
            ws._keepalive = asyncio.create_task(
                ws._keepalive_loop(ping_interval, ping_timeout or ping_interval))
        d = writer.drain()
        try:
            writer.write(response)
        except BaseException:
            d.close()
            raise
        await d
        return ws

    # -- receiving -------------------------------------------------------

    def __aiter__(self):
        return self

    def __anext__(self):
        """Messages until the connection closes (any close ends the loop;
        see close_code / close_reason)."""
        # (plain functions returning _receive's coroutine, here and in
        # receive(): one coroutine per message. On MicroPython it was made
        # ahead, by the last one: see _receive)
        c = self._next
        if c is None:
            return self._receive(None)
        self._next = None
        return c

    @property
    def closed(self):
        return self._done

    def __getattr__(self, name):
        # receive_piece, send_piece: ahttp._ws_cold, loaded on first use
        return cold(self, "_ws_cold", name)

    def receive(self):
        """The next message: str (text) or bytes (binary). Pings are
        answered here. Raises ConnectionClosed once the connection is closed."""
        return self._receive(0)

    async def _await_turn(self):
        # until the current sender or receiver is done (see __init__)
        if self._turns is None:
            self._turns = asyncio.Event()
        await self._turns.wait()

    def _end_turn(self):
        t = self._turns
        if t is not None:
            self._turns = None
            t.set()

    async def _receive(self, pieces=-1):
        # The next message, in this task's turn: pieces None (async for:
        # StopAsyncIteration at the close) or 0, the message; n > 0, the
        # MESSAGE event of its next piece (_ws_cold.receive_piece); -1
        # (close(): messages after our close are dropped), the next one,
        # outside any turn. (One coroutine for it all: see __anext__.)
        if pieces != -1:
            if self._done:
                if pieces is None:
                    raise StopAsyncIteration
                raise ConnectionClosed(self.close_code, self.close_reason)
            while self._receiving is not None:      # another task's turn
                await self._await_turn()
            self._receiving = _current_task()
        proto = self._proto
        reader = self.reader
        into = hasattr(reader, "readinto")
        try:
            if pieces != -1:
                proto.begin(pieces or 0)
            while True:
                if self._done:
                    raise ConnectionClosed(self.close_code, self.close_reason)
                event = proto.next_event()
                if event is None:
                    try:
                        # the rest of a big payload straight into its block, if
                        # the reader can (the server's can; see _ws.Parser.room)
                        room = proto.parser.room() if into else None
                        try:
                            if room is None:
                                data = await reader.read(_READ_SIZE if into else _SKIP_SIZE)
                            else:
                                data = await reader.readinto(room)      # a count
                        except asyncio.CancelledError:
                            if self._abort is None:
                                raise
                            t = _current_task()
                            if hasattr(t, "uncancel"):
                                t.uncancel()
                            data = b""
                        except (OSError, EOFError):
                            data = b""
                        if not data:
                            self._finish(proto.abort(self._abort))
                            raise ConnectionClosed(1006, self.close_reason)
                        self._last_seen = ticks_ms()
                        if room is None:
                            proto.feed(data)
                        else:
                            proto.parser.filled(data)
                    except MemoryError:
                        # while a big payload comes in, its block holds the heap:
                        # the peer is told the message is too big for this
                        # server (1009), as next_event does, never 1011
                        if proto.parser._whole is None:
                            raise
                        await self._respond(proto.fail(proto.too_big()))
                    continue
                if event[0] == _ws.MESSAGE:
                    if pieces is None and MICROPYTHON:
                        # The coroutine `async for` takes the next message
                        # with, made now: a full heap would end the session
                        # in the handler's frame (1011); here it waits for
                        # memory (other connections end and free theirs),
                        # a bounded number of times.
                        data = 0
                        while self._next is None and data < _TRIES:
                            try:
                                self._next = self._receive(None)
                            except MemoryError:
                                data += 1
                                await asyncio.sleep_ms(_WAIT_MS)
                    return event if pieces else event[1]
                # PONG: _last_seen was updated when its bytes arrived.
                await self._respond(event)
        except ConnectionClosed:
            if pieces is None:
                raise StopAsyncIteration
            raise
        finally:
            if pieces != -1:
                self._receiving = None
                self._end_turn()

    # -- sending ---------------------------------------------------------

    async def send(self, message):
        """Send a str as a text message or bytes as a binary message."""
        if self._done or self._proto.close_sent:
            raise ConnectionClosed(self.close_code or 1006, self.close_reason)
        head, payload = self._proto.encode_message(message)
        if payload is not None or self._sending:
            await self._write(head, payload)
            return
        # One frame and no other sender (the usual case): written here,
        # not in _write's coroutine, one allocation fewer per message (the
        # drain made first: a full heap then fails before anything left)
        writer = self.writer
        d = writer.drain()
        self._sending = True
        try:
            writer.write(head)
            await d
        except (OSError, EOFError):
            d.close()       # (not awaited if the write failed)
            self._finish(self._proto.abort())
            raise ConnectionClosed(1006, self.close_reason)
        finally:
            self._sending = False
            self._end_turn()

    async def ping(self, data=b""):
        """Send a ping (at most 125 bytes); the pong is handled by receive()."""
        if self._done or self._proto.close_sent:
            raise ConnectionClosed(self.close_code or 1006, self.close_reason)
        await self._write(self._proto.ping_frame(data))

    async def _write(self, frame, body=None):
        writer = self.writer
        while self._sending:        # another task's message is going out
            await self._await_turn()
        if self._done:
            raise ConnectionClosed(self.close_code, self.close_reason)
        self._sending = True
        try:
            if body is None:
                writer.write(frame)
            else:
                # Piece by piece (memoryviews of the message), draining
                # each: the stream never buffers a copy of more than one
                # piece. The header rides with the small first one (see
                # Protocol.encode_message).
                for piece in _ws.pieces(body, frame):
                    writer.write(piece)
                    await writer.drain()
            await writer.drain()
        except (OSError, EOFError):
            self._finish(self._proto.abort())
            raise ConnectionClosed(1006, self.close_reason)
        finally:
            self._sending = False
            self._end_turn()

    # -- closing ---------------------------------------------------------

    async def close(self, code=1000, reason=""):
        """Start the close handshake, wait (up to close_timeout) for the
        peer's close frame, then close the connection."""
        if self._done:
            return
        if not self._proto.close_sent:
            frame = self._proto.close_frame(code, reason)
            try:
                await self._write(frame)
            except ConnectionClosed:
                return
        if self._receiving is not None:
            # The receiving task will see the peer's close frame.
            if self._closed is None:
                self._closed = asyncio.Event()
            try:
                await asyncio.wait_for(self._closed.wait(), self.close_timeout)
            except asyncio.TimeoutError:
                pass
        else:
            try:
                await asyncio.wait_for(self._drain_until_close(), self.close_timeout)
            except asyncio.TimeoutError:
                pass
        if not self._done:
            self._finish((0, code, reason))

    async def _drain_until_close(self):
        try:
            while True:
                await self._receive()    # messages after our close are dropped
        except ConnectionClosed:
            pass

    async def _respond(self, event, wait=True):
        # Write what the Protocol queued for `event` (a pong, the echo of
        # the peer's close, our close after an error). A CLOSE ends the
        # connection (ConnectionClosed): when ours went first, after
        # waiting (close_timeout at most) for the peer's; wait=False:
        # another task is reading, it sees the peer's answer.
        out = self._proto.out_buf
        if out:
            # (the write's coroutine made before the answer is taken: a
            # MemoryError leaves it queued, for _refuse to write)
            out = self._write(out)
            self._proto.data_to_send()
            try:
                await out
            except ConnectionClosed:
                wait = False
        else:
            wait = False
        if event[0] != _ws.CLOSE:
            return
        if wait and not self._proto.close_received:
            try:
                await asyncio.wait_for(self._linger(), self.close_timeout)
            except Exception:
                pass
        self._finish(event)
        raise ConnectionClosed(event[1], event[2])

    async def _ended(self, exc):
        # The handler returned (exc None) or raised, the connection still
        # open: close it properly (the Protocol's _ended chooses the code)
        # instead of just dropping it (the peer would see no close frame,
        # maybe a reset). After a MemoryError (or none for this
        # coroutine), NO_ROOM: the server's except clause then calls
        # _refuse, which allocates nothing.
        if isinstance(exc, MemoryError):
            NO_ROOM.__traceback__ = None    # (see _http.RecvBuffer.take_over)
            raise NO_ROOM
        if not self._done:
            try:
                await self._respond(self._proto._ended(exc), self._receiving is None)
            except ConnectionClosed:
                pass

    def _refuse(self):
        # The server, after a MemoryError out of the handler or the close
        # (see _ended): before the 101 left, a whole 503 + Retry-After in
        # its place; after it, what the Protocol queued and no coroutine
        # was left to write (the echo of the peer's close), then its
        # 1011 "out of memory" unless a close went already; nothing while
        # a message is going out (its frames must not be cut). Nothing
        # allocated. Returns True: the server closes with a lingering
        # read, which on MicroPython needs no memory (a close with the
        # peer's bytes unread would reset the connection, losing the
        # frame).
        w = self.writer
        p = self._proto
        try:
            if not w.written:
                w.write(BUSY)
            elif not self._done and not self._sending:
                w.write(p.data_to_send())
                p._ended(NO_ROOM)
                w.write(p.data_to_send())
        except Exception:
            pass
        self._done = True
        k = self._keepalive
        if k is not None:
            self._keepalive = None
            try:
                k.cancel()
            except Exception:
                pass
        return True

    def _going_away(self):
        # The server stops (its stop() cancels the handler next): the
        # Protocol's close frame (1001), unless a message is going out
        # (its frames must not be cut) or a close already went.
        if self._done or self._sending:
            return
        self._proto._ended(True)
        out = self._proto.data_to_send()
        if out:
            try:
                self.writer.write(out)
            except Exception:
                pass

    async def _linger(self):
        # Wait for the peer's answer to our close frame, dropping everything
        # else unbuffered: closing with unread bytes would make the kernel send
        # RST, which can destroy our close frame before the peer reads it.
        proto = self._proto
        while proto.next_event() is None:
            data = await self.reader.read(_SKIP_SIZE)
            if not data:
                return
            proto.feed(data)

    def _finish(self, event):
        """Closed: remember why (a CLOSE event), close the socket, wake
        close()."""
        if self._done:
            return
        self._done = True
        self.close_code = event[1]
        self.close_reason = event[2]
        try:
            self.writer.close()
        except Exception:
            pass
        if self._closed is not None:
            self._closed.set()
        k = self._keepalive
        if k is not None and k is not _current_task():
            k.cancel()
        self._keepalive = None

    async def _keepalive_loop(self, interval, timeout):
        try:
            while not self._done:
                await asyncio.sleep(interval)
                if self._done:
                    return
                sent = ticks_ms()
                try:
                    await self.ping(b"keepalive")
                except (ConnectionClosed, ValueError):
                    return
                await asyncio.sleep(timeout)
                if not self._done and ticks_diff(self._last_seen, sent) < 0:
                    self._abort = True      # (see _receive)
                    task = self._receiving
                    self._finish(self._proto.abort(True))
                    if task is not None:
                        task.cancel()
        except asyncio.CancelledError:
            pass


def _current_task():
    try:
        return asyncio.current_task()
    except RuntimeError:
        return None
