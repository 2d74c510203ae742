"""The asyncio driver: accept connections, run the keep-alive loop, move
bytes between sockets and the sans-IO core.

It decides nothing about HTTP itself (that is _http, _route, _response,
_app); it reads, writes and waits. asyncio is imported when the server
starts, not when ahttp is imported. Timeouts cost no task per read: one
watchdog task cancels connections whose deadline has passed.
"""
import sys

from ._http import HTTPError, find_head_end, parse_head, body_framing, ChunkedDecoder
from ._app import AppCore
from ._response import CLOSE, encode_value
from ._compat import ticks_ms, ticks_diff, ticks_add, const, MICROPYTHON
from .request import Request
from .response import HTTPResponse, sendfile

asyncio = None

_LINGER_MS = const(500)
_LINGER_BYTES = const(65536)
_DRAIN_MAX = const(65536)     # unread body bytes we read and drop to keep a connection
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
_BUSY = (b"HTTP/1.1 503 Service Unavailable\r\nServer: ahttp\r\n"
         b"Content-Type: text/plain\r\nContent-Length: 20\r\nRetry-After: 1\r\n"
         b"Connection: close\r\n\r\n503 server is busy\r\n")


def _import_asyncio():
    global asyncio
    if asyncio is None:
        import asyncio as a
        asyncio = a
    return asyncio


class Conn:
    """Per-connection state the watchdog looks at."""

    def __init__(self, task):
        self.task = task
        self.deadline = None     # ticks_ms after which the task is cancelled
        self.expired = False


class Reader:
    """The stream a handler reads from: serves the bytes the server already
    buffered (the head was read in bulk) before reading the socket."""

    def __init__(self, stream, conn, app):
        self._s = stream
        self.conn = conn
        self.app = app
        self._buf = b""
        self._pos = 0
        self.request = None
        self.eof = False
        # body state of the current request
        self._left = 0           # Content-Length bytes not yet consumed
        self._chunked = None     # ChunkedDecoder
        self._continue = None    # writer to send 100 Continue through
        self.clean = True        # False when the body framing is unknown

    async def _fill(self, n=None):
        """Read more from the socket into the buffer; False at EOF."""
        data = await self._s.read(n or self.app.limits.read_size)
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
        conn = self.conn
        buf = self._buf
        if self._pos:
            buf = self._buf = buf[self._pos:]
            self._pos = 0
        idle = True
        conn.deadline = ticks_add(ticks_ms(), int(limits.idle_timeout * 1000))
        while True:
            if buf:
                if idle:
                    idle = False
                    conn.deadline = ticks_add(ticks_ms(), int(limits.head_timeout * 1000))
                while buf[:2] == b"\r\n":     # RFC 9112 2.2: ignore leading CRLFs
                    buf = self._buf = buf[2:]
                end = buf.find(b"\r\n\r\n") + 4
                if end == 3 or end > limits.max_head:
                    end = find_head_end(buf, limits)
                if end >= 0:
                    conn.deadline = None
                    if end == len(buf):
                        self._buf = b""
                        return parse_head(buf, limits)
                    self._pos = end
                    return parse_head(buf[:end], limits)
            # inline _fill: one coroutine layer less per request
            data = await self._s.read(limits.read_size)
            if not data:
                self.eof = True
                conn.deadline = None
                if buf:
                    raise HTTPError(400, "incomplete request head")
                return None
            buf = self._buf = buf + data if buf else data

    def pending(self):
        """Whether anything of the current request body is left unread."""
        return self._left or self._chunked is not None or not self.clean \
            or self._continue is not None

    def begin_body(self, request, framing, writer):
        if framing == 0:
            self._left = 0
            self._chunked = self._continue = None
            self.clean = True
            return
        self._left = framing if framing > 0 else 0
        self._chunked = ChunkedDecoder(self.app.limits.max_body) if framing < 0 else None
        exp = request.headers.get("expect")
        if exp is not None and exp.lower() == "100-continue" and framing != 0 \
                and request.version == "1.1":
            self._continue = writer
        else:
            self._continue = None
        self.clean = True

    async def _send_continue(self):
        w = self._continue
        if w is not None:
            self._continue = None
            if w.written == 0:
                w._s.write(_CONTINUE)
                await w.drain()

    async def read_body(self, limit=None):
        """The rest of the request body (bounded by max_body)."""
        await self._send_continue()
        parts = []
        while True:
            piece = await self.read_body_chunk()
            if not piece:
                break
            parts.append(piece)
        return b"".join(parts)

    async def read_body_chunk(self):
        """The next piece of the request body, b"" at its end."""
        if self._chunked is not None:
            dec = self._chunked
            while not dec.done:
                if self._pos >= len(self._buf):
                    await self._send_continue()
                    if not await self._fill():
                        raise HTTPError(400, "incomplete chunked body")
                data = self._take(len(self._buf) - self._pos)
                pieces = dec.feed(data)
                if dec.done:
                    self._buf = dec.rest
                    self._pos = 0
                if pieces:
                    return b"".join(pieces) if len(pieces) > 1 else pieces[0]
            return b""
        if self._left <= 0:
            return b""
        if self._pos >= len(self._buf):
            await self._send_continue()
            if not await self._fill(min(self._left, 4096)):
                raise HTTPError(400, "incomplete request body")
        out = self._take(self._left)
        self._left -= len(out)
        return out

    async def finish_body(self):
        """Consume what the handler left of the body so the next request
        starts at the right byte; False when the connection must close."""
        if not self.clean:
            return False
        if self._continue is not None:
            # 100 Continue never sent: the client may or may not send the
            # body, so this connection cannot be reused safely.
            return False
        total = 0
        while True:
            try:
                piece = await self.read_body_chunk()
            except HTTPError:
                return False
            if not piece:
                self._left = 0
                self._chunked = None
                return True
            total += len(piece)
            if total > _DRAIN_MAX:
                return False

    # -- stream API for handlers (raw bytes after the head) -------------

    def _raw(self, n):
        if self._chunked is not None:
            self.clean = False
        elif self._left:
            self._left = self._left - n if self._left > n else 0

    async def read(self, n=-1):
        if self._pos >= len(self._buf):
            if n == 0 or not await self._fill(n if n > 0 else None):
                return b""
        out = self._take(len(self._buf) if n < 0 else n)
        self._raw(len(out))
        return out

    async def readexactly(self, n):
        parts = []
        left = n
        while left > 0:
            if self._pos >= len(self._buf) and not await self._fill(max(left, 256)):
                raise EOFError("connection closed after %d of %d bytes" % (n - left, n))
            b = self._take(left)
            parts.append(b)
            left -= len(b)
        self._raw(n)
        out = parts[0] if len(parts) == 1 else b"".join(parts)
        return out

    async def readline(self):
        maxlen = self.app.limits.max_header_line
        while True:
            i = self._buf.find(b"\n", self._pos)
            if i >= 0:
                out = self._take(i + 1 - self._pos)
                self._raw(len(out))
                return out
            if len(self._buf) - self._pos > maxlen:
                raise ValueError("line longer than %d bytes" % maxlen)
            if not await self._fill():
                out = self._take(len(self._buf))
                self._raw(len(out))
                return out

    async def readinto(self, buf):
        data = await self.read(len(buf))
        buf[:len(data)] = data
        return len(data)


class Writer:
    """The stream a handler writes to. Every drain is bounded by the
    server's send_timeout; HEAD requests drop body bytes."""

    def __init__(self, stream, conn, app):
        self._s = stream
        self.conn = conn
        self.app = app
        self.request = None
        self.written = 0
        self.discard = False
        self.status = 0
        self.response = None
        self.taken = False
        self.closed = False

    def reset(self, request):
        self.request = request
        self.written = 0
        self.discard = False
        self.status = 0
        self.response = None

    def started(self, response):
        self.response = response
        self.status = response.status

    def finished(self, response):
        pass

    def take_over(self):
        """The handler owns the connection from now on (SSE, WebSocket)."""
        self.taken = True

    def write(self, data):
        if self.discard or not data:
            return
        self.written += len(data)
        self._s.write(data)

    async def drain(self):
        conn = self.conn
        conn.deadline = ticks_add(ticks_ms(), int(self.app.limits.send_timeout * 1000))
        try:
            await self._s.drain()
        except asyncio.CancelledError:
            if conn.expired:
                conn.expired = False
                _uncancel()
                raise OSError(110, "send timed out: client is not reading")
            raise
        finally:
            conn.deadline = None

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
        return self._s.get_extra_info(name) if hasattr(self._s, "get_extra_info") else default


def _uncancel():
    t = asyncio.current_task()
    if hasattr(t, "uncancel"):
        t.uncancel()


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
        self._server = await a.start_server(self._serve, host, port,
                                            backlog=self.backlog, ssl=ssl)
        self._watchdog = a.create_task(self._watch())
        return self._server

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

    async def stop(self):
        """Stop accepting, close open connections, end run()."""
        if self._server is not None:
            self._server.close()
            try:
                await self._server.wait_closed()
            except Exception:
                pass
            self._server = None
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        for conn in list(self._conns):
            conn.task.cancel()
        for _ in range(50):
            if not self._conns:
                break
            await asyncio.sleep(0.02)
        if self._stopped is not None:
            self._stopped.set()

    async def _watch(self):
        conns = self._conns
        while True:
            await asyncio.sleep(0.25)
            if not conns:
                continue
            now = ticks_ms()
            for conn in list(conns):
                d = conn.deadline
                if d is not None and ticks_diff(now, d) >= 0:
                    conn.deadline = None
                    conn.expired = True
                    conn.task.cancel()

    # -- one connection ---------------------------------------------------

    async def _serve(self, rstream, wstream):
        conn = Conn(asyncio.current_task())
        if len(self._conns) >= self.limits.max_connections:
            await self._busy(rstream, wstream, conn)
            return
        self._conns[conn] = True
        reader = Reader(rstream, conn, self)
        writer = Writer(wstream, conn, self)
        linger = False
        try:
            linger = await self._loop(reader, writer)
        except asyncio.CancelledError:
            pass   # timed out by the watchdog, or the server is stopping
        except Exception as e:   # client gone (OSError) or a bug: keep serving
            if not isinstance(e, OSError):
                self.log_exception(e)
        finally:
            conn.deadline = None
            try:
                if linger:
                    await self._linger(reader, conn)
            except BaseException:
                pass
            try:
                wstream.close()
                await wstream.wait_closed()
            except BaseException:
                pass
            self._conns.pop(conn, None)

    async def _busy(self, rstream, wstream, conn):
        try:
            conn.deadline = ticks_add(ticks_ms(), _LINGER_MS)
            wstream.write(_BUSY)
            await wstream.drain()
        except BaseException:
            pass
        try:
            wstream.close()
            await wstream.wait_closed()
        except BaseException:
            pass

    async def _linger(self, reader, conn):
        # Read and drop what the client is still sending, briefly, so the
        # kernel does not answer it with an RST that destroys our response.
        self._conns[conn] = True
        conn.deadline = ticks_add(ticks_ms(), _LINGER_MS)
        total = 0
        while total < _LINGER_BYTES:
            data = await reader._s.read(1024)
            if not data:
                break
            total += len(data)

    async def _loop(self, reader, writer):
        """Serve requests on one connection; returns True when the caller
        should close with a lingering read (unread input may remain).

        The common case (a handler returning a plain value, no body) runs
        inline here: every extra coroutine layer costs a few microseconds
        per request on a board.
        """
        client = writer.get_extra_info("peername")
        limits = self.limits
        match = self.match
        conn = writer.conn
        wstream = writer._s
        send_ms = int(limits.send_timeout * 1000)
        while True:
            try:
                head = await reader.read_head()
            except HTTPError as e:
                await self._send_error(writer, None, e.status, e.message, e.headers)
                return True
            if head is None:
                return False
            method, target, version, headers = head
            request = None
            try:
                request = Request(self, method, target, version, headers, client, reader)
                if "content-length" in headers or "transfer-encoding" in headers:
                    framing = body_framing(headers, limits.max_body)
                else:
                    framing = 0
            except HTTPError as e:
                await self._send_error(writer, request, e.status, e.message, e.headers)
                return True
            reader.request = request
            if framing:
                reader.begin_body(request, framing, writer)
            if writer.written:
                writer.reset(request)
            else:
                writer.request = request
            handler = result = exc = params = None
            try:
                handler, params = match(request)
                if handler is not None:
                    request.params = params
                    result = await handler(reader, writer, request)
            except Exception as e:
                exc = e
            if exc is None and result is not None and not writer.written:
                enc = encode_value(result, request, method == "HEAD")
                if enc is not None:
                    writer.write(enc[0])
                    writer.status = 200
                    conn.deadline = ticks_add(ticks_ms(), send_ms)
                    await wstream.drain()
                    conn.deadline = None
                    if self.access_log is not None:
                        self._access(request, writer)
                    if not enc[1]:
                        return False
                    if reader.pending() and not await reader.finish_body():
                        return True
                    continue
            keep = await self._complete(reader, writer, request, handler, params,
                                        result, exc)
            if not keep or writer.taken or writer.closed:
                return not writer.taken and not writer.closed
            if reader.pending() and not await reader.finish_body():
                return True

    async def _complete(self, reader, writer, request, handler, params, result, exc):
        """Answer for a request whose handler raised, wrote its own
        response, returned an HTTPResponse, or was an automatic OPTIONS.
        Returns whether the connection can serve another request."""
        if exc is not None:
            if isinstance(exc, HTTPError):
                if writer.written:
                    return False
                resp = self.error_response(exc.status, exc.message, exc.headers,
                                           exc, request)
                return await self._respond(writer, request, resp)
            self.log_exception(exc)
            if writer.written or writer.taken:
                return False
            resp = self.error_response(500, "Internal Server Error", None, exc, request)
            resp.close = True
            return await self._respond(writer, request, resp)
        if handler is None:
            result = HTTPResponse(204, None, headers=[("Allow", params)])
        if writer.taken:
            return False
        if result is None:
            if writer.written:
                r = writer.response
                self._access(request, writer)
                return r is not None and r.keep and r.framing != CLOSE
            result = HTTPResponse(204, None)
        elif writer.written:
            self.log("handler both wrote a response and returned a value: "
                     + request.target)
            return False
        if not isinstance(result, HTTPResponse):
            try:
                result = self.render(result)
            except Exception as e:
                self.log_exception(e)
                result = self.error_response(500, "Internal Server Error", None, e, request)
        return await self._respond(writer, request, result)

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
