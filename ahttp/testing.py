"""A test client that drives an app in-process: no sockets, the real
server loop (HTTPServer._serve) on in-memory streams.

One job: let users test their app from their own test suite, under
CPython (pytest) and MicroPython alike. Requests with JSON, form,
multipart and cookies (kept between requests), Server-Sent Events read
event by event, and WebSocket sessions. The client is async; wrap a test in
asyncio.run():

    from ahttp.testing import TestClient

    async def main():
        client = TestClient(app)
        r = await client.post("/login", form={"user": "admin", "password": "pw"})
        assert r.status == 303
        r = await client.get("/settings")        # the session cookie is sent
        events = await client.sse("/events")
        ev = await events.next()                 # Event(event, data, id, retry)
        await events.close()
        ws = await client.websocket("/ws")
        await ws.send("hi"); print(await ws.receive()); await ws.close()
    asyncio.run(main())

Drives the asyncio server only (ahttp.HTTPServer); no timeouts are enforced
inside (the server's watchdog is not started), `timeout` bounds each wait.
"""
import json as _json

from . import server as _server
from . import _ws
from ._aio import asyncio     # (uasyncio on MicroPython 1.20)

_HIGH = 65536      # bytes a pipe holds before its writer waits



class _Pipe:
    """One direction of an in-memory connection."""

    def __init__(self):
        self.chunks = []
        self.size = 0
        self.eof = False          # the writer closed
        self.gone = False         # the reader closed: writes fail
        self.readable = asyncio.Event()
        self.writable = asyncio.Event()

    def write(self, data):
        if self.gone:
            raise OSError(32, "EPIPE: the other end closed")
        if data:
            self.chunks.append(bytes(data))
            self.size += len(data)
            self.readable.set()

    async def wait_space(self):
        while self.size > _HIGH and not self.gone:
            self.writable.clear()
            await self.writable.wait()
        if self.gone:
            raise OSError(32, "EPIPE: the other end closed")

    async def read(self, n=-1):
        while not self.chunks:
            if self.eof or self.gone:
                return b""
            self.readable.clear()
            await self.readable.wait()
        first = self.chunks[0]
        if n < 0 or n >= len(first):
            self.chunks.pop(0)
            out = first
        else:
            out = first[:n]
            self.chunks[0] = first[n:]
        self.size -= len(out)
        self.writable.set()
        return out

    def close_write(self):
        self.eof = True
        self.readable.set()

    def close_read(self):
        self.gone = True
        self.chunks = []
        self.size = 0
        self.writable.set()
        self.readable.set()


class _ServerSide:
    """What the server gets in place of asyncio's reader and writer."""

    # (MicroPython's stream keeps what the socket refused here: never
    # empty, so every drain waits for the pipe's space)
    out_buf = True

    def __init__(self, inp, out, peer):
        self._in = inp
        self._out = out
        self._peer = peer

    async def read(self, n=-1):
        return await self._in.read(n)

    async def readinto(self, buf):
        data = await self._in.read(len(buf))
        buf[:len(data)] = data
        return len(data)

    async def readexactly(self, n):
        parts = []
        while n > 0:
            b = await self._in.read(n)
            if not b:
                raise EOFError("connection closed")
            parts.append(b)
            n -= len(b)
        return b"".join(parts)

    def write(self, data):
        self._out.write(data)

    async def drain(self):
        await self._out.wait_space()

    def close(self):
        self._out.close_write()
        self._in.close_read()

    async def wait_closed(self):
        pass    # in-process: closing is immediate

    def get_extra_info(self, name, default=None):
        if name == "peername":
            return self._peer
        return default


class Response:
    """`status`, `reason`, `headers` ([(name, value)] as sent), `body`
    (bytes), `text`, `json()`, `header(name)` (the first value or None),
    `header_list(name)` (every value)."""

    def __init__(self, status, reason, headers, body=b""):
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body

    @property
    def text(self):
        return self.body.decode()

    def json(self):
        return _json.loads(self.body)

    def header(self, name, default=None):
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return default

    def header_list(self, name):
        name = name.lower()
        return [v for k, v in self.headers if k.lower() == name]

    def __repr__(self):
        return "<Response %d %s>" % (self.status, self.reason)


class Event:
    """One Server-Sent Event: event (default "message"), data, id, retry."""

    def __init__(self, event, data, id, retry):
        self.event = event
        self.data = data
        self.id = id
        self.retry = retry

    def __repr__(self):
        return "Event(%r, %r, id=%r)" % (self.event, self.data, self.id)


class _Conn:
    """The client end of one connection, with a receive buffer."""

    def __init__(self, client, inp, out, task):
        self.client = client
        self._in = inp
        self._out = out
        self.task = task
        self.buf = b""
        self.sender = None

    async def _more(self):
        data = await _wait(self._in.read(), self.client.timeout)
        if not data:
            return False
        self.buf += data
        return True

    async def read_head(self):
        while True:
            i = self.buf.find(b"\r\n\r\n")
            if i >= 0:
                break
            if not await self._more():
                raise ConnectionError("connection closed before a response")
        head = self.buf[:i].decode().split("\r\n")
        self.buf = self.buf[i + 4:]
        parts = head[0].split(" ", 2)
        headers = []
        for line in head[1:]:
            j = line.find(":")
            headers.append((line[:j], line[j + 1:].strip()))
        return int(parts[1]), parts[2] if len(parts) > 2 else "", headers

    async def read_some(self):
        """Raw bytes after the head (b"" at EOF)."""
        if self.buf:
            out = self.buf
            self.buf = b""
            return out
        await self._more()
        out = self.buf
        self.buf = b""
        return out

    async def read_exact(self, n):
        while len(self.buf) < n:
            if not await self._more():
                raise ConnectionError("connection closed in a response body")
        out = self.buf[:n]
        self.buf = self.buf[n:]
        return out

    async def read_line(self):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                out = self.buf[:i]
                self.buf = self.buf[i + 2:]
                return out
            if not await self._more():
                raise ConnectionError("connection closed in a chunked body")

    def write(self, data):
        self._out.write(data)

    async def send(self, data):
        try:
            for i in range(0, len(data), 4096):
                self._out.write(data[i:i + 4096])
                await self._out.wait_space()
        except OSError:
            pass        # the server closed (answered early): stop sending

    async def close(self):
        """Close the client end and wait (bounded) for the server side."""
        if self.sender is not None and not self.sender.done():
            self.sender.cancel()
        self._out.close_write()
        self._in.close_read()
        try:
            await _wait(self.task, self.client.timeout)
        except Exception:
            self.task.cancel()


class _Chunks:
    """Decodes a response body as it arrives: chunked, sized or to EOF."""

    def __init__(self, conn, headers, no_body=False):
        self.conn = conn
        te = cl = None
        for k, v in headers:
            k = k.lower()
            if k == "transfer-encoding":
                te = v.lower()
            elif k == "content-length":
                cl = int(v)
        self.chunked = te is not None and "chunked" in te
        self.left = 0 if no_body else cl
        self.done = no_body

    async def next(self):
        """The next piece of the body; b"" at its end."""
        if self.done:
            return b""
        c = self.conn
        if self.chunked:
            n = int((await c.read_line()).split(b";")[0], 16)
            if n == 0:
                while await c.read_line():
                    pass        # trailers
                self.done = True
                return b""
            data = await c.read_exact(n)
            await c.read_line()
            return data
        if self.left is not None:
            if self.left == 0:
                self.done = True
                return b""
            if not c.buf and not await c._more():
                raise ConnectionError("connection closed in a response body")
            data = c.buf[:self.left]
            c.buf = c.buf[len(data):]
            self.left -= len(data)
            return data
        data = await c.read_some()
        if not data:
            self.done = True
        return data

    async def read_all(self):
        parts = []
        while True:
            p = await self.next()
            if not p:
                return b"".join(parts)
            parts.append(p)


class SSEStream:
    """An open event stream: `status`, `headers`, `await next()` (an Event,
    or None when the stream ended), async iteration, `await close()`."""

    def __init__(self, conn, status, headers):
        self.conn = conn
        self.status = status
        self.headers = headers
        self._body = _Chunks(conn, headers)
        self._text = ""
        self._data = []
        self._event = None
        self._id = None
        self._retry = None
        self.last_event_id = None

    def __aiter__(self):
        return self

    async def __anext__(self):
        ev = await self.next()
        if ev is None:
            raise StopAsyncIteration
        return ev

    async def next(self):
        while True:
            while True:
                i = self._eol()
                if i < 0:
                    break
                line = self._text[:i]
                j = i + 1
                if self._text[i] == "\r" and self._text[j:j + 1] == "\n":
                    j += 1
                elif self._text[i] == "\r" and j == len(self._text):
                    break       # a CR at the end: maybe CRLF, wait
                self._text = self._text[j:]
                ev = self._line(line)
                if ev is not None:
                    return ev
            piece = await self._body.next()
            if not piece:
                return None
            self._text += piece.decode()

    def _eol(self):
        a = self._text.find("\n")
        b = self._text.find("\r")
        if a < 0:
            return b
        if b < 0:
            return a
        return min(a, b)

    def _line(self, line):
        if not line:
            if not self._data:
                self._event = None
                return None
            ev = Event(self._event or "message", "\n".join(self._data),
                       self.last_event_id, self._retry)
            self._data = []
            self._event = None
            self._retry = None
            return ev
        if line[0] == ":":
            return None
        i = line.find(":")
        field, value = (line, "") if i < 0 else (line[:i], line[i + 1:])
        if value[:1] == " ":
            value = value[1:]
        if field == "data":
            self._data.append(value)
        elif field == "event":
            self._event = value
        elif field == "id":
            if "\x00" not in value:
                self.last_event_id = value
        elif field == "retry" and value.isdigit():
            self._retry = int(value)
        return None

    async def close(self):
        await self.conn.close()


class WebSocketClosed(Exception):
    """The WebSocket session is over: `code`, `reason`."""

    def __init__(self, code, reason=""):
        super().__init__(code, reason)
        self.code = code
        self.reason = reason


class WebSocketSession:
    """The client side of a WebSocket: `await send(str | bytes)`,
    `await receive()` (str or bytes; raises WebSocketClosed after the
    server's close), `await ping(data)` (waits for the pong),
    `await close(code, reason)`. `subprotocol`, `headers`."""

    _MASK = b"\x12\x34\x56\x78"

    def __init__(self, conn, headers):
        self.conn = conn
        self.headers = headers
        self.subprotocol = None
        for k, v in headers:
            if k.lower() == "sec-websocket-protocol":
                self.subprotocol = v
        self.proto = _ws.Protocol(1 << 24, require_mask=False)
        self.proto.mask = self._MASK        # the Protocol's answers, masked
        self.proto.feed(conn.buf)
        conn.buf = b""
        self.close_code = None
        self.close_reason = ""

    async def send(self, message):
        if isinstance(message, str):
            frame = _ws.encode_frame(1, message.encode(), mask=self._MASK)     # text
        else:
            frame = _ws.encode_frame(2, bytes(message), mask=self._MASK)     # binary
        await self.conn.send(frame)

    async def _event(self):
        while True:
            ev = self.proto.next_event()
            if ev is not None:
                return ev
            data = await self.conn.read_some()
            if not data:
                return None
            self.proto.feed(data)

    async def receive(self):
        while True:
            ev = await self._event()
            if ev is None:
                self.close_code = self.close_code or 1006
                raise WebSocketClosed(self.close_code, "connection lost")
            kind = ev[0]
            if kind == _ws.MESSAGE:
                return ev[1]
            out = self.proto.data_to_send()     # a pong, the close echo
            if out:
                await self.conn.send(out)
            if kind == _ws.CLOSE:
                self.close_code, self.close_reason = ev[1], ev[2]
                await self.conn.close()
                raise WebSocketClosed(ev[1], ev[2])

    async def ping(self, data=b"ping"):
        await self.conn.send(_ws.encode_frame(9, data, mask=self._MASK))     # ping
        while True:
            ev = await self._event()
            if ev is None:
                raise WebSocketClosed(1006, "connection lost")
            if ev[0] == _ws.PONG:
                return ev[1]
            out = self.proto.data_to_send()
            if out:
                await self.conn.send(out)
            if ev[0] == _ws.CLOSE:
                self.close_code, self.close_reason = ev[1], ev[2]
                raise WebSocketClosed(ev[1], ev[2])

    async def close(self, code=1000, reason=""):
        """Send a close frame, wait for the server's, close the connection."""
        if not self.proto.close_sent:
            self.proto.close_sent = True
            try:
                await self.conn.send(_ws.encode_close(code, reason, mask=self._MASK))
                while True:
                    ev = await self._event()
                    if ev is None or ev[0] == _ws.CLOSE:
                        if ev is not None:
                            self.close_code, self.close_reason = ev[1], ev[2]
                        break
            except (OSError, ConnectionError):
                pass
        await self.conn.close()


class HandshakeFailed(Exception):
    """websocket() got an answer other than 101: `response`."""

    def __init__(self, response):
        super().__init__("WebSocket handshake failed: %d" % response.status)
        self.response = response


class TestClient:
    """Drives `app` (an ahttp.HTTPServer) in-process. `cookies` is the jar
    ({name: value}): Set-Cookie answers update it, every request sends it.
    `headers`: sent with every request. `timeout`: seconds any one wait
    may take (a response that never comes raises instead of hanging)."""

    __test__ = False    # not a pytest test class

    def __init__(self, app, headers=None, cookies=None, timeout=10,
                 client=("127.0.0.1", 50000)):
        self.app = app
        self.headers = list(headers.items()) if isinstance(headers, dict) else list(headers or ())
        self.cookies = dict(cookies or {})
        self.timeout = timeout
        self.peer = client

    # -- connections -------------------------------------------------------

    def _open(self):
        up = _Pipe()
        down = _Pipe()
        side = _ServerSide(up, down, self.peer)
        task = asyncio.create_task(self.app._serve(side, side))
        return _Conn(self, down, up, task)

    def _head(self, method, path, headers, body, ctype, query):
        if query:
            path += ("&" if "?" in path else "?") + urlencode(query)
        lines = [method + " " + path + " HTTP/1.1", "Host: testserver"]
        names = []
        for k, v in self.headers + list(
                headers.items() if isinstance(headers, dict) else headers or ()):
            lines.append(k + ": " + str(v))
            names.append(k.lower())
        if ctype and "content-type" not in names:
            lines.append("Content-Type: " + ctype)
        if body is not None and "content-length" not in names \
                and "transfer-encoding" not in names:
            lines.append("Content-Length: %d" % len(body))
        if self.cookies and "cookie" not in names:
            lines.append("Cookie: " + "; ".join(
                k + "=" + v for k, v in sorted(self.cookies.items())))
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    async def _start(self, method, path, headers=None, body=None, json=None,
                     form=None, files=None, query=None):
        ctype = None
        if json is not None:
            body = _json.dumps(json).encode()
            ctype = "application/json"
        elif files is not None:
            body, ctype = encode_multipart(form or {}, files)
        elif form is not None:
            body = urlencode(form).encode()
            ctype = "application/x-www-form-urlencoded"
        elif isinstance(body, str):
            body = body.encode()
        conn = self._open()
        conn.write(self._head(method, path, headers, body, ctype, query))
        if body:
            conn.sender = asyncio.create_task(conn.send(body))
        return conn

    def _cookies(self, headers):
        for k, v in headers:
            if k.lower() != "set-cookie":
                continue
            first = v.split(";")[0]
            i = first.find("=")
            if i <= 0:
                continue
            name, value = first[:i].strip(), first[i + 1:].strip()
            attrs = v.lower().replace(" ", "")
            if not value or ";max-age=0" in attrs or ";max-age=-" in attrs:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value

    # -- requests ----------------------------------------------------------

    async def request(self, method, path, headers=None, body=None, json=None,
                      form=None, files=None, query=None):
        """One request on a fresh connection; the whole Response.

        `json`: a value sent as JSON; `form`: {name: value} urlencoded (or
        the fields of a multipart body with `files`); `files`: {name:
        (filename, bytes, content_type)}; `body`: raw str/bytes; `query`:
        {name: value} appended to the path."""
        conn = await self._start(method, path, headers, body, json, form, files, query)
        try:
            while True:
                status, reason, rh = await conn.read_head()
                if status >= 200 or status == 101:
                    break
            no_body = method == "HEAD" or status in (204, 304) or status < 200
            data = await _Chunks(conn, rh, no_body).read_all()
        finally:
            await conn.close()
        self._cookies(rh)
        return Response(status, reason, rh, data)

    async def get(self, path, **kw):
        return await self.request("GET", path, **kw)

    async def head(self, path, **kw):
        return await self.request("HEAD", path, **kw)

    async def post(self, path, **kw):
        return await self.request("POST", path, **kw)

    async def put(self, path, **kw):
        return await self.request("PUT", path, **kw)

    async def patch(self, path, **kw):
        return await self.request("PATCH", path, **kw)

    async def delete(self, path, **kw):
        return await self.request("DELETE", path, **kw)

    async def options(self, path, **kw):
        return await self.request("OPTIONS", path, **kw)

    # -- streams -----------------------------------------------------------

    async def sse(self, path, headers=None, last_event_id=None):
        """Open an event stream; returns an SSEStream (check `status`)."""
        h = [("Accept", "text/event-stream")]
        if last_event_id is not None:
            h.append(("Last-Event-ID", str(last_event_id)))
        if headers:
            h += list(headers.items() if isinstance(headers, dict) else headers)
        conn = await self._start("GET", path, h)
        status, reason, rh = await conn.read_head()
        self._cookies(rh)
        return SSEStream(conn, status, rh)

    async def websocket(self, path, headers=None, subprotocols=None):
        """Open a WebSocket; returns a WebSocketSession or raises
        HandshakeFailed (with the server's response)."""
        key = "dGhlIHNhbXBsZSBub25jZQ=="
        h = [("Upgrade", "websocket"), ("Connection", "Upgrade"),
             ("Sec-WebSocket-Key", key), ("Sec-WebSocket-Version", "13")]
        if subprotocols:
            h.append(("Sec-WebSocket-Protocol", ", ".join(subprotocols)))
        if headers:
            h += list(headers.items() if isinstance(headers, dict) else headers)
        conn = await self._start("GET", path, h)
        status, reason, rh = await conn.read_head()
        if status != 101:
            try:
                data = await _Chunks(conn, rh).read_all()
            finally:
                await conn.close()
            raise HandshakeFailed(Response(status, reason, rh, data))
        accept = None
        for k, v in rh:
            if k.lower() == "sec-websocket-accept":
                accept = v
        if accept != _ws.accept_key(key):
            await conn.close()
            raise HandshakeFailed(Response(status, reason, rh, b"bad Sec-WebSocket-Accept"))
        return WebSocketSession(conn, rh)


async def _wait(aw, timeout):
    return await asyncio.wait_for(aw, timeout)


_SAFE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"


def _quote(s):
    out = []
    for b in str(s).encode():
        c = chr(b)
        out.append(c if c in _SAFE else "%%%02X" % b)
    return "".join(out)


def urlencode(fields):
    """{name: value} (or pairs) as application/x-www-form-urlencoded."""
    items = fields.items() if isinstance(fields, dict) else fields
    return "&".join(_quote(k) + "=" + _quote(v) for k, v in items)


def encode_multipart(fields, files, boundary="ahttp-test-boundary-7d1f"):
    """(body bytes, content type) of a multipart/form-data body. files:
    {name: (filename, bytes, content_type)}."""
    parts = []
    b = boundary.encode()
    for k, v in (fields.items() if isinstance(fields, dict) else fields):
        parts.append(b"--" + b + b'\r\nContent-Disposition: form-data; name="'
                     + str(k).encode() + b'"\r\n\r\n' + str(v).encode() + b"\r\n")
    for k, f in files.items():
        filename, data, ctype = (tuple(f) + ("application/octet-stream",))[:3]
        if isinstance(data, str):
            data = data.encode()
        parts.append(b"--" + b + b'\r\nContent-Disposition: form-data; name="'
                     + str(k).encode() + b'"; filename="' + filename.encode()
                     + b'"\r\nContent-Type: ' + ctype.encode() + b"\r\n\r\n")
        parts.append(data)
        parts.append(b"\r\n")
    parts.append(b"--" + b + b"--\r\n")
    return b"".join(parts), "multipart/form-data; boundary=" + boundary
