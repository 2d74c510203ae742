"""The blocking driver: the async server's names and behaviour with plain
`def` handlers and blocking sockets, for ports without asyncio (Pycom WiPy).

It only moves bytes and waits: parsing, routing, error pages, return values,
response framing, static plans, SSE and WebSocket framing are the shared
core's (_http, _app, _response, _body, _static, _sse, _ws). Never
import asyncio here, nor anything that does: on such a port this module is
the whole server.

One request is served at a time, on the thread that called start(). Idle
keep-alive connections and unfinished request heads wait in a poll set, so
a slow or silent client never holds the others; inside a request every read
is bounded by head_timeout and every write by send_timeout. Handlers marked
with `@app.thread` (long-lived: SSE, WebSocket) run in a `_thread` of their
own, at most `threads` at once; without threads such a handler holds the
server until it returns. EventSource, Broadcaster and WebSocket load on
first use (module __getattr__), so a plain HTTP app never pays for them.
"""
import socket
import select

from ._http import (HTTPError, RecvBuffer, body_framing, skip_empty_lines, LAST_CHUNK,
                    LINGER_MS, LINGER_BYTES)
from ._app import AppCore
from ._response import (BaseResponse, CHUNKED, encode_value, make_response,
                        BUSY, FAIL, verdict)
from ._compat import ticks_ms, ticks_diff, ticks_add, const, MICROPYTHON, load
from .request import Request     # (one class for both drivers: see request.py)
# builtins as module globals: MicroPython looks a builtin name up along
# its builtins table (~100 ns), a global in one step (docs/design.md)
from builtins import len

__all__ = ("HTTPServer", "HTTPResponse", "HTTPError", "Request", "sendfile",
           "redirect", "EventSource", "Broadcaster", "WebSocket",
           "ConnectionClosed")

_EINTR = const(4)
_EAGAIN = const(11)
_ETIMEDOUT = const(110)
_POLL_MS = const(250)       # how often deadlines and stop() are looked at
_MAX_BUSY = const(8)        # refused connections lingering at once, at most

# what a connection in the poll set is waiting for
_IDLE = const(0)            # a request (idle_timeout)
_HEAD = const(1)            # the rest of a request head (head_timeout)
_LINGER = const(2)          # its end, after an error answer (LINGER_MS)

# what serving one request leaves of the connection: verdict() of
# _response, or _GONE
_END = const(1)             # close
_DRAIN = const(2)           # drop the rest of the request body, then ask again
_LINGER_CLOSE = const(3)    # close after a lingering read
_GONE = const(4)            # owned by a handler thread now


def __getattr__(name):
    # SSE and WebSocket only cost heap once an app uses them.
    if name in ("EventSource", "SSEError"):
        m = load("_sync_sse")
    elif name in ("Broadcaster", "Full", "Lagged"):
        m = load("_sync_broadcast")
    elif name in ("WebSocket", "ConnectionClosed"):
        m = load("_sync_ws")
    elif name == "_lazy":       # asked below: this function is called
        return True
    else:
        raise AttributeError(name)
    v = getattr(m, name)
    globals()[name] = v
    return v


def _bind_now():
    # Without module __getattr__ (MicroPython v1.11, the base of Pycom's
    # WiPy firmware) `from ahttp.sync import EventSource` could not find
    # these names: bind them at import there (the exact classes), each one
    # whose module is installed: a board given only the HTTP modules pays
    # nothing for SSE and WebSocket (see docs/sync.md).
    import sys
    if not hasattr(sys.modules[__name__], "_lazy"):
        for name in ("EventSource", "Broadcaster", "SSEError", "Full", "Lagged",
                     "WebSocket", "ConnectionClosed"):
            try:
                __getattr__(name)
            except ImportError:
                pass


_bind_now()
del _bind_now


def _timed_out(e):
    # CPython raises socket.timeout (errno None); MicroPython EAGAIN or
    # ETIMEDOUT, depending on the call.
    n = getattr(e, "errno", None)
    if n is None and e.args and isinstance(e.args[0], int):
        n = e.args[0]
    return n is None or n == _EAGAIN or n == _ETIMEDOUT


def _interrupted(e):
    # EINTR: MicroPython v1.11's unix port does not retry a system call that
    # a signal interrupted (its threads' GC sends one); later ports and
    # CPython do
    return e.args and e.args[0] == _EINTR


_BY_ID = False
if MICROPYTHON:
    def _key(s):        # poll() hands back the registered object...
        return s
    try:
        hash(select.poll())
    except TypeError:
        # v1.11 (WiPy): native objects such as sockets are unhashable (as
        # the poll object): connections are keyed by id() there
        _key = id
        _BY_ID = True
else:
    def _key(s):        # ...or, on CPython, its file descriptor
        return s.fileno()

if MICROPYTHON:
    def _gen():
        yield
    _GEN = type(_gen)   # an async def there is a generator function: this type

    def _is_async(f):
        return type(f) is _GEN
else:
    def _is_async(f):
        # CO_GENERATOR, CO_COROUTINE, CO_ITERABLE_COROUTINE, CO_ASYNC_GENERATOR
        return getattr(getattr(f, "__code__", None), "co_flags", 0) & 0x3a0 != 0


try:
    from time import sleep_ms
except ImportError:
    import time as _time

    def sleep_ms(ms):
        _time.sleep(ms / 1000)


class HTTPResponse(BaseResponse):
    """BaseResponse with blocking send/write/end (see response.py)."""

    def send(self, writer):
        """Write the status line and headers (and the body, if any)."""
        req = getattr(writer, "request", None)
        head_only = req is not None and req.method == "HEAD"
        data = self.encode(req, head_only)
        self._writer = writer
        if hasattr(writer, "started"):
            writer.started(self)
        writer.write(data)
        if self._rest is not None:
            writer.write(self._rest)
            self._rest = None
        if head_only and hasattr(writer, "discard"):
            writer.discard = True

    def write(self, data):
        """Send part of the body (a chunk when the response is chunked)."""
        if data:
            self._writer.write(self.chunk(data))

    def end(self):
        """Finish a streamed body (the last chunk when chunked)."""
        if self.framing == CHUNKED:
            self._writer.write(LAST_CHUNK)
        if hasattr(self._writer, "finished"):
            self._writer.finished(self)


def redirect(location, status=302):
    """A redirect response (301, 302, 303, 307 or 308) to `location`."""
    return load("_response_cold").redirect(HTTPResponse, location, status)


def response(value):
    """The HTTPResponse a handler's return value stands for."""
    return make_response(HTTPResponse, value)


def sendfile(writer, path, offset=0, length=None, chunk=1024):
    """Send a file (or `length` bytes of it from `offset`) to `writer` in
    fixed-size pieces; a full read of the file is never made."""
    if getattr(writer, "discard", False):
        return
    for piece in load("_file").file_pieces(path, offset, length, memoryview(bytearray(chunk))):
        writer.write(piece)


class Connection(RecvBuffer):
    """One client connection: the `reader` and the `writer` a handler gets
    (one object, as in the async driver). Reads serve the bytes already
    buffered first; each read waits at most head_timeout, each write at most
    send_timeout (then OSError ETIMEDOUT). After an HTTPResponse head for a
    HEAD request, body bytes are dropped."""
    request = None
    written = 0
    discard = False
    status = 0
    response = None
    taken = False
    closed = False
    eof = False
    state = _IDLE
    deadline = 0
    lingered = 0
    busy = False
    _timeout = -1
    _p = None           # a poll object of its own, for readable()

    def __init__(self, sock, app, addr):
        self.s = sock
        self.app = app
        self.addr = addr        # as accept() gave it (Request.client decodes it)

    def _settimeout(self, t):
        if t != self._timeout:
            self._timeout = t
            self.s.settimeout(t)

    # -- reading ----------------------------------------------------------

    def _recv(self, n, buf=None):
        # with `buf`: the count of bytes put there (see readinto)
        t = self.app.limits.head_timeout
        if buf is not None and MICROPYTHON:
            # a blocking readinto() there reads until `buf` is full: wait
            # here, then take what has come without blocking (as recv())
            k = None
            while k is None:
                if not self.readable(int(t * 1000)):
                    raise OSError(_ETIMEDOUT, "read timed out")
                self._settimeout(0)
                k = self.s.readinto(buf)
            return k
        self._settimeout(t)
        while True:
            try:
                if buf is None:
                    return self.s.recv(n)
                return self.s.recv_into(buf)
            except OSError as e:
                if _timed_out(e):
                    raise OSError(_ETIMEDOUT, "read timed out")
                if not _interrupted(e):
                    raise

    def _fill(self, n=0):
        """Read more from the socket into the buffer; False at EOF."""
        data = self._recv(n or self.app.limits.read_size)
        if not data:
            self.eof = True
            return False
        self._append(data)
        return True

    def read(self, n=-1):
        """Up to n bytes (n < 0: what is buffered or the next read); b"" at
        EOF."""
        if self._pos >= len(self._buf):
            if n == 0 or not self._fill(n if n > 0 else 0):
                return b""
        out = self._take(len(self._buf) if n < 0 else n)
        self._raw(len(out))
        return out

    def readinto(self, buf):
        """Up to len(buf) bytes into `buf`: their count, 0 at EOF. What is
        buffered comes first; else straight from the socket, nothing
        allocated (a WebSocket's big payload arrives this way)."""
        if self._pos < len(self._buf):
            k = self._take(len(buf), buf)
        else:
            k = self._recv(len(buf), buf)
            if not k:
                self.eof = True
        self._raw(k)
        return k

    def readexactly(self, n):
        """Exactly n bytes; EOFError if the connection ends first."""
        parts = []
        left = n
        while left > 0:
            if self._pos >= len(self._buf) and not self._fill(max(left, 256)):
                raise EOFError("connection closed after %d of %d bytes" % (n - left, n))
            b = self._take(left)
            parts.append(b)
            left -= len(b)
        self._raw(n)
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def readline(self):
        """One line including its b"\\n" (bounded by max_header_line)."""
        maxlen = self.app.limits.max_header_line
        while True:
            i = self._buf.find(b"\n", self._pos)
            if i >= 0 or not self._fill():
                out = self._take(i + 1 - self._pos if i >= 0 else len(self._buf))
                self._raw(len(out))
                return out
            if len(self._buf) - self._pos > maxlen:
                raise ValueError("line longer than %d bytes" % maxlen)

    # -- writing ----------------------------------------------------------

    def write(self, data):
        """Send `data` now (blocking, at most send_timeout per send)."""
        if self.discard or not data:
            return
        self.written += len(data)
        self._send(data)

    def _send(self, data):
        self._settimeout(self.app.limits.send_timeout)
        mv = memoryview(data)
        n = len(mv)
        off = 0
        s = self.s
        while off < n:
            try:
                k = s.send(mv[off:] if off else mv)
            except OSError as e:
                if _timed_out(e):
                    raise OSError(_ETIMEDOUT, "send timed out: client is not reading")
                if not _interrupted(e):
                    raise
                k = 0
            if k is None:       # a non-blocking socket on some ports
                k = 0
            off += k

    def drain(self):
        pass        # writes are sent at once; kept for handler symmetry

    def awrite(self, data):
        self.write(data)

    def close(self):
        if not self.closed:
            self.closed = True
            try:
                self.s.close()
            except OSError:
                pass

    def wait_closed(self):
        pass    # close() is synchronous here: nothing to wait for

    def get_extra_info(self, name, default=None):
        if name == "peername":
            return self.addr
        if name == "socket":
            return self.s
        return default

    def readable(self, timeout_ms):
        """Whether bytes (or EOF) arrive within `timeout_ms` (for the SSE
        and WebSocket drivers' waits); buffered bytes count."""
        if self._pos < len(self._buf):
            return True
        p = self._p
        if p is None:
            p = self._p = select.poll()
            p.register(self.s, select.POLLIN)
        while True:
            try:
                return bool(p.poll(timeout_ms))
            except OSError as e:
                if not _interrupted(e):
                    raise


class HTTPServer(AppCore):
    """The blocking server. Handlers are plain `def handler(reader, writer,
    request)`; an `async def` one is refused when its route is added.
    Keyword options as the async HTTPServer's (the limits in
    _http.LIMITS, debug, log, access_log, backlog, send_chunk), plus
    `threads`: how many `@app.thread` handlers may run at once (0: they
    run on the main loop), and `thread_stack` (bytes, for _thread)."""

    Response = HTTPResponse
    body_module = "_sync_body"

    def __init__(self, threads=0, thread_stack=None, max_request_line=2048,
                 max_header_line=2048, max_headers=32, max_head=4096, max_body=16384,
                 head_timeout=10, idle_timeout=20, send_timeout=10,
                 max_connections=24, read_size=1024, min_free=4096, debug=False,
                 log=None, access_log=None, backlog=32, send_chunk=1024):
        AppCore.__init__(self, debug, log, access_log, backlog, send_chunk,
                         max_request_line=max_request_line, max_header_line=max_header_line,
                         max_headers=max_headers, max_head=max_head, max_body=max_body,
                         head_timeout=head_timeout, idle_timeout=idle_timeout,
                         send_timeout=send_timeout, max_connections=max_connections,
                         read_size=read_size, min_free=min_free)
        self.threads = threads
        self.thread_stack = thread_stack
        self._threaded = []
        self._owned = []        # connections handler threads own
        self._lock = None
        self._sock = None
        self._poll = None
        self._conns = {}        # poll key -> Connection waiting in the poll set
        self._stopping = False

    def add_route(self, method, path, handler, name=None, extension=False):
        # nothing here awaits: an async def handler would answer with its
        # coroutine object
        if _is_async(handler):
            raise TypeError("%s is an async def (or generator) function: ahttp.sync "
                            "calls handlers without awaiting them; write it as a plain "
                            "def" % getattr(handler, "__name__", handler))
        AppCore.add_route(self, method, path, handler, name, extension)

    def thread(self, handler):
        """Decorator: run this long-lived handler (an event stream, a
        WebSocket) in its own _thread when the port has threads and
        `threads` allows one more; at the cap a request for it gets 503.
        Stack it with @app.route in either order."""
        self._threaded.append(handler)
        return handler

    def _static_handler(self, prefix, opts, respond):
        # see the async driver's
        Response = self.Response
        chunk = self.send_chunk
        load("_file")       # (now, while the heap is in one piece)

        def static(reader, writer, request):
            resp, path, offset, length = respond(request, prefix, opts, Response)
            resp.send(writer)
            if path is not None:
                sendfile(writer, path, offset, length, chunk)
        return static

    # -- running ---------------------------------------------------------

    def start(self, host="0.0.0.0", port=80):
        """Listen and serve until stop() (blocks)."""
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(socket.getaddrinfo(host, port)[0][-1])
        s.listen(self.backlog)
        self._sock = s
        p = self._poll = select.poll()
        p.register(s, select.POLLIN)
        self._stopping = False
        listener = _key(s)
        load("_setup").serving()
        try:
            while not self._stopping:
                try:
                    self._round(p, listener)
                except MemoryError:
                    # one connection's allocation failed: keep accepting
                    import gc
                    gc.collect()
                except OSError as e:
                    if not _interrupted(e):     # (poll: again)
                        raise
        finally:
            self._shutdown()

    def run(self, host="0.0.0.0", port=80):
        """start(), ending quietly on Ctrl-C."""
        try:
            self.start(host, port)
        except KeyboardInterrupt:
            pass

    def stop(self):
        """Stop serving: start() returns after the request in progress;
        idle connections and the streams of handler threads are closed."""
        self._stopping = True

    def _shutdown(self):
        for k, c in list(self._conns.items()):
            self._drop(k, c)
        for c in list(self._owned):
            c.close()
        try:
            self._sock.close()
        except OSError:
            pass
        self._sock = None
        self._poll = None

    def _round(self, p, listener):
        conns = self._conns
        if conns:
            now = ticks_ms()
            for k, c in list(conns.items()):
                if ticks_diff(now, c.deadline) >= 0:
                    self._drop(k, c)   # timed out: closed without an answer
        for k, ev in p.poll(_POLL_MS):
            if _BY_ID:
                k = id(k)
            if k == listener:
                self._accept()
                continue
            c = conns.get(k)
            if c is not None:
                self._ready(k, c)

    def _wait(self, c, state, seconds):
        c.state = state
        c.deadline = ticks_add(ticks_ms(), int(seconds * 1000))
        k = _key(c.s)
        if k not in self._conns:
            self._conns[k] = c
            self._poll.register(c.s, select.POLLIN)

    def _forget(self, k):
        # out of the poll set without closing (a handler thread owns it now)
        c = self._conns.pop(k, None)
        if c is not None:
            self._poll.unregister(c.s)

    def _drop(self, k, c):
        c = self._conns.pop(k, c)
        try:
            self._poll.unregister(c.s)
        except Exception:
            pass
        c.close()

    def _accept(self):
        try:
            cs, addr = self._sock.accept()
        except OSError:
            return
        c = Connection(cs, self, addr)
        n = len(self._owned)
        busy = 0
        for x in self._conns.values():
            if x.busy:
                busy += 1
            else:
                n += 1
        if n >= self.limits.max_connections:
            self._busy(c, busy)
            return
        try:
            cs.setsockopt(6, 1, 1)   # IPPROTO_TCP, TCP_NODELAY: no 40 ms stalls
        except (OSError, AttributeError, TypeError):
            pass
        self._wait(c, _IDLE, self.limits.idle_timeout)

    def _busy(self, c, busy):
        c.busy = True
        c._settimeout(0.5)
        try:
            c.s.send(BUSY)
        except OSError:
            c.close()
            return
        if busy >= _MAX_BUSY:
            c.close()
        else:
            self._wait(c, _LINGER, LINGER_MS / 1000)

    def _ready(self, k, c):
        """A connection in the poll set has bytes (or EOF) to read."""
        if c.state == _LINGER:
            try:
                data = c.s.recv(1024)
            except OSError:
                data = b""
            c.lingered += len(data)
            if not data or c.lingered >= LINGER_BYTES:
                self._drop(k, c)
            return
        try:
            data = c._recv(self.limits.read_size)
        except OSError:
            data = b""
        if not data:
            c.eof = True
            if skip_empty_lines(c._buf[c._pos:]):
                self._error(c, None, HTTPError(400, "incomplete request head"))
            self._drop(k, c)
            return
        c._append(data)
        self._serve(k, c)

    def _serve(self, k, c):
        """Answer every complete request in the connection's buffer, then
        put it back in the poll set (or close it)."""
        limits = self.limits
        try:
            while True:
                try:
                    head = c.next_head(limits)
                except HTTPError as e:
                    self._end(k, c, self._error(c, None, e))
                    return
                if head is None:
                    if c._buf:
                        if c.state == _IDLE:
                            self._wait(c, _HEAD, limits.head_timeout)
                    else:
                        self._wait(c, _IDLE, limits.idle_timeout)
                    return
                c.state = _HEAD
                v = self._request(c, head)
                if v == _GONE:
                    return
                if v:
                    self._end(k, c, v)
                    return
                c.state = _IDLE
        except Exception as e:   # client gone (OSError) or a bug: keep serving
            if not (c.written or c.taken or isinstance(e, OSError)):
                # no memory to answer this request: the constant 503 (as
                # the async server; `written` may still count the previous
                # response on this connection: then it is only closed); any
                # other failure to answer: 500
                try:
                    c.s.send(BUSY if isinstance(e, MemoryError) else FAIL)
                except Exception:
                    pass
            if not isinstance(e, OSError):
                self.log_exception(e)
            # (closed at once: a lingering close takes a place in the poll
            # set, which a full heap may have no room for)
            self._drop(k, c)

    def _end(self, k, c, v):
        # The end of a connection with verdict v. A lingering close reads
        # and drops what the client is still sending, briefly, from the
        # poll set: the main loop goes on meanwhile.
        if v == _LINGER_CLOSE and not c.closed and not c.eof:
            self._wait(c, _LINGER, LINGER_MS / 1000)
        else:
            self._drop(k, c)

    def _request(self, c, head):
        """Serve one request; returns what is left of the connection."""
        method, target, version, headers = head
        request = None
        try:
            request = Request(self, method, target, version, headers, c)
            if "content-length" in headers or "transfer-encoding" in headers:
                framing = body_framing(headers, self.limits.max_body)
            else:
                framing = 0
        except HTTPError as e:
            return self._error(c, request, e)
        c.begin(request)
        if framing:
            Body = load("_sync_body").Body
            c.body = Body(c, request, framing)
        handler = result = exc = params = None
        try:
            handler, params = self.match(request)
            if handler is not None:
                request.params = params
                if self.before_hooks:
                    result = self.run_before(request)
                if result is None:
                    if handler in self._threaded and self.threads:
                        return self._spawn(c, request, handler, params)
                    result = handler(c, c, request)
        except Exception as e:
            exc = e
        return self._finish(c, request, handler, params, result, exc)

    def _finish(self, c, request, handler, params, result, exc):
        # The answer, then the connection's verdict (see the async
        # driver's _serve, which inlines this)
        v = None
        if (exc is None and result is not None and not c.written
                and not self.after_hooks):
            enc = encode_value(result, request, request.method == "HEAD")
            if enc is not None:
                c.write(enc[0])
                if enc[2] is not None:
                    c.write(enc[2])
                c.status = enc[3]
                if self.access_log is not None:
                    self.access(request, c)
                v = enc[1]
        if v is None:
            resp, keep = self.outcome(c, request, handler, params, result, exc)
            if resp is not None:
                resp.send(c)
                self.access(request, c)
                keep = resp.keep
            v = verdict(request, keep)
        if v == _DRAIN:
            v = c.body.finish()
        elif v and c.taken is not True and c.taken:
            c.taken._ended(exc)     # a WebSocket left open: see ws._ended
        return v

    def _error(self, c, request, e):
        # e: the HTTPError (see server._send_error); returns the verdict
        resp = self.error_response(e.status, e.message, e.headers, e, request)
        resp.close = True
        try:
            resp.send(c)
        except OSError:
            pass
        return verdict(None, False)

    # -- handler threads --------------------------------------------------

    def _spawn(self, c, request, handler, params):
        try:
            import _thread
        except ImportError:
            self.threads = 0     # no threads on this port: run inline
            return self._finish(c, request, handler, params,
                                handler(c, c, request), None)
        if self._lock is None:
            self._lock = _thread.allocate_lock()
        with self._lock:
            full = len(self._owned) >= self.threads
            if not full:
                self._owned.append(c)
        if full:
            c.take_over()
            c.write(BUSY)
            return verdict(None, False)     # refused, its body unread
        if self.thread_stack:
            _thread.stack_size(self.thread_stack)
        self._forget(_key(c.s))
        try:
            _thread.start_new_thread(self._threaded_request, (c, request, handler, params))
        except Exception:
            with self._lock:
                self._owned.remove(c)
            raise
        return _GONE

    def _threaded_request(self, c, request, handler, params):
        result = exc = None
        try:
            try:
                result = handler(c, c, request)
            except Exception as e:
                exc = e
            self._finish(c, request, handler, params, result, exc)
        except Exception as e:
            if not isinstance(e, OSError):
                self.log_exception(e)
        finally:
            c.close()
            with self._lock:
                try:
                    self._owned.remove(c)
                except ValueError:
                    pass
