"""The asyncio driver: accept connections, run the keep-alive loop, move
bytes between sockets and the sans-IO core.

It decides nothing about HTTP itself (that is _http, _route, _response,
_app); it reads, writes and waits. asyncio is imported when the server
starts, not when ahttp is imported. Timeouts cost no task per read: one
watchdog task cancels connections whose deadline has passed.
"""
from ._http import HTTPError, find_head_end, parse_head, body_framing
from ._app import AppCore
from ._response import CLOSE, encode_value
from ._compat import ticks_ms, ticks_diff, ticks_add, const, MICROPYTHON, peer
from .request import Request
from .response import HTTPResponse, sendfile

asyncio = None

_LINGER_MS = const(500)
_LINGER_BYTES = const(65536)
_BUSY = (b"HTTP/1.1 503 Service Unavailable\r\nServer: ahttp\r\n"
         b"Content-Type: text/plain\r\nContent-Length: 20\r\nRetry-After: 1\r\n"
         b"Connection: close\r\n\r\n503 server is busy\r\n")


def _import_asyncio():
    global asyncio
    if asyncio is None:
        import asyncio as a
        asyncio = a
    return asyncio


class Stream:
    """One client connection: the `reader` and the `writer` a handler gets
    are this same object (as in MicroPython's asyncio), which keeps a
    connection to one small object on a board.

    Reading serves the bytes already buffered (the head is read in bulk)
    before the socket. Every drain is bounded by the server's send_timeout;
    after an HTTPResponse head for a HEAD request, body bytes are dropped.
    The watchdog cancels `task` (or the task in drain) once `deadline`
    (ticks_ms) has passed.
    """
    # Per-request state lives on the class until a request sets it: an
    # idle connection stores only what __init__ sets.
    deadline = None
    expired = False
    drainer = None
    request = None
    written = 0
    discard = False
    status = 0
    response = None
    taken = False
    closed = False
    eof = False
    idle = True          # waiting for a request (stop() may close it)
    body = None          # _body.Body while a request body is unread

    def __init__(self, r, s, app, task):
        self._r = r          # asyncio reader (the same object as _s on MicroPython)
        self._s = s
        self.app = app
        self.task = task
        self._buf = b""
        self._pos = 0

    # -- reading ----------------------------------------------------------

    async def _fill(self, n=0):
        """Read more from the socket into the buffer; False at EOF."""
        data = await self._r.read(n or self.app.limits.read_size)
        if not data:
            self.eof = True
            return False
        if self._pos < len(self._buf):
            self._buf = self._buf[self._pos:] + data
        else:
            self._buf = data
        self._pos = 0
        return True

    def _take(self, n):
        b = self._buf
        p = self._pos
        if p == 0 and n >= len(b):
            self._buf = b""
            return b
        out = b[p:p + n]
        self._pos = p + len(out)
        return out

    async def read_head(self):
        """The next request head as (method, target, version, headers), or
        None when the client closed the connection between requests."""
        limits = self.app.limits
        buf = self._buf
        if self._pos:
            buf = self._buf = buf[self._pos:]
            self._pos = 0
        idle = self.idle = True
        self.deadline = ticks_add(ticks_ms(), int(limits.idle_timeout * 1000))
        while True:
            if buf:
                if idle:
                    idle = self.idle = False
                    self.deadline = ticks_add(ticks_ms(), int(limits.head_timeout * 1000))
                while buf[:2] == b"\r\n":     # RFC 9112 2.2: ignore leading CRLFs
                    buf = self._buf = buf[2:]
                end = buf.find(b"\r\n\r\n") + 4
                if end == 3 or end > limits.max_head:
                    end = find_head_end(buf, limits)
                if end >= 0:
                    self.deadline = None
                    if end == len(buf):
                        self._buf = b""
                        return parse_head(buf, limits)
                    self._pos = end
                    return parse_head(buf[:end], limits)
            data = await self._r.read(limits.read_size)
            if not data:
                self.eof = True
                self.deadline = None
                if buf:
                    raise HTTPError(400, "incomplete request head")
                return None
            buf = self._buf = buf + data if buf else data

    def _raw(self, n):
        # A handler read raw bytes: account for them against the body.
        if self.body is not None:
            self.body.raw(n)

    async def read(self, n=-1):
        """Up to n bytes (n < 0: what is buffered or the next read); b"" at
        EOF."""
        if self._pos >= len(self._buf):
            if n == 0 or not await self._fill(n if n > 0 else 0):
                return b""
        out = self._take(len(self._buf) if n < 0 else n)
        self._raw(len(out))
        return out

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

    # -- writing ----------------------------------------------------------

    def started(self, response):
        self.response = response
        self.status = response.status

    def take_over(self):
        """The handler owns the connection from now on (SSE, WebSocket):
        no keep-alive, nothing appended, closed when the handler returns."""
        self.taken = True

    def write(self, data):
        if self.discard or not data:
            return
        self.written += len(data)
        self._s.write(data)

    async def drain(self):
        t = asyncio.current_task()
        self.drainer = t if t is not self.task else None
        self.deadline = ticks_add(ticks_ms(), int(self.app.limits.send_timeout * 1000))
        try:
            await self._s.drain()
        except asyncio.CancelledError:
            if self.expired:
                self.expired = False
                if hasattr(t, "uncancel"):
                    t.uncancel()
                raise OSError(110, "send timed out: client is not reading")
            raise
        finally:
            self.deadline = None
            self.drainer = None

    async def awrite(self, data):
        self.write(data)
        await self.drain()

    def close(self):
        self.closed = True
        self._s.close()

    async def wait_closed(self):
        try:
            await self._s.wait_closed()
        except Exception:
            pass

    def get_extra_info(self, name, default=None):
        try:
            return self._s.get_extra_info(name)
        except Exception:
            return default


class HTTPServer(AppCore):
    """The async server. Keyword options: the limits in _http.Limits
    (max_request_line, max_header_line, max_headers, max_head, max_body,
    head_timeout, idle_timeout, send_timeout, max_connections, read_size),
    debug, log, access_log, backlog, send_chunk."""

    Response = HTTPResponse

    def __init__(self, **options):
        AppCore.__init__(self, **options)
        self._server = None
        self._conns = {}
        self._watchdog = None
        self._stopped = None
        self._stopping = False

    def _static_handler(self, prefix, opts):
        async def static(reader, writer, request):
            status, headers, path, offset, length = self.static_plan(request, prefix, opts)
            resp = HTTPResponse(status, None, headers=headers,
                                content_length=length if path is not None else None,
                                body=None if path is not None else b"")
            await resp.send(writer)
            if path is not None and length:
                await sendfile(writer, path, offset, length, self.send_chunk)
        return static

    # -- running ---------------------------------------------------------

    async def start(self, host="0.0.0.0", port=80, ssl=None):
        """Start listening and return; the server runs in background tasks."""
        a = _import_asyncio()
        self._stopped = a.Event()
        srv = None
        if MICROPYTHON:
            try:
                from asyncio.stream import Server as srv
            except ImportError:
                pass
        if srv is not None and hasattr(srv, "_serve"):
            self._server = await self._mp_listen(a, srv(), host, port, ssl)
        else:
            self._server = await a.start_server(self._serve, host, port,
                                                backlog=self.backlog, ssl=ssl)
        self._watchdog = a.create_task(self._watch())
        return self._server

    async def _mp_listen(self, a, srv, host, port, ssl):
        # MicroPython's start_server ends its accept task for good when an
        # allocation fails in it, leaving a bound port that never accepts
        # again. Same socket setup, but the accept loop is re-entered after
        # a MemoryError.
        import socket
        ai = socket.getaddrinfo(host, port)[0]
        s = socket.socket()
        s.setblocking(False)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(ai[-1])
        s.listen(self.backlog)

        async def accept():
            while True:
                try:
                    await srv._serve(s, self._serve, ssl)
                    return
                except MemoryError:
                    import gc
                    gc.collect()
                    await a.sleep_ms(20)
        srv.task = a.create_task(accept())
        await a.sleep_ms(0)
        return srv

    def run(self, host="0.0.0.0", port=80, ssl=None):
        """Serve until stopped (blocks)."""
        a = _import_asyncio()

        async def main():
            await self.start(host, port, ssl)
            await self._stopped.wait()
        try:
            a.run(main())
        except KeyboardInterrupt:
            pass

    def run_in_thread(self, host="0.0.0.0", port=80, ssl=None, stack_size=None):
        """Serve from a background _thread so the REPL stays free."""
        import _thread
        if stack_size:
            _thread.stack_size(stack_size)
        _thread.start_new_thread(self.run, (host, port, ssl))

    async def stop(self, grace=5.0):
        """Stop accepting and end run(). Requests in progress may finish
        (for up to `grace` seconds); idle keep-alive connections and
        taken-over streams (SSE, WebSocket) are closed at once."""
        self._stopping = True
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
                    st.idle = st.taken = False
                    st.task.cancel()
            await asyncio.sleep(0.02)
        for st in list(self._conns):
            st.task.cancel()
        for _ in range(50):
            if not self._conns:
                break
            await asyncio.sleep(0.02)
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        if self._stopped is not None:
            self._stopped.set()

    async def _watch(self):
        conns = self._conns
        while True:
            await asyncio.sleep(0.25)
            if not conns:
                continue
            try:
                now = ticks_ms()
                for st in list(conns):
                    d = st.deadline
                    if d is not None and ticks_diff(now, d) >= 0:
                        st.deadline = None
                        st.expired = True
                        (st.drainer or st.task).cancel()
            except MemoryError:
                pass   # next round; the watchdog must outlive a full heap

    # -- one connection ---------------------------------------------------

    async def _serve(self, rstream, wstream):
        if MICROPYTHON:
            try:   # IPPROTO_TCP, TCP_NODELAY: a response in several writes
                wstream.s.setsockopt(6, 1, 1)   # must not wait for delayed ACKs
            except Exception:
                pass
        st = Stream(rstream, wstream, self, asyncio.current_task())
        if len(self._conns) >= self.limits.max_connections:
            await self._busy(st)
            return
        self._conns[st] = True
        linger = False
        try:
            linger = await self._loop(st)
        except asyncio.CancelledError:
            pass   # timed out by the watchdog, or the server is stopping
        except Exception as e:   # client gone (OSError) or a bug: keep serving
            if not isinstance(e, OSError):
                self.log_exception(e)
        finally:
            st.deadline = None
            try:
                if linger:
                    await self._linger(st)
            except BaseException:
                pass
            try:
                wstream.close()
                await wstream.wait_closed()
            except BaseException:
                pass
            self._conns.pop(st, None)

    async def _busy(self, st):
        self._conns[st] = True   # so the watchdog bounds the write
        st.deadline = ticks_add(ticks_ms(), _LINGER_MS)
        try:
            st._s.write(_BUSY)
            await st._s.drain()
        except BaseException:
            pass
        self._conns.pop(st, None)
        try:
            st._s.close()
            await st._s.wait_closed()
        except BaseException:
            pass

    async def _linger(self, st):
        # Read and drop what the client is still sending, briefly, so the
        # kernel does not answer it with an RST that destroys our response.
        st.deadline = ticks_add(ticks_ms(), _LINGER_MS)
        total = 0
        while total < _LINGER_BYTES:
            data = await st._r.read(1024)
            if not data:
                break
            total += len(data)

    async def _loop(self, st):
        """Serve requests on one connection; returns True when the caller
        should close with a lingering read (unread input may remain).

        The common case (a handler returning a plain value, no body) runs
        inline here: every extra coroutine layer costs a few microseconds
        per request on a board.
        """
        client = peer(st.get_extra_info("peername"))
        limits = self.limits
        match = self.match
        wstream = st._s
        send_ms = int(limits.send_timeout * 1000)
        while not self._stopping:
            try:
                head = await st.read_head()
            except HTTPError as e:
                await self._send_error(st, None, e.status, e.message, e.headers)
                return True
            if head is None:
                return False
            method, target, version, headers = head
            request = None
            try:
                request = Request(self, method, target, version, headers, client, st)
                if "content-length" in headers or "transfer-encoding" in headers:
                    framing = body_framing(headers, limits.max_body)
                else:
                    framing = 0
            except HTTPError as e:
                await self._send_error(st, request, e.status, e.message, e.headers)
                return True
            st.request = request
            if framing:
                from ._body import Body
                st.body = Body(st, request, framing)
            if st.written:
                st.written = st.status = 0
                st.discard = False
                st.response = None
            handler = result = exc = params = None
            try:
                handler, params = match(request)
                if handler is not None:
                    request.params = params
                    result = await handler(st, st, request)
            except Exception as e:
                exc = e
            if exc is None and result is not None and not st.written:
                enc = encode_value(result, request, method == "HEAD")
                if enc is not None:
                    st.write(enc[0])
                    st.status = 200
                    st.deadline = ticks_add(ticks_ms(), send_ms)
                    await wstream.drain()
                    st.deadline = None
                    if self.access_log is not None:
                        self._access(request, st)
                    if not enc[1]:
                        return False
                    if st.body is not None and not await st.body.finish():
                        return True
                    continue
            keep = await self._complete(st, request, handler, params, result, exc)
            if not keep or st.taken or st.closed:
                return not st.taken and not st.closed
            if st.body is not None and not await st.body.finish():
                return True
        return False

    async def _complete(self, st, request, handler, params, result, exc):
        """Answer for a request whose handler raised, wrote its own
        response, returned an HTTPResponse, or was an automatic OPTIONS.
        Returns whether the connection can serve another request."""
        if exc is not None:
            if isinstance(exc, HTTPError):
                if st.written:
                    return False
                resp = self.error_response(exc.status, exc.message, exc.headers,
                                           exc, request)
                return await self._respond(st, request, resp)
            self.log_exception(exc)
            if st.written or st.taken:
                return False
            resp = self.error_response(500, "Internal Server Error", None, exc, request)
            resp.close = True
            return await self._respond(st, request, resp)
        if handler is None:
            result = HTTPResponse(204, None, headers=[("Allow", params)])
        if st.taken:
            return False
        if result is None:
            if st.written:
                r = st.response
                self._access(request, st)
                return r is not None and r.keep and r.framing != CLOSE
            result = HTTPResponse(204, None)
        elif st.written:
            self.log("handler both wrote a response and returned a value: "
                     + request.target)
            return False
        if not isinstance(result, HTTPResponse):
            try:
                result = self.render(result)
            except Exception as e:
                self.log_exception(e)
                result = self.error_response(500, "Internal Server Error", None, e, request)
        return await self._respond(st, request, result)

    async def _respond(self, writer, request, resp):
        await resp.send(writer)
        self._access(request, writer)
        return resp.keep and resp.framing != CLOSE

    def _access(self, request, writer):
        if self.access_log is not None and request is not None:
            self.log_access(request, writer.status, writer.written)

    async def _send_error(self, writer, request, status, message, headers=None):
        resp = self.error_response(status, message, headers, None, request)
        resp.close = True
        try:
            await resp.send(writer)
        except OSError:
            pass
