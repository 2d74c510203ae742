"""The floor: the fastest an asyncio HTTP server can be on this runtime.

Reads the request head in bulk and writes a canned response; no parsing,
no routing. Every benchmark figure is reported as a ratio to this, measured
in the same run. AHTTP_CLOSE=1 answers with Connection: close.

The byte after "GET /" picks the canned behaviour, so the other benchmark
cases have a floor too: `/s...` the SSE fan-out (one task per client, a
ring of encoded events, a producer publishing one event per scheduler
pass), `/w...` a WebSocket echo (handshake, frame parse, unmask, echo),
`/es`, `/esf`, `/esm` 2,000 SSE events written and drained one by one
(`/esf` with `event:` and `id:` fields, `/esm` two `data:` lines each), `/static/NAME` a file from
BENCH_STATIC streamed in 4 KB reads,
`/_mem` the heap after gc.collect(), `/_produce?on=1|0` starts and stops
the SSE producer. Everything else is the canned hello response.
Env: AHTTP_HOST, AHTTP_PORT, AHTTP_CLOSE, BENCH_STATIC.
"""
import asyncio
import gc
import os

CLOSE = os.getenv("AHTTP_CLOSE") == "1"
STATIC = os.getenv("BENCH_STATIC") or "."
BODY = b"Hello, world!\n"
RESP = (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 14\r\n"
        + (b"Connection: close\r\n" if CLOSE else b"") + b"\r\n" + BODY)
SSE_HEAD = (b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
            b"Cache-Control: no-cache\r\nConnection: close\r\n\r\n")
WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
RING = 64
BATCH = 16
PAYLOAD = b"tick" + b"." * 24

ring = [b""] * RING
state = {"last": 0, "subs": 0, "on": False}
wake = asyncio.Event()


def heap():
    gc.collect()
    gc.collect()
    return gc.mem_alloc() if hasattr(gc, "mem_alloc") else -1


def small(body):
    return (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n"
            % len(body)) + body


async def serve(r, w):
    buf = b""
    try:
        while True:
            data = await r.read(1024)
            if not data:
                break
            buf += data
            while True:
                i = buf.find(b"\r\n\r\n")
                if i < 0:
                    break
                if buf[5] != 104:            # not "GET /h": a special case
                    done = await special(r, w, buf[:i + 4], buf[i + 4:])
                    if done == 0:
                        raise OSError
                    if done == 1:
                        buf = buf[i + 4:]
                        continue
                buf = buf[i + 4:]
                w.write(RESP)
                await w.drain()
                if CLOSE:
                    raise OSError
    except OSError:
        pass
    w.close()
    await w.wait_closed()


async def special(r, w, head, rest):
    """Serve one non-hello request: 0 ends the connection, 1 means answered,
    2 asks for the canned hello response."""
    c = head[5]
    target = head.split(b" ", 2)[1]
    if c == 95:                                  # "_"
        if target.startswith(b"/_mem"):
            w.write(small(b"%d" % heap()))
        elif target.startswith(b"/_produce"):
            state["on"] = target.endswith(b"on=1")
            w.write(small(b"ok"))
        else:
            return 2
        await w.drain()
        return 1
    if c == 115 and target.startswith(b"/sse"):
        await sse(w)
        return 0
    if c == 101:                                 # "e": an event loop
        await events(w, target)
        return 0
    if c == 119:                                 # "w"
        await ws(r, w, head, rest)
        return 0
    if c == 115 and target.startswith(b"/static/"):
        await static(w, target[8:].decode())
        return 1
    return 2


async def sse(w):
    w.write(SSE_HEAD)
    await w.drain()
    nxt = state["last"] + 1
    state["subs"] += 1
    try:
        while True:
            top = state["last"]
            if nxt <= top:
                if nxt <= top - RING:
                    nxt = top - RING + 1
                n = 0
                while nxt <= top and n < BATCH:
                    w.write(ring[nxt % RING])
                    nxt += 1
                    n += 1
                await w.drain()
            else:
                await wake.wait()
    finally:
        state["subs"] -= 1


async def events(w, target):
    # /es, /esf, /esm: N events written one by one, each drained (what a
    # handler looping over EventSource.send does), then the end of stream
    kind = target[3:4]
    w.write(SSE_HEAD)
    await w.drain()
    for i in range(2000):
        if kind == b"f":
            w.write(b"event: tick\nid: %d\ndata: event %d\n\n" % (i, i))
        elif kind == b"m":
            w.write(b"data: event %d\ndata: second line\n\n" % i)
        else:
            w.write(b"data: event %d\n\n" % i)
        await w.drain()


async def producer():
    while True:
        if state["on"] and state["subs"]:
            n = state["last"] + 1
            ring[n % RING] = b"id: %d\ndata: %s\n\n" % (n, PAYLOAD)
            state["last"] = n
            wake.set()
            wake.clear()
            await asyncio.sleep(0)
        else:
            await asyncio.sleep(0.01)


def unmask(payload, mask):
    n = len(payload)
    m = (mask * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(m, "big")).to_bytes(n, "big")


async def ws(r, w, head, buf):
    import binascii
    import hashlib
    k = head.lower().find(b"sec-websocket-key:")
    key = head[k + 18:head.find(b"\r\n", k)].strip()
    accept = binascii.b2a_base64(hashlib.sha1(key + WS_GUID).digest()).strip()
    w.write(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n\r\n")
    await w.drain()
    while True:
        out = False
        while len(buf) >= 2:
            n = buf[1] & 127
            hl = 2
            if n == 126:
                if len(buf) < 4:
                    break
                n = (buf[2] << 8) | buf[3]
                hl = 4
            elif n == 127:
                if len(buf) < 10:
                    break
                n = int.from_bytes(buf[2:10], "big")
                hl = 10
            masked = buf[1] & 128
            if masked:
                hl += 4
            if len(buf) < hl + n:
                break
            op = buf[0] & 15
            payload = buf[hl:hl + n]
            if masked and n:
                payload = unmask(payload, buf[hl - 4:hl])
            buf = buf[hl + n:]
            if op == 8:
                w.write(b"\x88\x00")
                await w.drain()
                return
            if n < 126:
                w.write(bytes((0x80 | op, n)) + payload)
            else:
                w.write(bytes((0x80 | op, 126, n >> 8, n & 255)) + payload)
            out = True
        if out:
            await w.drain()
        data = await r.read(4096)
        if not data:
            return
        buf += data


async def static(w, name):
    path = STATIC + "/" + name
    size = os.stat(path)[6]
    w.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
            b"Content-Length: %d\r\n\r\n" % size)
    buf = bytearray(4096)
    mv = memoryview(buf)
    with open(path, "rb") as f:
        while True:
            n = f.readinto(buf)
            if not n:
                break
            w.write(mv[:n])
            await w.drain()


async def main():
    host = os.getenv("AHTTP_HOST") or "127.0.0.1"
    port = int(os.getenv("AHTTP_PORT") or 8080)
    print("bench-heap-app %d" % heap())
    await asyncio.start_server(serve, host, port, backlog=64)
    print("floor on %s:%d" % (host, port))
    await producer()


if __name__ == "__main__":
    asyncio.run(main())
