"""HTTPResponse and sendfile for the asyncio driver.

The framing decisions are in _response.BaseResponse; this module only
writes: the head (one write), chunks, and files in fixed-size pieces.
"""
from ._http import LAST_CHUNK
from ._response import BaseResponse, CHUNKED, make_response, file_pieces
from ._compat import load


class HTTPResponse(BaseResponse):
    async def send(self, writer):
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
        await writer.drain()

    async def write(self, data):
        """Send part of the body (a chunk when the response is chunked)."""
        if data:
            self._writer.write(self.chunk(data))
            await self._writer.drain()

    async def end(self):
        """Finish a streamed body (the last chunk when chunked)."""
        if self.framing == CHUNKED:
            self._writer.write(LAST_CHUNK)
            await self._writer.drain()
        if hasattr(self._writer, "finished"):
            self._writer.finished(self)


def redirect(location, status=302):
    """A redirect response (301, 302, 303, 307 or 308) to `location`."""
    return load("_response_cold").redirect(HTTPResponse, location, status)


def response(value):
    """The HTTPResponse a handler's return value stands for."""
    return make_response(HTTPResponse, value)


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
