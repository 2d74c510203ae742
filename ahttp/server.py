"""The asyncio driver: accept connections, run the keep-alive loop, move
bytes between sockets and the sans-IO core.

It decides nothing about HTTP itself (that is _http, _app, _response,
_static); it reads, writes and waits. asyncio is imported with this module
(ahttp._aio), not when ahttp is imported. Timeouts cost no task per read: one
watchdog task cancels connections whose deadline has passed.
"""
import gc
import sys

from ._http import HTTPError, RecvBuffer, body_framing, heap_room, NO_ROOM, LINGER_MS
from ._app import AppCore
from ._response import BUSY, FAIL, encode_value, verdict
from ._compat import ticks_ms, ticks_diff, ticks_add, MICROPYTHON, cold, const, load
from .request import Request
from . import _aio
from ._aio import asyncio, queue_read     # (asyncio internals: _aio only)
# builtins as module globals: MicroPython looks a builtin name up along
# its builtins table (~100 ns), a global in one step (docs/design.md)
from builtins import bytes, len, type


# verdict() of _response: what a connection does after a response
_END = const(1)         # close
_DRAIN = const(2)       # drop the rest of the request body, then ask again
_LINGER = const(3)      # close after a lingering read

_REFUSED = const(16)    # slots for refused clients: (socket, deadline) pairs
# how long a refused client may take to read its 503 and close: a slot
# costs no task or memory, so longer than a lingering close (LINGER_MS,
# which a client waiting for the close after an error answer sees)
_PARKED_MS = const(2000)
_ran = 0                # ticks_ms() of a drain's last pass of the scheduler


class Stream(RecvBuffer):
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
    served = 0           # requests answered on this connection

    def __getattr__(self, name):
        # readexactly, readline, awrite, wait_closed, get_extra_info:
        # ahttp._server_cold, loaded on first use
        return cold(self, "_server_cold", name)

    def __init__(self, r, s, app, task):
        self._r = r          # asyncio reader (the same object as _s on MicroPython)
        self._s = s
        self.app = app
        self.task = task

    # -- reading ----------------------------------------------------------

    async def _recv(self, n, buf=None):
        """Up to n bytes from the socket (b"" at EOF); with `buf` (a
        writable buffer of at least n bytes): their count, put there."""
        data = await self._r.read(n)
        if buf is None:
            return data
        buf[:len(data)] = data
        return len(data)

    if MICROPYTHON:
        def _recv(self, n, buf=None):
            """On MicroPython the bytes land in one buffer shared by the
            whole server and are copied out at their exact size: a
            fragmented heap rarely has room for a fresh read_size block per
            read. Nothing else runs between readinto() and the copy, so
            sharing is safe. With `buf`, straight there (readinto()). It
            waits on the socket the way asyncio's Stream.readinto does,
            without that coroutine (160 bytes per request on a 64-bit
            port): a generator, which MicroPython awaits like one."""
            mv = self.app._rmv if buf is None else buf
            r = self._r
            if mv is None or type(r) is not asyncio.StreamReader:   # testing
                if buf is None:
                    return (yield from r.read(n))
                return (yield from r.readinto(buf))
            if n < len(mv):
                mv = mv[:n]
            s = r.s
            k = None
            while k is None:    # a TLS socket gives None until it has app data
                yield queue_read(s)
                k = s.readinto(mv)
            if buf is not None:
                return k
            return bytes(mv[:k]) if k else b""

    async def _fill(self, n=0):
        """Read more from the socket into the buffer; False at EOF."""
        data = await self._recv(n or self.app.limits.read_size)
        if not data:
            self.eof = True
            return False
        self._append(data)
        return True

    def read_head(self):
        """The next request head as (method, target, version, headers), or
        None when the client closed the connection between requests.

        Deadlines: idle_timeout while nothing of a request has arrived,
        head_timeout from its first byte. A head that arrives whole (the
        usual case) sets no head deadline at all.

        A generator, awaited like a coroutine (on CPython it is made one
        below the class): on MicroPython it waits on the socket itself,
        as _recv does, one generator per request fewer.
        """
        limits = self.app.limits
        if self._buf:
            head = self.next_head(limits)      # pipelined: already here
            if head is not None:
                return head
            self.idle = False
            self.deadline = ticks_add(ticks_ms(), limits.head_ms)
        else:
            # between requests: idle_timeout; a new connection's first
            # request gets head_timeout (a TLS handshake that never ends
            # shows up here as bytes that never arrive)
            self.idle = True
            self.deadline = ticks_add(ticks_ms(), limits.idle_ms if self.served else limits.head_ms)
        mv = self.app._rmv
        r = self._r
        if mv is not None and type(r) is not asyncio.StreamReader:
            mv = None       # (ahttp.testing's streams)
        while True:
            if mv is None:
                data = yield from self._recv(limits.read_size)
            else:
                s = r.s
                k = None
                while k is None:    # (see _recv)
                    yield queue_read(s)
                    k = s.readinto(mv)
                data = bytes(mv[:k]) if k else b""
            if not data:
                self.eof = True
                self.deadline = None
                if self._buf:
                    raise HTTPError(400, "incomplete request head")
                return None
            self._buf = self._buf + data if self._buf else data
            head = self.next_head(limits)
            if head is not None:
                self.deadline = None
                self.idle = False
                return head
            if self.idle:
                self.idle = False
                self.deadline = ticks_add(ticks_ms(), limits.head_ms)

    async def read(self, n=-1):
        """Up to n bytes (n < 0: what is buffered or the next read); b"" at
        EOF."""
        if self._pos >= len(self._buf):
            if n == 0 or not await self._fill(n if n > 0 else 0):
                return b""
        out = self._take(len(self._buf) if n < 0 else n)
        self._raw(len(out))
        return out

    async def readinto(self, buf):
        """Read up to len(buf) bytes into `buf` (bytearray, memoryview);
        their count, 0 at EOF. What is buffered comes first; else the
        socket's bytes go straight into `buf` on MicroPython, nothing
        allocated (a WebSocket's big payload arrives this way)."""
        if self._pos < len(self._buf):
            k = self._take(len(buf), buf)
        else:
            k = await self._recv(len(buf), buf)
            if not k:
                self.eof = True
        self._raw(k)
        return k

    # -- writing ----------------------------------------------------------

    def write(self, data):
        """True when the bytes went out whole and a drain now would neither
        wait nor yield (see drain), so a loop of EventSource.send skips
        that coroutine, which most events of a millisecond slice need not
        make. (CPython's write and drain: ahttp._transport.)

        The bytes go to the socket here, as MicroPython's asyncio
        Stream.write does it (what the socket refuses waits in out_buf for
        the drain), without that call: one Python call fewer per write."""
        if self.discard or not data:
            return None
        self.written += len(data)
        s = self._s
        if not s.out_buf:
            n = s.s.write(data)
            if n == len(data):
                return ticks_ms() == _ran
            if n:               # (None: a TLS socket took nothing)
                data = data[n:]
            s.out_buf += data
            return False
        s.write(data)           # (or ahttp.testing's stream)
        return False

    async def _bounded(self):
        # the drain bounded by send_timeout (the watchdog cancels it)
        t = asyncio.current_task()
        self.drainer = t if t is not self.task else None
        self.deadline = ticks_add(ticks_ms(), self.app.limits.send_ms)
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

    def drain(self):
        """MicroPython's stream writes to the socket at once and keeps
        only what it refused in out_buf: with nothing there, nothing
        can time out, and a drain is one pass of the scheduler (a loop
        of writes still lets other tasks run). That pass is asyncio's
        own sleep_ms(0) in this one generator: no second coroutine
        (asyncio's drain), no deadline to set and clear. Otherwise the
        wait bounded by send_timeout. (A generator, not the bare
        sleep_ms(0): wait_for() and create_task() take it.)"""
        global _ran
        if self._s.out_buf:
            r = yield from self._bounded()
            _ran = ticks_ms()       # (that wait let other tasks run)
            return r
        t = ticks_ms()
        if t != _ran:
            # Every write taken whole, and a time slice of at most a
            # millisecond since a drain last let other tasks run: a
            # loop of sends (EventSource.send) pays for one pass of
            # the scheduler, with its poll(), per slice, not per event.
            _ran = t
            yield from asyncio.sleep_ms(0)

    def close(self):
        self.closed = True
        self._s.close()

    def detach(self):
        """The handler hands the connection on (sse.Broadcaster with
        detach=True): when it returns, the server forgets the connection
        without closing it, and this object, the request and the
        connection's coroutine are freed. (Marked by `task` None, not a
        new attribute: that would grow this object's attribute table on a
        heap that may have no room left.)"""
        self.task = None


if not MICROPYTHON:
    # CPython: writes go to asyncio's transports (ahttp._transport)
    from ._transport import adapt
    adapt(Stream)


class HTTPServer(AppCore):
    """The async server.

    Handlers are `async def handler(reader, writer, request)`, or plain
    `def` with the same arguments (called, and awaited only when what it
    returns is awaitable). They write their own response or return a
    value (see ahttp._response.make_response for the shapes); a value
    outside them, or one that cannot be encoded, is answered 500 and
    logged naming the handler.

    Options (keyword only; the limits bound what a client controls, see
    _http.LIMITS): max_request_line, max_header_line (bytes), max_headers
    (count), max_head (bytes), max_body (bytes, a bigger body is 413),
    head_timeout, idle_timeout, send_timeout (seconds), max_connections
    (more are answered 503), read_size (bytes per socket read), min_free
    (MicroPython: bytes of heap a new connection, SSE stream or WebSocket
    needs free, else 503); debug
    (tracebacks in 500 pages), log (a function taking a line; default
    print), access_log (True: one line per request through log, or a
    function(request, status, nbytes)), backlog (listen queue), send_chunk
    (bytes per piece of a static file)."""

    body_module = "_body"
    _plain_module = "_server_cold"

    def __init__(self, max_request_line=2048, max_header_line=2048, max_headers=32,
                 max_head=4096, max_body=16384, head_timeout=10, idle_timeout=20,
                 send_timeout=10, max_connections=24, read_size=1024, min_free=4096,
                 debug=False, log=None, access_log=None, backlog=32, send_chunk=1024):
        AppCore.__init__(self, debug, log, access_log, backlog, send_chunk,
                         max_request_line=max_request_line, max_header_line=max_header_line,
                         max_headers=max_headers, max_head=max_head, max_body=max_body,
                         head_timeout=head_timeout, idle_timeout=idle_timeout,
                         send_timeout=send_timeout, max_connections=max_connections,
                         read_size=read_size, min_free=min_free)
        self._server = None
        self._conns = {}
        self._refused = [None] * _REFUSED     # MicroPython: see _refuse
        self._watchdog = None
        self._stopped = None
        self._stopping = False
        # on MicroPython asyncio's stream module, which start_server lives
        # in, is loaded now rather than in start(): on a small heap, loading
        # code late finds it fragmented by the app's own objects
        if MICROPYTHON:
            asyncio.start_server
        # shared read buffer (MicroPython), see Stream._recv; allocated
        # now, while the heap still has a contiguous block for it
        self._rmv = memoryview(bytearray(self.limits.read_size)) if MICROPYTHON else None

    def _static_handler(self, *args):
        return load("_file")._static_handler(self, *args)

    def __getattr__(self, name):
        # run_in_thread, the busy and lingering closes, error answers:
        # ahttp._server_cold; the app's own cold code: ahttp._app_cold
        # (asked by name, so neither loads the other)
        if " %s " % name in " run_in_thread _busy _linger _send_error ":
            return cold(self, "_server_cold", name)
        if name == "Response":
            # HTTPResponse (ahttp.response), which a handler returning a
            # plain value never needs: loaded by the first error page or
            # response object, then found on the class
            from .response import HTTPResponse
            HTTPServer.Response = HTTPResponse
            return HTTPResponse
        return AppCore.__getattr__(self, name)

    def stop(self, grace=5):
        """Stop accepting and end run(). Requests in progress may finish
        (for up to `grace` seconds); idle keep-alive connections and
        taken-over streams (SSE, WebSocket) are closed at once, a
        WebSocket with a 1001 "going away" close frame. The app can be
        started again afterwards.

        Returns an awaitable: `await app.stop()` returns once all is
        closed. Called without await from code running in the event loop
        (a plain def handler, a callback), it stops all the same, in a
        task of its own."""
        return cold(self, "_server_cold", "stop")(grace)

    # -- running ---------------------------------------------------------

    async def start(self, host="0.0.0.0", port=80, ssl=None):
        """Start listening and return; the server runs in background tasks."""
        return await load("_setup").start(self, asyncio, host, port, ssl)

    def run(self, host="0.0.0.0", port=80, ssl=None):
        """Serve until stopped (blocks)."""
        a = asyncio

        async def main():
            await self.start(host, port, ssl)
            await self._stopped.wait()
            # the code that awaited stop() (its task, see stop()) goes on
            # before run() returns and the loop ends
            await a.sleep(0)
            await a.sleep(0)
        try:
            if not MICROPYTHON:
                a.run(main())
                return
            # A MemoryError out of MicroPython's scheduler itself (not out
            # of a task) would end the loop and with it every connection:
            # resume it instead, its tasks as they were.
            task = a.create_task(main())
            while True:
                try:
                    a.run_until_complete(task)
                    return
                except MemoryError:
                    if task.done():
                        raise
        except KeyboardInterrupt:
            pass

    def _unretrieved(self, loop, context):
        # MicroPython: the loop's handler for an exception no task awaited.
        # Its default prints it, which at a full heap raises MemoryError out
        # of the scheduler: log it if there is memory to, never raise.
        try:
            self.log_exception(context["exception"])
        except BaseException:
            pass
        # (asyncio's one context dict: it would keep the last failed task,
        # its frame and all it held, until the next failure)
        context["exception"] = context["future"] = None

    async def _watch(self):
        conns = self._conns
        while True:
            try:
                await asyncio.sleep(0.25)
            except MemoryError:
                # (it makes a float) A full heap must not end the
                # watchdog, which would leave every stalled connection open
                # for good: wait with MicroPython's sleep_ms, which
                # allocates nothing. (Only then: see docs/robustness.md,
                # "Open questions".)
                await asyncio.sleep_ms(250)
            try:
                if MICROPYTHON:
                    if _aio._reserve is None:
                        _aio._reserve = bytearray(256)
                    _drop_refused(self._refused, self._rmv)
                if not conns:
                    continue
                now = ticks_ms()
                for st in list(conns):
                    d = st.deadline
                    if d is not None and ticks_diff(now, d) >= 0:
                        st.deadline = None
                        st.expired = True
                        t = st.drainer or st.task
                        if t is not None:     # (None: detached)
                            t.cancel()
            except MemoryError:
                pass   # next round; the watchdog must outlive a full heap
            # this frame lives as long as the server: it must not keep the
            # last connection it looked at (and all it holds) once closed
            st = t = None

    # -- one connection ---------------------------------------------------

    async def _serve(self, reader, writer):
        """One connection, from accept to close: its keep-alive loop. Whatever
        happens in it (a bug, a full heap, the client vanishing), the socket
        is closed and the server goes on. After each response the core's
        verdict (_response.verdict) says whether the connection is kept,
        closed, or closed after a lingering read; `v` holds it.

        One coroutine for it all: a connection holds this frame for its whole
        life (an SSE stream for hours), and a second one for the loop cost
        384 bytes more per connection on a 64-bit port. The common case (a
        handler returning a plain value, no body) runs inline here: every
        extra coroutine layer costs a few microseconds per request on a board.
        What runs once per connection, its end (answering a failure,
        closing, lingering), is _end's: it makes this frame no bigger.
        """
        st = None
        v = _END
        try:
            if MICROPYTHON:
                try:   # IPPROTO_TCP, TCP_NODELAY: a response in several writes
                    writer.s.setsockopt(6, 1, 1)   # must not wait for delayed ACKs
                except Exception:
                    pass
            st = Stream(reader, writer, self, asyncio.current_task())
            self._conns[st] = True
            if len(self._conns) > self.limits.max_connections:
                await self._busy(st)
                v = verdict(None, False)
                return
            # (no locals for self.limits or self.match: every name here is a
            # word of this frame, which a connection holds for its life)
            # MicroPython streams send at once in write() and keep only what
            # the socket refused in out_buf: nothing there, nothing to drain
            # (the next read yields to other tasks anyway)
            has_out_buf = getattr(writer, "out_buf", None) is not None
            while True:
                try:
                    head = await st.read_head()
                except HTTPError as e:
                    v = await self._send_error(st, None, e)
                    break
                if head is None:
                    break
                headers = head[3]       # (method, target, version, headers)
                request = None
                try:
                    request = Request(self, head[0], head[1], head[2], headers, st)
                    if "content-length" in headers or "transfer-encoding" in headers:
                        framing = body_framing(headers, self.limits.max_body)
                    else:
                        framing = 0
                except HTTPError as e:
                    v = await self._send_error(st, request, e)
                    break
                st.begin(request)
                st.served += 1
                if framing:
                    from ._body import Body
                    st.body = Body(st, request, framing)
                handler = result = exc = params = None
                try:
                    handler, params = self.match(request)
                    if handler is not None:
                        request.params = params
                        if self.before_hooks:
                            result = self.run_before(request)
                        if result is None:
                            result = await handler(st, st, request)
                except Exception as e:
                    exc = e
                enc = None
                if (exc is None and result is not None and not st.written
                        and not self.after_hooks):
                    enc = encode_value(result, request, request.method == "HEAD")
                    if enc is not None:
                        # (v: True when the bytes left whole, see
                        # Stream.write; then the verdict, below)
                        v = st.write(enc[0])
                        if enc[2] is not None:
                            v = st.write(enc[2])
                        st.status = enc[3]
                        if v is not True and (not has_out_buf or writer.out_buf):
                            st.deadline = ticks_add(ticks_ms(), self.limits.send_ms)
                            await writer.drain()
                        st.deadline = None
                        if self.access_log is not None:
                            self.access(request, st)
                        v = enc[1]
                if enc is None:
                    v = await self._complete(st, request, handler, params, result, exc)
                if v == _DRAIN:
                    v = await st.body.finish()
                if v:
                    if st.taken is not True and st.taken:
                        await st.taken._ended(exc)      # a WebSocket left open
                    break
                # drop this request before waiting for the next one: an
                # idle keep-alive connection should hold nothing
                st.request = request = headers = head = result = enc = None
        except asyncio.CancelledError:
            pass   # timed out by the watchdog, or the server is stopping
        except Exception as e:   # client gone (OSError) or a bug: keep serving
            v = e
        finally:
            # (v, the verdict or the exception, then what is left to wait)
            v = self._end(st, writer, v)
            if v is not None:
                await v
            self._conns.pop(st, None)

    def _end(self, st, writer, v):
        # The end of a connection (_serve's finally): v is its verdict, or
        # the exception that ended its loop, answered here if nothing was
        # sent yet. What needs no wait is done here, in a plain call, which
        # needs no heap (a full one may be why the connection ends); what
        # must wait is returned (a coroutine), else None. Runs once
        # per connection, so that _serve's frame, which a connection holds
        # for its life, is no bigger for it.
        if isinstance(v, Exception):
            e = v
            v = _END
            if (not isinstance(e, OSError) and (st is None or not st.taken and (
                    st.request is None or not st.written))):
                # no memory to read or answer this request (or the next one
                # on a kept-alive connection, or to start this one): say 503
                # (a constant, nothing to allocate), which a client may
                # retry; any other failure to answer: 500. A client always
                # gets an answer.
                try:
                    writer.write(BUSY if isinstance(e, MemoryError) else FAIL)
                    v = verdict(None, False)
                except Exception:
                    pass
            elif isinstance(e, MemoryError) and st is not None:
                # a stream whose head has not left (sse.EventSource): its 503
                # instead; a WebSocket: that or its constant 1011 close,
                # then a lingering close (its _refuse says True). (From the
                # class: nothing to allocate or load; callable, False for
                # any other owner.)
                try:
                    if getattr(type(st.taken), "_refuse", callable)(st.taken) is True:
                        v = _LINGER
                except Exception:
                    pass
            if not isinstance(e, OSError) and e is not NO_ROOM:
                try:
                    self.log_exception(e)
                except Exception:
                    pass   # no memory even to log: the close matters more
        if st is not None:
            if st.deadline is not None:
                st.deadline = None      # (a first store could need memory)
            if st.task is None:
                return None             # detached: not ours to close
        _aio.cancel_waiters(getattr(writer, "s", None))   # (ahttp.testing's has none)
        try:
            if type(writer) is asyncio.StreamReader:
                # MicroPython's stream, whose wait_closed() is a bare close
                # behind a coroutine: closed here, the TCP socket under TLS
                # too (see _accept_loop). Without TLS a lingering close goes
                # to a free slot, which the watchdog reads (see _refuse):
                # this connection's memory is freed now.
                raw = getattr(writer, "raw", None)
                if v != _LINGER:
                    if raw is not None:
                        raw.close()
                    writer.s.close()
                    return None
                if raw is None and self._rmv is not None:
                    if None not in self._refused:
                        return _park(self, writer.s)   # every slot taken
                    _refuse(self._refused, writer.s, False, None)
                    # (a client that has sent all and closed its side is
                    # closed now, not at the watchdog's next round)
                    _drop_refused(self._refused, self._rmv)
                    return None
            elif v != _LINGER:
                # CPython, everything sent: the transport closes at once,
                # nothing to wait for (ahttp.testing's writer has none)
                t = getattr(writer, "transport", None)
                if t is not None and not t.get_write_buffer_size():
                    t.close()
                    return None
            # a lingering read, a close that waits (CPython): _server_cold
            return self._linger(st, writer, v)
        except Exception:       # (no heap for that coroutine) closed unread
            try:
                writer.s.close()
                writer.raw.close()     # (TLS; else AttributeError)
            except Exception:
                pass
        return None

    async def _complete(self, st, request, handler, params, result, exc):
        """Answer for a request the inline fast path did not (see
        AppCore.outcome); returns the connection's verdict."""
        resp, keep = self.outcome(st, request, handler, params, result, exc)
        if resp is not None:
            await resp.send(st)
            self.access(request, st)
            keep = resp.keep
        keep = verdict(request, keep)
        if st.response is not None:
            st.response = None      # (an idle connection holds nothing)
        return keep


# MicroPython only: the accept loop of the asyncio driver. MicroPython's
# start_server ends its accept task for good when an allocation fails in it
# (the port stays bound and never accepts again), and loses the accepted
# socket without closing it (the client hangs). This loop waits on the
# listening socket the way asyncio's own streams do (_aio.queue_read), and
# on any failure after accept() closes that one socket and goes on. (Part of this module, not one of its own: on a
# board every module costs interned names.)
async def _accept_loop(s, app, ssl):
    a = asyncio
    Stream = sys.modules[asyncio.__name__ + ".stream"].Stream
    conns = app._conns
    limits = app.limits
    refused = app._refused
    while True:
        if _drop_refused(refused, app._rmv) * 2 >= _REFUSED:
            # every slot holds a refused client still being read from: the
            # rest wait in the listen backlog
            await a.sleep_ms(20)
            continue
        try:
            yield queue_read(s)
        except a.CancelledError:
            s.close()               # server closed: stop listening
            return
        except Exception:
            # No memory to register the wait (MemoryError in _enqueue, which
            # undid it): let the connections that hold the heap finish, and
            # wait again. Ending here would stop the server accepting for good.
            gc.collect()
            await a.sleep_ms(50)
            continue
        try:
            s2, addr = s.accept()
        except Exception:           # EAGAIN, EMFILE, MemoryError...
            continue
        raw = s2
        try:
            # Refused before anything is made for it when the server is at
            # its cap or the heap is low: a connection that starts now would
            # fail part way for want of memory (and take others with it).
            # (With nothing else open it is tried all the same: no
            # connection's end would give memory back.)
            # (heap_room measures the heap only now and then: see there)
            if (len(conns) >= limits.max_connections
                    or conns and not heap_room(limits.min_free)):
                _refuse(refused, raw, ssl)
                continue
            if ssl:
                s2 = ssl.wrap_socket(s2, server_side=True,
                                     do_handshake_on_connect=False)
            s2.setblocking(False)
            # the peer's address alone, not {"peername": addr}: a dict per
            # connection for one key (Stream.get_extra_info answers it)
            st = Stream(s2, addr)
            if ssl:
                # closing a TLS socket whose handshake failed leaves the TCP
                # socket open (the client hangs, the descriptor leaks until
                # a GC): the server closes this one too
                st.raw = raw
            a.create_task(_run(app._serve(st, st)))
        except Exception:           # no memory for this client
            try:
                if s2 is not raw:
                    s2.close()
            except Exception:
                pass
            _refuse(refused, raw, ssl)
            gc.collect()
        s2 = raw = st = None


async def _park(app, s):
    # MicroPython: a lingering close while every slot is taken (see
    # HTTPServer._end) waits for one, briefly: a lingering read here would
    # need memory a full heap may not have, and a close with the request
    # unread resets the answer.
    n = 25
    try:
        while None not in app._refused and n:
            await asyncio.sleep_ms(20)
            n -= 1
    except (Exception, asyncio.CancelledError):
        pass    # (a KeyboardInterrupt must still end run())
    _refuse(app._refused, s, False, None)
    _drop_refused(app._refused, app._rmv)


def _run(coro):
    # MicroPython: the coroutine of a connection's task, around _serve's.
    # A finished task stays referenced for a while: the scheduler keeps
    # stale links to tasks it ran (its queue's links are not cleared when
    # a task leaves it), and so do stack slots of the frame that created
    # it. With it stayed its coroutine's frame, whose locals and stack
    # slots hold the connection's Stream, request and handler (a
    # WebSocket's: 2.6 KB). When _serve returns, this frame's one reference
    # to it is replaced by its result: such a task then holds a few bytes.
    # (A generator: no try block, one slot fewer than an async def.)
    coro = yield from coro


def _refuse(buf, s, ssl, data=BUSY):
    # MicroPython: a 503 (or, data None, a connection already answered)
    # that needs no task, coroutine or registration, and allocates nothing.
    # The socket then waits in a free slot of `buf` (the watchdog reads
    # and drops what the client still sends, then closes it): closing with
    # its request unread would make the kernel reset the connection, and
    # the client could lose the answer. (No plain-text answer on a TLS
    # port: just closed.)
    try:
        if not ssl:
            s.setblocking(False)
            if data is not None:
                s.send(data)
            i = 0
            while i < _REFUSED:
                if buf[i] is None:
                    buf[i] = s
                    buf[i + 1] = ticks_add(ticks_ms(), LINGER_MS if data is None else _PARKED_MS)
                    return
                i += 2
    except Exception:
        pass
    try:
        s.close()
    except Exception:
        pass


def _drop_refused(buf, data):
    # (the watchdog, and the accept loop when every slot is taken) read
    # what refused clients sent; close those that closed, or whose linger
    # time is up. Returns how many slots are still taken.
    if buf.count(None) == _REFUSED:
        return 0        # (none: the accept loop asks at every connection)
    now = ticks_ms()
    taken = 0
    i = 0
    while i < _REFUSED:
        s = buf[i]
        if s is not None:
            try:
                done = ticks_diff(now, buf[i + 1]) >= 0
                k = 0
                while not done and k < 8:
                    n = s.readinto(data)
                    if n is None:       # nothing more for now
                        break
                    done = not n        # 0: the client closed
                    k += 1
            except Exception:
                done = True
            if done:
                try:
                    s.close()
                except Exception:
                    pass
                buf[i] = None
            else:
                taken += 1
        i += 2
    return taken
