"""Request bodies for the blocking driver: Body's sans-IO decisions (_body)
with blocking reads. Loaded on the first request that has a body. No
asyncio here."""
from ._body import Body
from ._http import HTTPError
from ._response import verdict


class SyncBody(Body):
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
        """Drop what the handler left of the body (see Body's async
        twin); then the connection's verdict again."""
        total = 0
        while total is not True and total is not False:
            try:
                total = self.dropped(self.chunk(), total)
            except HTTPError:
                break
        return verdict(self.st.request, True)


_end = 1    # imported completely (see _compat.load)
