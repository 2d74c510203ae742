"""Request bodies for the asyncio driver: Content-Length and chunked,
`Expect: 100-continue`, and draining what a handler left unread.

Imported on the first request that has a body, so a board serving only
GETs never loads it. The framing decisions are in _http/_chunked.
"""
from ._compat import const
from ._http import HTTPError

_DRAIN_MAX = const(65536)   # unread body bytes dropped to keep a connection
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


class Body:
    def __init__(self, st, request, framing):
        self.st = st
        self.left = framing if framing > 0 else 0
        self.chunked = None
        if framing < 0:
            from ._chunked import ChunkedDecoder
            self.chunked = ChunkedDecoder(st.app.limits.max_body)
        exp = request.headers.get("expect")
        self.cont = (exp is not None and exp.lower() == "100-continue"
                     and request.version == "1.1")
        self.clean = True      # False once raw reads made the framing unknown

    def raw(self, n):
        if self.chunked is not None:
            self.clean = False
        else:
            self.left = self.left - n if self.left > n else 0

    async def _continue(self):
        if self.cont:
            self.cont = False
            st = self.st
            if st.written == 0:
                st._s.write(_CONTINUE)
                await st.drain()

    async def chunk(self):
        """The next piece of the body, b"" at its end."""
        st = self.st
        dec = self.chunked
        if dec is not None:
            while not dec.done:
                if st._pos >= len(st._buf):
                    await self._continue()
                    if not await st._fill():
                        raise HTTPError(400, "incomplete chunked body")
                pieces = dec.feed(st._take(len(st._buf) - st._pos))
                if dec.done:
                    st._buf = dec.rest
                    st._pos = 0
                if pieces:
                    return b"".join(pieces) if len(pieces) > 1 else pieces[0]
            return b""
        if self.left <= 0:
            return b""
        if st._pos >= len(st._buf):
            await self._continue()
            if not await st._fill(min(self.left, 4096)):
                raise HTTPError(400, "incomplete request body")
        out = st._take(self.left)
        self.left -= len(out)
        return out

    async def read_all(self):
        parts = []
        while True:
            piece = await self.chunk()
            if not piece:
                return b"".join(parts)
            parts.append(piece)

    async def finish(self):
        """Consume what the handler left so the next request starts at the
        right byte; False when the connection must close instead."""
        if not self.clean or self.cont:
            # 100 Continue never sent: the client may or may not send the
            # body, so the connection cannot be reused safely.
            return False
        total = 0
        while True:
            try:
                piece = await self.chunk()
            except HTTPError:
                return False
            if not piece:
                self.st.body = None
                return True
            total += len(piece)
            if total > _DRAIN_MAX:
                return False
