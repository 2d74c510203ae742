"""Request bodies for the blocking driver: the twin of ahttp._body's
asyncio reads, with the same names (Body, read) over the same sans-IO
core (_body.BodyCore, decode). Loaded on the first request that has a
body. No asyncio here."""
from ._body import BodyCore, decode
from ._http import HTTPError
from ._response import verdict


class Body(BodyCore):
    """The blocking driver's body: BodyCore with blocking reads."""

    def chunk(self):
        """The next piece of the body, b"" at its end."""
        st = self.st
        while True:
            out = self.piece()
            if out is not None:
                return out
            c = self.continue_due()
            if c is not None:
                st._send(c)
            n, msg = self.want()
            if not st._fill(n):
                self.clean = False
                raise HTTPError(400, msg)

    def read_all(self):
        acc = None
        while True:
            piece = self.chunk()
            acc = self.collect(acc, piece)
            if not piece:
                return acc

    def finish(self):
        """Drop what the handler left of the body (see the async Body's
        finish); then the connection's verdict again."""
        total = 0
        while total is not True and total is not False:
            try:
                total = self.dropped(self.chunk(), total)
            except HTTPError:
                break
        return verdict(self.st.request, True)


def read(request, how=None):
    """Request.read/json/form on the blocking driver: the whole body (read
    once and kept on the request), then decode(request, how)."""
    if request._body is None:
        r = request._reader
        body = r.body if r is not None else None
        request._body = body.read_all() if body is not None else b""
    return decode(request, how)


_end = 1    # imported completely (see _compat.load)
