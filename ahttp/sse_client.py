"""Following another server's event stream: EventStream (async, CPython and
MicroPython).

Only connecting, reading and waiting live here; the stream's format is
`_sse_parse.py`. Plain asyncio streams, no HTTP client library: a board can
follow a relay or another board. asyncio is imported inside the coroutines.

    stream = EventStream("http://relay:8080/feed")
    async for ev in stream:          # reconnects by itself
        print(ev.id, ev.event, ev.data)

After a drop (EOF, a reset, silence longer than `timeout`) it waits the
stream's `retry` (ms, `retry` until the server says otherwise), reconnects
with `Last-Event-ID` and goes on. A 200 that is not text/event-stream, a
204, or another status ends the iteration with SSEClientError (WHATWG: the
browser stops too); 503 is retried after its Retry-After.
"""
from ahttp._sse_parse import SSEParser, SSEParseError, Event  # noqa: F401

_HEAD_LIMIT = 8192
_CHUNK = 1024


class SSEClientError(OSError):
    """The server answered something that is not an event stream."""


def parse_url(url):
    """(host, port, path) of an http:// URL; https is refused."""
    if not url.startswith("http://"):
        raise ValueError("EventStream wants an http:// URL, got " + url)
    rest = url[7:]
    slash = rest.find("/")
    hostport, path = (rest, "/") if slash < 0 else (rest[:slash], rest[slash:])
    host, port = hostport, 80
    if hostport.startswith("["):
        end = hostport.find("]")
        host = hostport[1:end]
        if hostport[end + 1:end + 2] == ":":
            port = int(hostport[end + 2:])
    elif ":" in hostport:
        host, p = hostport.rsplit(":", 1)
        port = int(p)
    if not host:
        raise ValueError("no host in " + url)
    return host, port, path


def encode_request(host, port, path, last_id=None, headers=None):
    lines = ["GET %s HTTP/1.1" % path, "Host: %s:%d" % (host, port),
             "Accept: text/event-stream", "Cache-Control: no-cache"]
    if last_id is not None:
        lines.append("Last-Event-ID: " + last_id)
    if headers:
        items = headers.items() if hasattr(headers, "items") else headers
        for k, v in items:
            lines.append("%s: %s" % (k, v))
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def parse_response_head(head):
    """(status, {lower-cased name: value}) of a response head (bytes
    without the blank line)."""
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
        raise SSEClientError("not an HTTP response: %r" % lines[0][:60])
    headers = {}
    for line in lines[1:]:
        colon = line.find(b":")
        if colon > 0:
            headers[str(line[:colon].strip().lower(), "ascii")] = str(
                line[colon + 1:].strip(), "utf-8")
    return int(parts[1]), headers


class EventStream:
    """An event stream that reconnects: `async for ev in EventStream(url)`.

    - `url`: an http:// URL, or a list of them (servers of the same feed,
      e.g. relays): a connection that fails moves on to the next one.

    - `last_event_id`: resume after this id on the first connection.
    - `retry`: ms to wait before reconnecting until the stream sends its own.
    - `timeout`: seconds without a byte (events and heartbeats alike) after
      which the connection counts as dropped; None waits forever.
    - `max_reconnects`: give up (SSEClientError) after this many
      reconnections in a row without an event; None never gives up.
    - `headers`: extra request headers (dict or list of pairs).

    `connects` counts connections made, `last_id` is the id to resume
    after, `close()` ends the iteration.
    """

    def __init__(self, url, last_event_id=None, retry=3000, timeout=None,
                 max_reconnects=None, headers=None, max_event=262144):
        urls = [url] if isinstance(url, str) else list(url)
        self._urls = [parse_url(u) for u in urls]
        self._at = 0
        self.host, self.port, self.path = self._urls[0]
        self.parser = SSEParser(last_event_id, max_event=max_event)
        self.retry = retry
        self.timeout = timeout
        self.max_reconnects = max_reconnects
        self.headers = headers
        self.connects = 0
        self.closed = False
        self._reader = self._writer = None
        self._pending = []
        self._failures = 0

    @property
    def last_id(self):
        return self.parser.last_id

    def __aiter__(self):
        return self

    async def __anext__(self):
        while True:
            if self.closed:
                raise StopAsyncIteration
            if self._pending:
                return self._pending.pop(0)
            if self._reader is None:
                await self._connect()
                continue
            try:
                data = await self._read()
            except OSError:
                data = b""
            if self.closed:
                raise StopAsyncIteration
            if not data:
                self._drop()
                continue
            try:
                self._pending = self.parser.feed(data)
            except SSEParseError:
                self._drop()
                raise
            if self._pending:
                self._failures = 0

    async def _read(self):
        if self.timeout is None:
            return await self._reader.read(_CHUNK)
        import asyncio
        try:
            return await asyncio.wait_for(self._reader.read(_CHUNK), self.timeout)
        except asyncio.TimeoutError:
            return b""

    async def _connect(self):
        import asyncio
        if self.connects:
            if self.max_reconnects is not None and self._failures >= self.max_reconnects:
                self.closed = True
                raise SSEClientError("gave up after %d reconnections" % self._failures)
            self._failures += 1
            await asyncio.sleep(self._delay / 1000)
        self._delay = self.parser.retry if self.parser.retry is not None else self.retry
        self.connects += 1
        try:
            r, w = await asyncio.open_connection(self.host, self.port)
        except OSError:
            self._next_url()            # refused: the next server, after the delay
            return
        try:
            w.write(encode_request(self.host, self.port, self.path,
                                   self.parser.last_id, self.headers))
            await w.drain()
            head, rest = await self._head(r)
        except OSError:
            _close(w)
            self._next_url()
            return
        status, headers = parse_response_head(head)
        ctype = headers.get("content-type", "")
        if status == 503:
            _close(w)
            ra = headers.get("retry-after", "")
            if ra.isdigit():
                self._delay = int(ra) * 1000
            return
        if status != 200 or not ctype.startswith("text/event-stream"):
            _close(w)
            self.closed = True
            raise SSEClientError("%s:%d%s answered %d %s, not an event stream"
                                 % (self.host, self.port, self.path, status, ctype))
        if "chunked" in headers.get("transfer-encoding", ""):
            _close(w)
            self.closed = True
            raise SSEClientError("chunked event streams are not supported")
        self.parser.reset()
        self._reader, self._writer = r, w
        if rest:
            self._pending = self.parser.feed(rest)

    async def _head(self, r):
        buf = b""
        while True:
            end = buf.find(b"\r\n\r\n")
            if end >= 0:
                return buf[:end], buf[end + 4:]
            if len(buf) > _HEAD_LIMIT:
                raise SSEClientError("response head longer than %d bytes" % _HEAD_LIMIT)
            data = await r.read(_CHUNK)
            if not data:
                raise OSError(104, "closed before the response head")
            buf += data

    def _next_url(self):
        self._at = (self._at + 1) % len(self._urls)
        self.host, self.port, self.path = self._urls[self._at]

    def _drop(self):
        w = self._writer
        self._reader = self._writer = None
        if w is not None:
            _close(w)

    def close(self):
        """End the iteration and the connection."""
        self.closed = True
        self._drop()


def _close(w):
    try:
        w.close()
    except Exception:
        pass
