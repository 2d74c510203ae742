"""Server-Sent Events over the async server: EventSource.

Only waiting and writing live here; the wire format is `_sse.py`, shared
with the sync driver. asyncio is imported inside the functions that wait,
never at import. `Broadcaster` (with `Full` and `Lagged`) is `broadcast.py`,
loaded when an app first asks this module for it: a stream of one's own
holds none of the broadcasting code.

    es = await EventSource(reader, writer)           # sends the stream head
    await es.send({"t": 21.5}, event="reading", id=1)

    feed = Broadcaster(ring=32, max_subscribers=16, heartbeat=15)
    feed.publish({"t": 21.5}, event="reading")      # from any task, no await
    await feed.serve(reader, writer)                 # in a route handler
"""
from ahttp._compat import ticks_ms, ticks_diff, const, load
from ahttp._sse import (SSEError, encode_event, encode_comment, encode_stream_head,
                        last_event_id)
from ahttp._response import BUSY

__all__ = ("EventSource", "Broadcaster", "SSEError", "Full", "Lagged",
           "encode_event", "encode_comment")

_ECONNRESET = const(104)
_READ_CHUNK = const(64)
_HEARTBEAT = b":\n\n"


def __getattr__(name):
    # The broadcaster on first use (MicroPython 1.20+ and CPython call this
    # for a name the module lacks), then bound here like any other name.
    if name not in ("Broadcaster", "Full", "Lagged"):
        raise AttributeError(name)
    v = getattr(load("broadcast" if name == "Broadcaster" else "_broadcast"), name)
    globals()[name] = v
    return v


def _closed_error(errno=_ECONNRESET):
    # A fresh exception each time: re-raising one instance would keep
    # growing its traceback on CPython.
    return OSError(errno, "event stream closed")


class EventSource:
    """One event stream on a dedicated connection.

    `await EventSource(reader, writer)` takes the connection over from the
    server, sends the head (200, `text/event-stream`, `no-cache`,
    close-delimited) and returns the EventSource. On the async server the
    head leaves with the first event (or comment), at the latest at the
    server's next watchdog round (a quarter second) or when the handler
    returns or closes the stream: until then a full heap (MemoryError)
    turns the stream into a whole `503` + `Retry-After`, never a `200` and
    then nothing.

    - `heartbeat=None`: seconds of silence after which a comment is sent,
      so proxies keep the stream open and a dead client is noticed. The
      heartbeat runs in a small task that also reads the connection, so a
      client that closes is noticed at once: `closed` becomes True and
      `send` raises OSError without writing.
    - `watch=False`: that reading task without a heartbeat. Without either,
      a vanished client is noticed by the writes themselves (the second
      write after it left fails). A watching task costs ~0.7 KB of heap.
    - `retry=None`: reconnection delay (ms) announced to the client first.
    - `headers`: extra response headers (dict or list of pairs).
    """

    # Defaults live on the class: an instance stores only what differs,
    # which keeps a stream's object small on a board.
    heartbeat = None
    closed = False
    _opts = None              # (headers, retry, watch) until started
    _started = False
    _errno = _ECONNRESET      # why the stream closed, for later sends
    _guard = None
    _lock = None
    _last = 0
    _on_close = None          # callback, set by a Broadcaster
    _head = None              # the stream's head while it waits for the first event
    reader = None
    request = None
    last_event_id = None

    def __init__(self, reader, writer, request=None, headers=None,
                 heartbeat=None, retry=None, watch=False):
        # (only what is set is stored: a detached broadcaster stream keeps
        # its EventSource for hours)
        self.writer = writer
        if reader is not None:
            self.reader = reader
        if request is None:
            request = getattr(writer, "request", None) or getattr(reader, "request", None)
        if request is not None:
            self.request = request
            lid = last_event_id(request)
            if lid is not None:
                self.last_event_id = lid
        if heartbeat:
            self.heartbeat = heartbeat
        if headers or retry is not None or watch:
            self._opts = (headers, retry, watch)

    # `es = await EventSource(...)`: CPython awaits __await__, MicroPython
    # iterates (__iter__); both delegate to the _start() coroutine.
    def __await__(self):
        coro = self._start(True)
        aw = getattr(coro, "__await__", None)
        return (yield from (aw() if aw else coro))

    __iter__ = __await__

    async def __aenter__(self):
        if not self._started:
            await self._start(True)
        return self

    async def __aexit__(self, *exc):
        self.close()
        return False

    async def _start(self, defer=False):
        # defer: the head waits for the first event (see cancel), where
        # the server's watchdog bounds the wait; a Broadcaster's streams
        # send it at once (it writes to their sockets itself)
        if self._started:
            return self
        self._started = True
        w = self.writer
        headers, retry, watch = self._opts or (None, None, False)
        if self._opts is not None:
            self._opts = None
        head = encode_stream_head(headers)
        if retry is not None:
            head += encode_event(retry=retry)
        if getattr(self.request, "method", "GET") == "HEAD":
            defer = False
        elif defer and getattr(getattr(w, "app", None), "_watchdog", None) is not None:
            # Stored before the stream is taken over (from then on, a
            # MemoryError must find the head to put a 503 in its place),
            # with every attribute of the connection that the head's way
            # out stores: a store can grow an object's table, which a
            # full heap refuses, and the head would not leave.
            self._head = head
            w.drainer = self            # (the server's watchdog calls
            w.deadline = ticks_ms()     # drainer.cancel() once this passed)
            w.expired = False
            w.written = w.written
        else:
            defer = False
        take_over = getattr(w, "take_over", None)
        if take_over is not None:
            try:
                take_over(self)     # the server calls _ended() after the handler
            except BaseException:   # (no room: the server answers 503 itself)
                if defer:
                    self._head = w.drainer = w.deadline = None
                raise
        if not defer:
            await self._send(head)
            if getattr(self.request, "method", "GET") == "HEAD":
                self._fail(None)
                return self
        try:
            if defer and self.heartbeat:
                self._last = w.deadline     # (the first comment is due from now)
            if self.heartbeat or watch:
                import asyncio
                if self.heartbeat:
                    self._lock = asyncio.Lock()
                self._guard = asyncio.create_task(self._run_guard())
        except MemoryError:
            self._refuse()
            raise
        return self

    def cancel(self):
        """(Internal: not the stream's end, see close.) The head, if it
        has not left yet, leaves now. Called by the server's watchdog at
        the head's deadline, by close() and when the handler ends.

        The head waits for the first event because everything a stream
        allocates before its first event (the handler's own objects, the
        event, the drain) can meet a full heap on a small board: while
        nothing has left, that is answered with a whole 503 (see _refuse)
        instead of a 200 and an empty stream."""
        try:
            self._release(None)
        except Exception as e:      # (from the watchdog: must not raise)
            self._fail(e)

    _going_away = cancel        # the server stops: the head, then the close

    def _refuse(self):
        # A MemoryError before the head left: the stream is refused with a
        # whole 503 + Retry-After in its place (a constant, nothing to
        # allocate), as a stream the server has no room for is.
        try:
            if not self._release(BUSY):
                return
        except Exception:
            pass
        self._fail(None)

    def _release(self, data):
        # The held head leaves (data None), or `data` in its place; False
        # when it had left already.
        head = self._head
        if head is None:
            return False
        self._head = None
        w = self.writer
        if w.drainer is self:
            w.drainer = w.deadline = None
            w.expired = False
        w.write(head if data is None else data)
        return True

    def _ended(self, exc):
        # The server, after the handler returned (exc None) or raised: a
        # head still waiting leaves now (a stream that ends without an
        # event is a 200 and a close, as a client that reconnects expects),
        # or, after a MemoryError, a 503 instead. A plain function: the
        # awaitable it returns allocates nothing on MicroPython.
        if isinstance(exc, MemoryError):
            self._refuse()
        else:
            self.cancel()
        import asyncio
        return asyncio.sleep(0)

    async def send(self, data=None, event=None, id=None, retry=None):
        """Send one event. Raises SSEError (a ValueError) for a field that
        cannot be encoded, OSError when the client is gone or too slow."""
        if self._head is not None:
            # the first event: with the head, or a 503 in its place
            try:
                await self._send(encode_event(data, event, id, retry))
            except MemoryError:
                self._refuse()
                raise
            return
        data = encode_event(data, event, id, retry)
        if self._lock is not None or self.closed:
            await self._send(data)     # a heartbeat may be sending; or raise
            return
        # (_send's write and _flush's drain, inline: one coroutine per
        # event, which is what a handler's loop of sends pays for; the
        # server's Stream.write says True when that drain has nothing to do)
        try:
            if self.writer.write(data) is not True:
                await self.writer.drain()
        except BaseException as e:   # OSError, or cancelled by the server
            self._fail(e)
            raise

    async def comment(self, text=""):
        """Send a comment line (clients ignore it)."""
        try:
            await self._send(encode_comment(text))
        except MemoryError:
            self._refuse()
            raise

    async def _send(self, data):
        lock = self._lock
        if lock is not None:
            await lock.acquire()
        try:
            if self.closed:
                raise _closed_error(self._errno)
            w = self.writer
            # (the drain made before anything is written: a full heap then
            # fails while the head, if it waits, can still become a 503.
            # Here, not in a helper: a function with a handler gets its
            # frame from the heap on MicroPython, see
            # Broadcaster._write_now; a coroutine's lives in its generator
            # object anyway)
            d = w.drain()
            try:
                if self._head is not None:
                    self.cancel()
                    if self.closed:
                        raise _closed_error(self._errno)
                w.write(data)
            except BaseException as e:
                d.close()
                self._fail(e)
                raise
            try:
                await d
            except BaseException as e:   # OSError, or cancelled by the server
                self._fail(e)
                raise
            if self.heartbeat:
                self._last = ticks_ms()
        finally:
            if lock is not None:
                lock.release()

    async def _flush(self):
        if self.closed:
            raise _closed_error(self._errno)
        try:
            await self.writer.drain()
        except BaseException as e:   # OSError, or cancelled by the server
            self._fail(e)
            raise
        if self.heartbeat:
            self._last = ticks_ms()

    def _fail(self, exc):
        if self.closed:
            return
        self.closed = True
        errno = getattr(exc, "errno", None)
        if isinstance(exc, OSError) and errno:
            self._errno = errno
        guard = self._guard
        self._guard = None
        if guard is not None:
            try:
                guard.cancel()
            except Exception:
                pass
        cb = self._on_close
        if cb is not None:
            cb()

    def close(self):
        """End the stream: the next send raises, the server closes the
        connection when the handler returns."""
        self.cancel()
        self._fail(None)
        try:
            self.writer.close()
        except Exception:
            pass

    async def _run_guard(self):
        # Reads (and discards) whatever the client sends: EOF or an error
        # means it is gone. With a heartbeat the read is bounded by the
        # time left until the next comment is due; the comment is skipped
        # while a send is in progress (bytes are flowing anyway) and goes
        # through the same lock, so two drains never overlap.
        import asyncio
        hb = self.heartbeat
        reader = self.reader
        try:
            while not self.closed:
                if not hb:
                    data = await reader.read(_READ_CHUNK)
                else:
                    wait = hb - ticks_diff(ticks_ms(), self._last) / 1000
                    if wait <= 0:
                        if not self._lock.locked():
                            await self._send(_HEARTBEAT)
                        wait = hb
                    try:
                        data = await asyncio.wait_for(reader.read(_READ_CHUNK), wait)
                    except asyncio.TimeoutError:
                        continue
                if not data:
                    break
        except asyncio.CancelledError:
            return
        except Exception as e:
            self._guard = None
            self._fail(e)
            return
        self._guard = None
        self._fail(None)
