"""The asyncio driver's rarely used code: stopping, the background thread,
the busy and lingering closes (and every close on CPython), error answers,
and the less common stream methods.
Loaded on first use through HTTPServer.__getattr__ and Stream.__getattr__,
so a board that only serves requests never holds it.
"""
from ._compat import ticks_ms, ticks_diff, ticks_add, const
from ._http import LINGER_MS, LINGER_BYTES
from ._response import BUSY, verdict
from . import server as _srv

_LINGER = const(3)      # verdict() of _response: close after a lingering read

# -- Stream -----------------------------------------------------------------


async def readexactly(self, n):
    """Exactly n bytes; EOFError if the connection ends first."""
    parts = []
    left = n
    while left > 0:
        if self._pos >= len(self._buf) and not await self._fill(max(left, 256)):
            raise EOFError("connection closed after %d of %d bytes" % (n - left, n))
        b = self._take(left)
        parts.append(b)
        left -= len(b)
    self._raw(n)
    return parts[0] if len(parts) == 1 else b"".join(parts)


async def readline(self):
    """One line including its b"\\n" (bounded by max_header_line)."""
    maxlen = self.app.limits.max_header_line
    while True:
        i = self._buf.find(b"\n", self._pos)
        if i >= 0 or not await self._fill():
            out = self._take(i + 1 - self._pos if i >= 0 else len(self._buf))
            self._raw(len(out))
            return out
        if len(self._buf) - self._pos > maxlen:
            raise ValueError("line longer than %d bytes" % maxlen)


async def awrite(self, data):
    self.write(data)
    await self.drain()


async def wait_closed(self):
    try:
        await self._s.wait_closed()
    except Exception:
        pass


def get_extra_info(self, name, default=None):
    e = getattr(self._s, "e", None)
    if e is not None and type(e) is not dict:   # MicroPython: our accept loop
        return e if name == "peername" else default   # keeps the address alone
    try:
        return self._s.get_extra_info(name)
    except Exception:
        return default


# -- HTTPServer -------------------------------------------------------------


class Plain:
    """A plain `def` handler on the async server (AppCore.add_route wraps
    it in this): called, and what it
    returns awaited only when it is awaitable (a coroutine, on MicroPython
    a generator), as microdot does. Keeps the handler's __name__ (url_for,
    log lines)."""

    def __init__(self, handler):
        self.handler = handler
        self.__name__ = getattr(handler, "__name__", None) or repr(handler)

    async def __call__(self, reader, writer, request):
        result = self.handler(reader, writer, request)
        t = type(result)
        if t.__name__ == "generator" or hasattr(t, "__await__"):
            result = await result
        return result


def run_in_thread(self, host="0.0.0.0", port=80, ssl=None, stack_size=None):
    """Serve from a background _thread so the REPL stays free."""
    import _thread
    if stack_size:
        _thread.stack_size(stack_size)
    _thread.start_new_thread(self.run, (host, port, ssl))


def stop(self, grace=5):
    """HTTPServer.stop(): the work runs as a task, so that stop() stops
    whether or not its caller awaits it; awaiting the task waits for it.
    Without a running event loop (CPython), the coroutine itself."""
    self._stopping = True
    c = _stop(self, grace)
    try:
        return _srv.asyncio.create_task(c)
    except RuntimeError:
        return c


async def _stop(self, grace):
    # Requests in progress may finish (for up to `grace` seconds); idle
    # keep-alive connections and taken-over streams (SSE, WebSocket) are
    # closed at once, a WebSocket with a 1001 "going away" close frame.
    if self._server is not None:
        self._server.close()
        try:
            await self._server.wait_closed()
        except Exception:
            pass
        self._server = None
    t0 = ticks_ms()
    while self._conns and ticks_diff(ticks_ms(), t0) < grace * 1000:
        for st in list(self._conns):
            if st.idle or st.taken:
                t = st.taken
                st.idle = st.taken = False
                if t is not True and t:
                    t._going_away()     # a WebSocket: its close frame first
                st.task.cancel()
        await _srv.asyncio.sleep(0.02)
    for st in list(self._conns):
        st.task.cancel()
    for _ in range(50):
        if not self._conns:
            break
        await _srv.asyncio.sleep(0.02)
    if self._watchdog is not None:
        self._watchdog.cancel()
        self._watchdog = None
    if self._stopped is not None:
        self._stopped.set()


async def _busy(self, st):
    # At the connection cap: a 503, its write bounded by the watchdog;
    # _serve then closes (with a lingering read: verdict(None, False)).
    st.deadline = ticks_add(ticks_ms(), LINGER_MS)
    st._s.write(BUSY)
    await st._s.drain()


async def _linger(self, st, wstream, v):
    # The end of a connection that has to wait (see server.HTTPServer._end):
    # with v _LINGER, a lingering read (what the client still sends is read
    # and dropped, briefly, so that the kernel does not answer it with an
    # RST that destroys the response); then the close (bounded on CPython,
    # whose close waits to flush).
    asyncio = _srv.asyncio
    if v == _LINGER:
        try:
            st.deadline = ticks_add(ticks_ms(), LINGER_MS)
            total = 0
            while total < LINGER_BYTES:
                data = await st._recv(1024)
                if not data:
                    break
                total += len(data)
        except (Exception, asyncio.CancelledError):
            pass
    try:
        wstream.close()
        if getattr(wstream, "raw", None) is not None:   # TLS on
            wstream.raw.close()            # MicroPython: see _accept_loop
        if st is not None:
            st.deadline = ticks_add(ticks_ms(), self.limits.send_ms)
        await wstream.wait_closed()
    except (Exception, asyncio.CancelledError):
        # a client that reads nothing: drop what we had for it (CPython).
        # MicroPython's close is wait_closed()'s s.close(), which an
        # exception before it skips: the socket would stay open for good,
        # unread. Close it here.
        if getattr(wstream, "transport", None) is not None:
            wstream.transport.abort()
        elif getattr(wstream, "s", None) is not None:
            try:
                wstream.s.close()
            except Exception:
                pass


async def _send_error(self, writer, request, e):
    # e: the HTTPError of a request refused before its body's framing was
    # known; an error handler registered for its class or status shapes
    # the answer when the request head was read. Returns the verdict.
    resp = self.error_response(e.status, e.message, e.headers, e, request)
    resp.close = True
    try:
        await resp.send(writer)
    except OSError:
        pass
    return verdict(None, False)


_end = 1    # imported completely (see _compat.load)
