"""Hostile and heavy load for the overload tests (tests/test_robust_overload.py)
and for longer runs by hand:

    python tests/hostile.py mixed PORT SECONDS [CLIENTS]
    python tests/hostile.py slowloris PORT SOCKETS SECONDS
    python tests/hostile.py arrivals PORT CLIENTS INTERVAL

Every exchange is read to its end with the framing the server chose, and
sorted: "ok" (the whole answer expected), "503" (a complete 503 with
Retry-After) or a named failure ("reset after 200", "200 then empty
stream", "closed with nothing", "timeout"...). Refused connects, which
the kernel's listen backlog decides, are "connect refused".
"""
import asyncio
import base64
import os
import random
import socket
import sys
import time

HOST = "127.0.0.1"
TIMEOUT = 10.0


class Failed(Exception):
    pass


async def _head(r):
    try:
        raw = await asyncio.wait_for(r.readuntil(b"\r\n\r\n"), TIMEOUT)
    except asyncio.IncompleteReadError as e:
        raise Failed("closed with nothing" if not e.partial else "closed in the head")
    lines = raw.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    return status, headers


async def _body(r, headers):
    if "content-length" in headers:
        return await asyncio.wait_for(r.readexactly(int(headers["content-length"])), TIMEOUT)
    if headers.get("transfer-encoding") == "chunked":
        out = b""
        while True:
            size = int((await asyncio.wait_for(r.readuntil(b"\r\n"), TIMEOUT)).split(b";")[0], 16)
            data = await asyncio.wait_for(r.readexactly(size + 2), TIMEOUT)
            if not size:
                return out
            out += data[:-2]
    return await asyncio.wait_for(r.read(), TIMEOUT)     # close-delimited


def _check_503(status, headers, body):
    if status == 503:
        if "retry-after" not in headers:
            raise Failed("503 without Retry-After")
        return "503"
    return None


async def _http(port, request, want_status, want_body):
    r, w = await asyncio.wait_for(asyncio.open_connection(HOST, port), TIMEOUT)
    try:
        w.write(request)
        await w.drain()
        status, headers = await _head(r)
        try:
            body = await _body(r, headers)
        except (asyncio.IncompleteReadError, ConnectionError):
            raise Failed("reset after %d" % status)
        verdict = _check_503(status, headers, body)
        if verdict:
            return verdict
        if status != want_status or (want_body is not None and body != want_body):
            raise Failed("wrong answer %d" % status)
        return "ok"
    finally:
        w.close()


async def hello(port):
    return await _http(port, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", 200, b"hello")


async def post(port):
    body = os.urandom(1024).hex().encode()      # 2 KB
    return await _http(port, b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n"
                       % len(body) + body, 200, body)


STATIC = None


async def static(port):
    return await _http(port, b"GET /static/data.txt HTTP/1.1\r\nHost: x\r\n\r\n", 200, STATIC)


async def sse(port, n=5):
    """An event stream of n events (n = 0: follow /sse/0 for 1 s, wanting
    events; a stream the server ends early for want of memory after some
    still counts)."""
    r, w = await asyncio.wait_for(asyncio.open_connection(HOST, port), TIMEOUT)
    try:
        w.write(b"GET /sse/%d HTTP/1.1\r\nHost: x\r\n\r\n" % n)
        await w.drain()
        status, headers = await _head(r)
        if status != 200:
            body = await _body(r, headers)
            return _check_503(status, headers, body) or "wrong answer %d" % status
        events = 0
        t_end = time.monotonic() + (TIMEOUT if n else 1.0)
        buf = b""
        while time.monotonic() < t_end and (not n or events < n):
            try:
                data = await asyncio.wait_for(r.read(4096), max(0.01, t_end - time.monotonic()))
            except asyncio.TimeoutError:
                break
            except ConnectionError:
                raise Failed("reset after 200")
            if not data:
                break
            buf += data
            events = buf.count(b"\ndata: tick")
        if events == 0:
            raise Failed("200 then empty stream")
        if n and events < n:
            raise Failed("stream cut after %d events" % events)
        return "ok"     # (n = 0: a stream that delivers events)
    finally:
        w.close()


def _frame(opcode, payload):
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + masked


async def ws(port, n=5):
    r, w = await asyncio.wait_for(asyncio.open_connection(HOST, port), TIMEOUT)
    try:
        key = base64.b64encode(os.urandom(16))
        w.write(b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                b"Sec-WebSocket-Key: " + key + b"\r\nSec-WebSocket-Version: 13\r\n\r\n")
        await w.drain()
        status, headers = await _head(r)
        if status != 101:
            body = await _body(r, headers)
            return _check_503(status, headers, body) or "wrong answer %d" % status
        try:
            for i in range(n):
                msg = b"message %d" % i
                w.write(_frame(2, msg))
                await w.drain()
                h = await asyncio.wait_for(r.readexactly(2), TIMEOUT)
                got = await asyncio.wait_for(r.readexactly(h[1] & 127), TIMEOUT)
                if h[0] & 15 == 8:
                    raise Failed("ws closed %d" % int.from_bytes(got[:2], "big"))
                if got != msg:
                    raise Failed("ws wrong echo")
            w.write(_frame(8, b"\x03\xe8"))
            await w.drain()
            h = await asyncio.wait_for(r.readexactly(2), TIMEOUT)
            if h[0] & 15 != 8:
                raise Failed("ws no close answer")
        except (asyncio.IncompleteReadError, ConnectionError):
            raise Failed("ws reset")
        return "ok"
    finally:
        w.close()


async def bad(port):
    """A request line that is not one: a 400, with the server's error path."""
    return await _http(port, b"NOT A REQUEST\r\n\r\n", 400, None)


async def ws_oversize(port):
    """A WebSocket message past the app's max_message_size (4096): a 1009
    close, with the server's failing-close path."""
    r, w = await asyncio.wait_for(asyncio.open_connection(HOST, port), TIMEOUT)
    try:
        w.write(b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                b"Sec-WebSocket-Key: " + base64.b64encode(os.urandom(16)) +
                b"\r\nSec-WebSocket-Version: 13\r\n\r\n")
        await w.drain()
        status, headers = await _head(r)
        if status != 101:
            body = await _body(r, headers)
            return _check_503(status, headers, body) or "wrong answer %d" % status
        mask = os.urandom(4)
        w.write(bytes([0x82, 0xFE]) + (5000).to_bytes(2, "big") + mask + bytes(5000))
        await w.drain()
        h = await asyncio.wait_for(r.readexactly(2), TIMEOUT)
        got = await asyncio.wait_for(r.readexactly(h[1] & 127), TIMEOUT)
        if h[0] & 15 != 8 or got[:2] != (1009).to_bytes(2, "big"):
            raise Failed("ws oversize: no 1009")
        return "ok"
    except (asyncio.IncompleteReadError, ConnectionError):
        raise Failed("ws reset")
    finally:
        w.close()


KINDS = {"hello": hello, "post": post, "static": static, "sse": sse, "ws": ws}
# one-off exchanges (warm-ups), not part of the mixed load
EXTRA = {"bad": bad, "ws_oversize": ws_oversize}


async def exchange(kind, port, *args):
    """One exchange of `kind`: its verdict (never raises)."""
    try:
        return await (KINDS.get(kind) or EXTRA[kind])(port, *args)
    except Failed as e:
        return str(e)
    except ConnectionRefusedError:
        return "connect refused"
    except asyncio.TimeoutError:
        return "timeout"
    except (ConnectionError, asyncio.IncompleteReadError):
        return "reset"
    except OSError as e:
        return "error %s" % e


def _tally(results):
    out = {}
    for kind, verdict in results:
        k = "%s: %s" % (kind, verdict)
        out[k] = out.get(k, 0) + 1
    return out


async def mixed(port, seconds, clients=20, www=None, kinds=None):
    """`clients` clients, each doing hello / 2 KB POST echo / static file /
    5-event SSE / 5-message WebSocket (or the `kinds` given) at random,
    back to back, for `seconds`. Returns {"kind: verdict": count}."""
    global STATIC
    if www:
        with open(os.path.join(www, "data.txt"), "rb") as f:
            STATIC = f.read()
    results = []
    t_end = time.monotonic() + seconds
    rnd = random.Random(port)

    async def client():
        while time.monotonic() < t_end:
            kind = rnd.choice(kinds or sorted(KINDS))
            results.append((kind, await exchange(kind, port)))
    await asyncio.gather(*[client() for _ in range(clients)])
    return _tally(results)


async def arrivals(port, clients, interval, n=0):
    """`clients` SSE clients arriving `interval` seconds apart, each
    following its stream (n = 0: for 1 s) while the others arrive."""
    tasks = []
    for i in range(clients):
        tasks.append(asyncio.ensure_future(exchange("sse", port, n)))
        await asyncio.sleep(interval)
    return _tally([("sse", v) for v in await asyncio.gather(*tasks)])


def slowloris(port, sockets, seconds, head=b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: yes\r\n\r\n"):
    """Keep `sockets` connections trickling a request head, one byte each
    every second (reconnecting those the server drops), for `seconds`.
    Returns how many connects the server took."""
    live = []
    made = 0
    t_end = time.monotonic() + seconds
    while time.monotonic() < t_end:
        while len(live) < sockets:
            try:
                s = socket.create_connection((HOST, port), 2)
            except OSError:
                break
            s.setblocking(False)
            live.append([s, 0])
            made += 1
        for e in list(live):
            s, k = e
            try:
                s.send(head[k:k + 1])
                e[1] = (k + 1) % (len(head) - 3)   # never the final CRLF
                if s.recv(4096) == b"":
                    raise OSError("closed")
            except BlockingIOError:
                pass
            except OSError:
                s.close()
                live.remove(e)
        time.sleep(1.0)
    for s, k in live:
        s.close()
    return made


def gets(port, n, pause=0.3, path=b"/"):
    """n sequential plain GETs; the statuses (None: no answer)."""
    out = []
    for _ in range(n):
        try:
            out.append(asyncio.run(_http(port, b"GET " + path + b" HTTP/1.1\r\nHost: x\r\n"
                                         b"Connection: close\r\n\r\n", 200, None)))
        except Exception as e:
            out.append("%s %s" % (type(e).__name__, e))
        time.sleep(pause)
    return out


if __name__ == "__main__":
    what, port = sys.argv[1], int(sys.argv[2])
    a = [float(x) for x in sys.argv[3:]]
    if what == "mixed":
        www = os.path.join(os.path.dirname(os.path.abspath(__file__)), "apps", "www")
        res = asyncio.run(mixed(port, a[0], int(a[1]) if len(a) > 1 else 20, www))
    elif what == "slowloris":
        res = slowloris(port, int(a[0]), a[1])
    elif what == "arrivals":
        res = asyncio.run(arrivals(port, int(a[0]), a[1]))
    for k in sorted(res) if isinstance(res, dict) else [res]:
        print(k, res[k] if isinstance(res, dict) else "")
