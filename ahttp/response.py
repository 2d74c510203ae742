"""HTTPResponse and sendfile for the asyncio driver.

The framing decisions are in _response.BaseResponse; this module only
writes: the head (one write) and chunks. Files: ahttp._file.
"""
from ._http import LAST_CHUNK
from ._response import BaseResponse, CHUNKED, make_response
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
        # (the drain made before anything is written: a full heap then
        # fails while the server can still answer 503)
        d = writer.drain()
        try:
            writer.write(data)
            if self._rest is not None:
                writer.write(self._rest)
                self._rest = None
        except BaseException:
            d.close()
            raise
        if head_only and hasattr(writer, "discard"):
            writer.discard = True
        if not getattr(getattr(writer, "_s", None), "out_buf", True):
            # MicroPython: all of it went to the socket; no drain, and no
            # pass of the scheduler (the connection's next read yields)
            d.close()
            return
        await d

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


def sendfile(writer, path, offset=0, length=None, chunk=1024):
    """Stream a file (or `length` bytes of it from `offset`) to `writer` in
    fixed-size pieces; a full read of the file is never made. Returns an
    awaitable (`await sendfile(...)`); the code is ahttp._file, loaded on
    first use (app.static() loads it while the app is set up)."""
    return load("_file").sendfile(writer, path, offset, length, chunk)
