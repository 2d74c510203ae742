"""Files to a connection: the pieces of a file, and the async driver's
sendfile (ahttp.response.sendfile and the static-file handler call it).

Loaded on first use, or by app.static() while the app is set up: an app
that serves no file holds none of this. No parsing here.
"""
from ._http import HTTPError
from ._compat import MICROPYTHON, ticks_ms, ticks_add


def file_pieces(path, offset, length, mv):
    """The bytes of a file (`length` of them from `offset`; None: to the
    end) as memoryview slices of `mv`, read one after the other into it:
    each piece must be sent before the next is asked for. Both drivers'
    sendfile loop over this; a whole-file read is never made."""
    try:
        f = open(path, "rb")
    except OSError:
        # before anything was written this answers 404; after the head,
        # the app logs it and ends the body visibly incomplete
        raise HTTPError(404, "file not found")
    with f:
        if offset:
            f.seek(offset)
        left = length
        while left is None or left > 0:
            n = f.readinto(mv)
            if not n:
                return
            if left is not None:
                if n > left:
                    n = left
                left -= n
            yield mv[:n]


async def sendfile(writer, path, offset=0, length=None, chunk=1024):
    """Stream a file (or `length` bytes of it from `offset`) to `writer` in
    fixed-size pieces; a full read of the file is never made.

    On MicroPython the pieces go through the server's shared buffer: the
    stream copies what the socket does not take at once before write()
    returns, so the buffer is free again at every await.
    """
    if getattr(writer, "discard", False):
        return
    mv = getattr(getattr(writer, "app", None), "_rmv", None)
    if mv is None or len(mv) < 64:
        mv = memoryview(bytearray(chunk))
    elif chunk < len(mv):
        mv = mv[:chunk]
    for piece in file_pieces(path, offset, length, mv):
        writer.write(piece)
        await writer.drain()


if MICROPYTHON:
    _sendfile = sendfile

    def sendfile(writer, path, offset=0, length=None, chunk=1024):
        """Stream a file (or `length` bytes of it from `offset`) to `writer`
        in fixed-size pieces; a full read of the file is never made.

        On the server's own connections (MicroPython, no TLS) each piece
        goes from the server's shared buffer straight to the socket, and
        nothing is allocated per piece: what the socket does not take is
        read from the file again once it can take more (asyncio's stream
        would copy that rest into a new block, which a full heap cannot
        give: the file was cut after its 200). Each wait for the socket is
        bounded by send_timeout, as a drain is. (A generator, which
        MicroPython awaits like a coroutine.)"""
        s = getattr(writer, "_s", None)
        mv = getattr(getattr(writer, "app", None), "_rmv", None)
        if (mv is None or getattr(s, "out_buf", None) is None
                or getattr(s, "raw", None) is not None or getattr(writer, "discard", True)
                or not hasattr(writer, "expired")):
            return (yield from _sendfile(writer, path, offset, length, chunk))
        if chunk < len(mv):
            mv = mv[:chunk]
        n = len(mv)
        try:
            f = open(path, "rb")
        except OSError:
            raise HTTPError(404, "file not found")
        import asyncio
        from ._aio import queue_write
        sock = s.s
        with f:
            if offset:
                f.seek(offset)
            if s.out_buf:           # (the head, or what of it is left)
                yield from writer.drain()
            left = length
            while left is None or left > 0:
                k = f.readinto(mv, n if left is None or left > n else left)
                if not k:
                    return
                # (the shared buffer is written out before anything else
                # runs: no await between the read and the write)
                sent = sock.write(mv, 0, k) or 0    # None: the socket is full
                writer.written += sent
                if left is not None:
                    left -= sent
                if sent == k:
                    yield from asyncio.sleep_ms(0)  # (others run between pieces)
                    continue
                f.seek(sent - k, 1)         # the rest is read again
                t = asyncio.current_task()
                writer.drainer = t if t is not writer.task else None
                writer.deadline = ticks_add(ticks_ms(), writer.app.limits.send_ms)
                try:
                    yield queue_write(sock)
                except asyncio.CancelledError:
                    if writer.expired:
                        writer.expired = False
                        raise OSError(110, "send timed out: client is not reading")
                    raise
                finally:
                    writer.deadline = writer.drainer = None


def _static_handler(app, prefix, opts, respond):
    """The async driver's handler that app.static() mounts (respond:
    _static.respond)."""
    Response = app.Response
    chunk = app.send_chunk

    async def static(reader, writer, request):
        resp, path, offset, length = respond(request, prefix, opts, Response)
        # (the body's coroutine made before the head goes: a full heap
        # then gets a 503, not a 200 and a cut body)
        body = None if path is None else sendfile(writer, path, offset, length, chunk)
        try:
            await resp.send(writer)
        except BaseException:
            if body is not None:
                body.close()
            raise
        if body is not None:
            await body
    return static


_end = 1
