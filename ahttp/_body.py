"""Request bodies: Content-Length and chunked, `Expect: 100-continue`, and
draining what a handler left unread.

Two parts: the sans-IO core that both drivers share (BodyCore, decode),
and the asyncio driver's reads over it (Body, read), the twin of
ahttp._sync_body (the blocking driver's Body and read, with the same
names). The two Body classes are siblings: neither subclasses the other.
(The async one lives here, not in a module of its own: on a board every
module costs heap.)

Loaded with the app's first POST/PUT/PATCH route (AppCore.add_route), while
the heap is still in one piece, or else by the first request that has a
body: a board serving only GETs never loads it. The framing decisions are
in _http/_chunked.
"""
import json

from ._compat import const, ticks_ms, ticks_add, load
from ._http import HTTPError
from ._response import verdict

_DRAIN_MAX = const(65536)   # unread body bytes dropped to keep a connection
# Arrays and objects nested deeper than this in a JSON body are a 400.
_JSON_DEPTH = const(64)


class BodyCore:
    """One request body's state: what the bytes already buffered give
    and what is due; no reads (the drivers' Body classes do those)."""

    def __init__(self, st, request, framing):
        self.st = st
        self.left = framing if framing > 0 else 0
        self.chunked = None
        if framing < 0:
            ChunkedDecoder = load("_chunked").ChunkedDecoder
            self.chunked = ChunkedDecoder(st.app.limits.max_body)
        exp = request.headers.get("expect")
        self.cont = (exp is not None and exp.lower() == "100-continue"
                     and request.version == "1.1")
        # False once the framing is lost: raw reads of a chunked body, a read
        # that failed
        self.clean = True

    def raw(self, n):
        if self.chunked is not None:
            self.clean = False
        else:
            self.left = self.left - n if self.left > n else 0

    # -- sans-IO: what the bytes already buffered give, and what is due --

    def piece(self):
        """The next piece of the body from the bytes already buffered:
        bytes, b"" at the body's end, None when more must be read."""
        st = self.st
        dec = self.chunked
        if dec is not None:
            while not dec.done:
                if st._pos >= len(st._buf):
                    return None
                try:
                    pieces = dec.feed(st._take(len(st._buf) - st._pos))
                except HTTPError:
                    self.clean = False      # framing lost: close after the answer
                    raise
                if dec.done:
                    st._buf = dec.rest
                    st._pos = 0
                if pieces:
                    return b"".join(pieces) if len(pieces) > 1 else pieces[0]
            return b""
        if self.left <= 0:
            return b""
        if st._pos >= len(st._buf):
            return None
        out = st._take(self.left)
        self.left -= len(out)
        return out

    def want(self):
        """(bytes to ask the socket for (0: the read size), the 400 message
        if the connection ends instead)."""
        if self.chunked is not None:
            return 0, "incomplete chunked body"
        return min(self.left, 4096), "incomplete request body"

    def continue_due(self):
        """The `100 Continue` interim response, once, before the first read
        of the body, unless a response has already started."""
        if self.cont:
            self.cont = False
            if self.st.written == 0:
                return b"HTTP/1.1 100 Continue\r\n\r\n"
        return None

    def reusable(self):
        """Whether the connection can carry another request once the rest
        of the body is dropped: not when 100 Continue was never sent (the
        client may or may not send the body), the framing is lost (a bad
        chunk, a body over max_body, raw reads) or more than _DRAIN_MAX
        bytes are known to be left."""
        return self.clean and not self.cont and self.left <= _DRAIN_MAX

    def finished(self):
        """Whether the body was read to its end, nothing of it still on its
        way (else verdict() lingers before closing): its framing is intact
        and no byte of it is left."""
        return (self.clean and self.left <= 0
                and (self.chunked is None or self.chunked.done))

    def collect(self, acc, piece):
        """read_all's bookkeeping, shared by both drivers: the body so far
        (None, the first piece, or a bytearray) with `piece` added; at the
        end (piece b"") the whole body as bytes. Many small reads grow one
        bytearray (sized once when the length is known) instead of a list
        of small objects that a fragmented heap may have no room to join."""
        if not piece:
            if acc is None:
                return b""
            return acc if type(acc) is bytes else bytes(acc)
        if acc is None:
            return piece
        if type(acc) is bytes:
            if self.chunked is None:     # Content-Length: the rest is known
                ba = bytearray(len(acc) + len(piece) + self.left)
                ba[:len(acc)] = acc
                acc = ba
            else:
                acc = bytearray(acc)
        if self.chunked is None:
            end = len(acc) - self.left
            acc[end - len(piece):end] = piece
        else:
            acc += piece
        return acc

    def dropped(self, piece, total):
        """finish() bookkeeping: True once the body is consumed (the
        connection forgets it), False when too much would be dropped (it
        is marked unusable), else the new total."""
        if not piece:
            self.st.body = None
            return True
        total += len(piece)
        if total > _DRAIN_MAX:
            self.clean = False
            return False
        return total


def decode(request, how):
    """The body kept on the request, for both drivers' read(): bytes (how
    None), JSON ("json") or an urlencoded form ("form")."""
    body = request._body
    if how is None:
        return body
    if how == "json":
        return decode_json(body)
    return decode_form(request, body)


def decode_json(body):
    """A JSON body (bytes) decoded; 400 when it is not JSON. (Public as
    ahttp.request.decode_json.)"""
    # Nesting is bounded (_JSON_DEPTH): a body with fewer brackets than
    # that cannot pass it, counted in C; others are measured first.
    if body.count(b"[") + body.count(b"{") > _JSON_DEPTH:
        load("_request_cold").decode_json(body, _JSON_DEPTH)
    try:
        return json.loads(body)
    except (ValueError, UnicodeError):
        raise HTTPError(400, "invalid JSON body")
    except RuntimeError:    # RecursionError: nested too deep for this stack
        raise HTTPError(400, "JSON nested too deep")


def decode_form(request, body):
    """An application/x-www-form-urlencoded body as {name: str}; 415 for
    another content type, 400 when not UTF-8. (Public as
    ahttp.request.decode_form.)"""
    ct = request.content_type or ""
    if not ct.lower().startswith("application/x-www-form-urlencoded"):
        raise HTTPError(415, "expected application/x-www-form-urlencoded")
    parse_qs = load("_query").parse_qs
    try:
        return parse_qs(body.decode())
    except UnicodeError:
        raise HTTPError(400, "form body is not UTF-8")


# -- the asyncio driver's reads ----------------------------------------------

class Body(BodyCore):
    """The asyncio driver's body: BodyCore with awaiting reads."""

    async def chunk(self):
        """The next piece of the body, b"" at its end."""
        st = self.st
        while True:
            out = self.piece()
            if out is not None:
                return out
            c = self.continue_due()
            if c is not None:
                st._s.write(c)
                await st.drain()
            n, msg = self.want()
            # head_timeout also bounds each wait for body bytes: a client
            # that stalls mid-body is dropped (watchdog), not waited on
            st.deadline = ticks_add(ticks_ms(), st.app.limits.head_ms)
            try:
                ok = await st._fill(n)
            finally:
                st.deadline = None
            if not ok:
                self.clean = False
                raise HTTPError(400, msg)

    async def read_all(self):
        acc = None
        while True:
            piece = await self.chunk()
            acc = self.collect(acc, piece)
            if not piece:
                return acc

    async def finish(self):
        """Drop what the handler left of the body, so that the next request
        starts at the right byte (the verdict was _DRAIN); then the
        connection's verdict again."""
        total = 0
        while total is not True and total is not False:
            try:
                total = self.dropped(await self.chunk(), total)
            except HTTPError:
                break       # (the framing is lost: not clean any more)
        # kept once the body is dropped, else a lingering close
        return verdict(self.st.request, True)


async def read(request, how=None):
    """Request.read/json/form on the asyncio driver: the whole body (read
    once and kept on the request), then decode(request, how)."""
    if request._body is None:
        r = request._reader
        body = r.body if r is not None else None
        request._body = await body.read_all() if body is not None else b""
    return decode(request, how)


_end = 1    # imported completely (see _compat.load)
