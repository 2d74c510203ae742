"""Load clients for the benchmarks (CPython only): HTTP request loops (the
fallback when wrk is missing), SSE fan-out, WebSocket echo, memory probes
and the small-heap check. Every function is bounded in time and closes
every socket it opens."""
import asyncio
import os
import socket
import threading
import time

HOST = "127.0.0.1"


# The fields a desktop browser sends with a page request (besides Host):
# the head of a dashboard's own visitors, 13 fields and ~460 bytes.
BROWSER_HEADERS = (
    ("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, "
                   "like Gecko) Chrome/120.0.0.0 Safari/537.36"),
    ("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,"
               "image/avif,image/webp,*/*;q=0.8"),
    ("Accept-Language", "en-US,en;q=0.9"),
    ("Accept-Encoding", "gzip, deflate, br"),
    ("Connection", "keep-alive"),
    ("Cache-Control", "max-age=0"),
    ("Sec-Fetch-Site", "none"),
    ("Sec-Fetch-Mode", "navigate"),
    ("Sec-Fetch-Dest", "document"),
    ("Sec-Fetch-User", "?1"),
    ("Upgrade-Insecure-Requests", "1"),
    ("DNT", "1"),
)


def _request(path, close=False, browser=False):
    extra = "".join("%s: %s\r\n" % f for f in BROWSER_HEADERS) if browser else ""
    return ("GET %s HTTP/1.1\r\nHost: bench\r\n%s%s\r\n"
            % (path, extra, "Connection: close\r\n" if close else "")).encode()


# -- plain HTTP -------------------------------------------------------------

async def _read_response(reader):
    """(status, body, server_closes) of one response; raises on EOF."""
    # line by line: one peer ends its head lines with a bare LF
    lines = []
    while True:
        line = await reader.readline()
        if not line:
            raise asyncio.IncompleteReadError(b"", None)
        line = line.rstrip(b"\r\n")
        if not line:
            break
        lines.append(line)
    status = int(lines[0].split(b" ", 2)[1])
    length = None
    closes = False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"connection" and value.strip().lower() == b"close":
            closes = True
    if length is None:
        body = await reader.read()
        closes = True
    else:
        body = await reader.readexactly(length)
    return status, body, closes


async def _http_load(port, path, conns, duration, close, browser=False):
    stop = time.monotonic() + duration
    counts = [0] * conns
    errors = [0]
    req = _request(path, close, browser)

    async def worker(k):
        reader = writer = None
        while time.monotonic() < stop:
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection(HOST, port)
                writer.write(req)
                status, body, closes = await _read_response(reader)
                if status == 200:
                    counts[k] += 1
                if closes:
                    writer.close()
                    writer = None
            except (OSError, asyncio.IncompleteReadError):
                errors[0] += 1
                if writer is not None:
                    writer.close()
                writer = None
                await asyncio.sleep(0.001)
        if writer is not None:
            writer.close()

    t0 = time.monotonic()
    await asyncio.wait_for(asyncio.gather(*(worker(k) for k in range(conns))),
                           duration + 10)
    return sum(counts) / (time.monotonic() - t0)


def http_load(port, path, conns, duration, close=False, browser=False):
    """Requests/s completed by `conns` connections in a loop (keep-alive
    unless `close`, reconnecting whenever the server closes); `browser`:
    each request with BROWSER_HEADERS."""
    return asyncio.run(_http_load(port, path, conns, duration, close, browser))


def _split_head(data):
    """(head, separator, body), the head's lines split on CRLF or bare LF."""
    head, sep, body = data.partition(b"\r\n\r\n")
    lf = data.find(b"\n\n")
    if lf >= 0 and (not sep or lf < len(head)):
        head, sep, body = data[:lf], b"\n\n", data[lf + 2:]
    return head.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"), sep, body


def http_get(port, path, timeout=5.0):
    """(status, body) of one GET on a fresh connection (Connection: close)."""
    s = socket.create_connection((HOST, port), timeout=timeout)
    try:
        s.sendall(_request(path, close=True))
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
            head, sep, body = _split_head(data)
            if sep:
                for line in head.split(b"\r\n")[1:]:
                    n, _, v = line.partition(b":")
                    if n.strip().lower() == b"content-length" and len(body) >= int(v):
                        return int(head.split(b" ", 2)[1]), body[:int(v)]
        head, _, body = _split_head(data)
        if not head.startswith(b"HTTP/"):
            raise OSError("no HTTP response: %r" % data[:60])
        return int(head.split(b" ", 2)[1]), body
    finally:
        s.close()


def heap(port):
    """The server's heap (bytes) from its /_mem route."""
    status, body = http_get(port, "/_mem")
    if status != 200:
        raise OSError("/_mem answered %d" % status)
    return int(body)


# -- memory per connection -------------------------------------------------

def idle_keepalive_cost(port, n=10):
    """Heap bytes per connection kept open after one GET /hello, or
    "closes" when the server closes connections after a response."""
    base = heap(port)
    socks = []
    try:
        for _ in range(n):
            s = socket.create_connection((HOST, port), timeout=3)
            socks.append(s)
            s.sendall(_request("/hello"))
            data = b""
            while b"Hello" not in data:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
        time.sleep(0.2)
        socks[0].settimeout(0.3)
        try:
            if socks[0].recv(1) == b"":
                return "closes"      # the server closed it: no keep-alive
        except socket.timeout:
            pass
        return (heap(port) - base) / n
    finally:
        for s in socks:
            s.close()
        time.sleep(0.2)


def sse_client_cost(port, n=10, path="/sse"):
    """Heap bytes per connected SSE client (producer stopped)."""
    http_get(port, "/_produce?on=0")
    base = heap(port)
    socks = []
    try:
        for _ in range(n):
            s = socket.create_connection((HOST, port), timeout=5)
            socks.append(s)
            s.sendall(_request(path))
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = s.recv(4096)
                if not chunk:
                    raise OSError("SSE stream closed before its head")
                data += chunk
        time.sleep(0.3)
        return (heap(port) - base) / n
    finally:
        for s in socks:
            s.close()
        time.sleep(0.3)


# -- SSE fan-out --------------------------------------------------------------

MARK = b"tick"


async def _sse_fanout(port, clients, duration, warmup_timeout, path):
    counts = [0] * clients
    first = [None] * clients
    writers = []
    ready = asyncio.Event()
    n_first = [0]

    async def client(k):
        t0 = time.monotonic()
        reader, writer = await asyncio.open_connection(HOST, port)
        writers.append(writer)
        writer.write(_request(path))
        tail = b""
        while True:
            data = await reader.read(65536)
            if not data:
                return
            s = tail + data
            c = s.count(MARK)
            if c:
                if first[k] is None:
                    first[k] = time.monotonic() - t0
                    n_first[0] += 1
                    if n_first[0] == clients:
                        ready.set()
                counts[k] += c
            tail = s[-(len(MARK) - 1):]

    tasks = [asyncio.ensure_future(client(k)) for k in range(clients)]
    try:
        try:
            await asyncio.wait_for(ready.wait(), warmup_timeout)
        except asyncio.TimeoutError:
            pass
        c0 = sum(counts)
        t0 = time.monotonic()
        await asyncio.sleep(duration)
        rate = (sum(counts) - c0) / (time.monotonic() - t0)
    finally:
        for t in tasks:
            t.cancel()
        for w in writers:
            w.close()
        await asyncio.gather(*tasks, return_exceptions=True)
    # a client that got no event counts as infinitely late
    got = sorted(f if f is not None else float("inf") for f in first)
    ttfe = got[len(got) // 2]
    if ttfe == float("inf"):
        ttfe = None
    return rate, ttfe


def sse_fanout(port, clients, duration, warmup_timeout=8.0, path="/sse"):
    """(events/s delivered to all clients together, median seconds from
    connect to first event or None if some client got none) while the
    server's producer publishes as fast as it can."""
    http_get(port, "/_produce?on=1")
    try:
        return asyncio.run(_sse_fanout(port, clients, duration, warmup_timeout, path))
    finally:
        try:
            http_get(port, "/_produce?on=0")
        except OSError:
            pass


# -- SSE event loop -------------------------------------------------------------

EVENT_MARK = b"data: event"


async def _sse_loop(port, clients, duration, path):
    count = [0]
    stop = [False]

    async def client():
        while not stop[0]:
            reader, writer = await asyncio.open_connection(HOST, port)
            try:
                writer.write(_request(path))
                tail = b""
                while True:
                    data = await reader.read(65536)
                    if not data:
                        break
                    s = tail + data
                    count[0] += s.count(EVENT_MARK)
                    tail = s[-(len(EVENT_MARK) - 1):]
            finally:
                writer.close()

    tasks = [asyncio.ensure_future(client()) for _ in range(clients)]
    t0 = time.monotonic()
    try:
        await asyncio.sleep(duration)
        rate = count[0] / (time.monotonic() - t0)
    finally:
        stop[0] = True
        for t in tasks:
            t.cancel()
        res = await asyncio.gather(*tasks, return_exceptions=True)
    for r in res:
        if isinstance(r, Exception):
            raise r
    return rate


def sse_loop(port, clients, duration, path="/es"):
    """Events/s received by `clients` clients together, each opening stream
    after stream of a fixed number of events (the server's handler loops
    over EventSource.send, then returns)."""
    return asyncio.run(_sse_loop(port, clients, duration, path))


# -- WebSocket echo ------------------------------------------------------------

def ws_frame(payload):
    """A masked binary frame; the mask key is zero (valid, and spares the
    client the XOR, so the load client stays cheap)."""
    n = len(payload)
    if n < 126:
        head = bytes((0x82, 0x80 | n))
    else:
        head = bytes((0x82, 0x80 | 126, n >> 8, n & 255))
    return head + b"\0\0\0\0" + payload


async def _ws_echo(port, size, duration, window):
    import base64
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write(("GET /ws HTTP/1.1\r\nHost: bench\r\nUpgrade: websocket\r\n"
                      "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                      "Sec-WebSocket-Version: 13\r\n\r\n" % key).encode())
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise OSError("no upgrade: %r" % head[:60])
        frame = ws_frame(b"x" * size)
        for _ in range(window):
            writer.write(frame)
        got = 0
        buf = b""
        t0 = time.monotonic()
        stop = t0 + duration
        while True:
            data = await asyncio.wait_for(reader.read(65536), 5)
            if not data:
                raise OSError("connection closed during echo")
            buf += data
            done = 0
            while len(buf) >= 2:
                n = buf[1] & 127
                hl = 2
                if n == 126:
                    if len(buf) < 4:
                        break
                    n = int.from_bytes(buf[2:4], "big")
                    hl = 4
                if len(buf) < hl + n:
                    break
                buf = buf[hl + n:]
                done += 1
            got += done
            if time.monotonic() >= stop:
                break
            if done:
                writer.write(frame * done)
        rate = got / (time.monotonic() - t0)
        writer.write(b"\x88\x80\0\0\0\0")
        return rate
    finally:
        writer.close()


def ws_echo(port, size, duration, window=4):
    """Messages/s echoed on one connection with `window` messages in flight."""
    return asyncio.run(_ws_echo(port, size, duration, window))


# -- static file ---------------------------------------------------------------

async def _download(port, path, duration):
    reader, writer = await asyncio.open_connection(HOST, port)
    total = 0
    t0 = time.monotonic()
    try:
        while time.monotonic() - t0 < duration:
            if writer is None:
                reader, writer = await asyncio.open_connection(HOST, port)
            writer.write(_request(path))
            status, body, closes = await asyncio.wait_for(_read_response(reader), 10)
            if status != 200:
                raise OSError("static file answered %d: %r" % (status, body[:200]))
            total += len(body)
            if closes:
                writer.close()
                writer = None
        return total / (time.monotonic() - t0) / 1e6
    finally:
        if writer is not None:
            writer.close()


def download(port, path, duration):
    """MB/s (10^6 bytes) downloading `path` in a loop on one connection."""
    return asyncio.run(_download(port, path, duration))


# -- small heap check ------------------------------------------------------------

def serves(port, sequential=100, concurrent=10, timeout=5.0):
    """True if `sequential` GET /hello one after another and then
    `concurrent` at once all answer 200 Hello (each on its own connection)."""
    def one():
        try:
            status, body = http_get(port, "/hello", timeout)
            return status == 200 and body.startswith(b"Hello")
        except OSError:
            return False
    for _ in range(sequential):
        if not one():
            return False
    results = []
    barrier = threading.Barrier(concurrent)

    def worker():
        try:
            barrier.wait(timeout)
        except threading.BrokenBarrierError:
            pass
        results.append(one())
    threads = [threading.Thread(target=worker) for _ in range(concurrent)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout * 3)
    return len(results) == concurrent and all(results) and one()
