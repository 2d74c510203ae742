"""The floor: the fastest an asyncio HTTP server can be on this runtime.

Reads the request head in bulk and writes a canned response; no parsing,
no routing. Every benchmark figure is reported as a ratio to this, measured
in the same run. AHTTP_CLOSE=1 answers with Connection: close.
"""
import asyncio
import os

CLOSE = os.getenv("AHTTP_CLOSE") == "1"
BODY = b"Hello, world!\n"
RESP = (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 14\r\n"
        + (b"Connection: close\r\n" if CLOSE else b"") + b"\r\n" + BODY)


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
                buf = buf[i + 4:]
                w.write(RESP)
                await w.drain()
                if CLOSE:
                    raise OSError
    except OSError:
        pass
    w.close()
    await w.wait_closed()


async def main():
    host = os.getenv("AHTTP_HOST") or "127.0.0.1"
    port = int(os.getenv("AHTTP_PORT") or 8080)
    await asyncio.start_server(serve, host, port, backlog=64)
    print("floor on %s:%d" % (host, port))
    while True:
        await asyncio.sleep(3600)


asyncio.run(main())
