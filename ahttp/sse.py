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
from ahttp._compat import ticks_ms, ticks_diff, const
from ahttp._sse import (SSEError, encode_event, encode_comment, encode_stream_head,
                        last_event_id)

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
    import ahttp.broadcast
    v = getattr(ahttp.broadcast if name == "Broadcaster" else ahttp._broadcast, name)
    globals()[name] = v
    return v


def _closed_error(errno=_ECONNRESET):
    # A fresh exception each time: re-raising one instance would keep
    # growing its traceback on CPython.
    return OSError(errno, "event stream closed")


class EventSource:
    """One event stream on a dedicated connection.

    `await EventSource(reader, writer)` takes the connection over from the
    server, writes the head (200, `text/event-stream`, `no-cache`,
    close-delimited) and returns the EventSource.

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
        coro = self._start()
        aw = getattr(coro, "__await__", None)
        return (yield from (aw() if aw else coro))

    __iter__ = __await__

    async def __aenter__(self):
        if not self._started:
            await self._start()
        return self

    async def __aexit__(self, *exc):
        self.close()
        return False

    async def _start(self):
        if self._started:
            return self
        self._started = True
        take_over = getattr(self.writer, "take_over", None)
        if take_over is not None:
            take_over()
        headers, retry, watch = self._opts or (None, None, False)
        if self._opts is not None:
            self._opts = None
        head = encode_stream_head(headers)
        if retry is not None:
            head += encode_event(retry=retry)
        await self._send(head)
        if getattr(self.request, "method", "GET") == "HEAD":
            self._fail(None)
            return self
        if self.heartbeat or watch:
            import asyncio
            if self.heartbeat:
                self._lock = asyncio.Lock()
            self._guard = asyncio.create_task(self._run_guard())
        return self

    async def send(self, data=None, event=None, id=None, retry=None):
        """Send one event. Raises SSEError (a ValueError) for a field that
        cannot be encoded, OSError when the client is gone or too slow."""
        data = encode_event(data, event, id, retry)
        if self._lock is not None or self.closed:
            await self._send(data)     # a heartbeat may be sending; or raise
            return
        # (_send's write and _flush's drain, inline: one coroutine per
        # event, which is what a handler's loop of sends pays for)
        try:
            self.writer.write(data)
            await self.writer.drain()
        except BaseException as e:   # OSError, or cancelled by the server
            self._fail(e)
            raise

    async def comment(self, text=""):
        """Send a comment line (clients ignore it)."""
        await self._send(encode_comment(text))

    async def _send(self, data):
        lock = self._lock
        if lock is not None:
            await lock.acquire()
        try:
            if self.closed:
                raise _closed_error(self._errno)
            # (here, not in a helper: a function with a handler gets its
            # frame from the heap on MicroPython, see Broadcaster._write_now;
            # a coroutine's lives in its generator object anyway)
            try:
                self.writer.write(data)
            except Exception as e:
                self._fail(e)
                raise
            await self._flush()
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
