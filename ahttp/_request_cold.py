"""Request attributes most requests never read, computed on first use
(through Request.__getattr__) and stored on the request. No I/O here.
"""
from ._http import HTTPError
from ._response import verdict
from ._compat import load


def get_query_string(r):
    i = r.target.find("?")
    r.query_string = v = "" if i < 0 else r.target[i + 1:]
    return v


def get_args(r):
    """Query parameters as a dict (the last value of a repeated name)."""
    qs = r.query_string
    if qs:
        parse_qs = load("_query").parse_qs
        v = parse_qs(qs)
    else:
        v = {}
    r.args = v
    return v


def get_content_length(r):
    cl = r.headers.get("content-length")
    r.content_length = v = int(cl.split(",")[0]) if cl else None
    return v


def get_content_type(r):
    r.content_type = v = r.headers.get("content-type")
    return v


def get_client(r):
    """The peer's (host, port)."""
    v = None
    if r._reader is not None:
        v = _peer(r._reader.get_extra_info("peername"))
    r.client = v
    return v


def get_cookies(r):
    parse_cookies = load("_cookie").parse_cookies
    r.cookies = v = parse_cookies(r.headers.get("cookie"))
    return v


def keep_alive(r):
    """Request.keep_alive(): whether the connection may carry another
    request after this one: the client allows it, and what is left of the
    body can be dropped (see _response.verdict; a response sent before the
    body is read says `Connection: close` when it cannot: RFC 9110
    10.1.1)."""
    return not verdict(r, True) & 1


def origin_path(method, target):
    # absolute-form (RFC 9112 section 3.2.2): take the path, ignore authority.
    if target.startswith("http://") or target.startswith("https://"):
        i = target.find("/", target.find("//") + 2)
        return target[i:] if i >= 0 else "/"
    if target == "*" and method == "OPTIONS":
        return "*"
    raise HTTPError(400, "invalid request target")


def _peer(addr):
    """(host, port) for a peer address; MicroPython's unix port gives the
    raw sockaddr bytes."""
    if isinstance(addr, (bytes, bytearray)) and len(addr) >= 8:
        fam = addr[0] | addr[1] << 8
        port = addr[2] << 8 | addr[3]
        if fam == 2:
            return "%d.%d.%d.%d" % (addr[4], addr[5], addr[6], addr[7]), port
        if fam == 10 and len(addr) >= 24:
            return ":".join("%x" % (addr[i] << 8 | addr[i + 1])
                            for i in range(8, 24, 2)), port
    return addr


def decode_json(body, limit):
    """_body.decode's check of a JSON body with many brackets: 400 when
    arrays and objects in the JSON `body` (bytes) nest deeper than
    `limit`, before a parser sees it: CPython's recurses into a RecursionError, MicroPython's
    fills the heap with the containers.
    Strings are stepped over with find(); outside them a stretch whose
    brackets cannot pass the limit is counted in C, the rest walked."""
    depth = 0
    pos = 0
    n = len(body)
    while pos < n:
        q = body.find(b'"', pos)
        end = n if q < 0 else q
        while pos < end:
            e = pos + 64 if end - pos > 64 else end
            opens = body.count(b"[", pos, e) + body.count(b"{", pos, e)
            if depth + opens <= limit:
                depth += opens - body.count(b"]", pos, e) - body.count(b"}", pos, e)
            else:
                for i in range(pos, e):
                    c = body[i]
                    if c == 91 or c == 123:         # [ {
                        depth += 1
                        if depth > limit:
                            raise HTTPError(400, "JSON nested too deep")
                    elif c == 93 or c == 125:       # ] }
                        depth -= 1
            pos = e
        if q < 0:
            return
        i = q + 1
        while True:         # the string's end: a quote after an even run of \
            i = body.find(b'"', i)
            if i < 0:
                return      # unterminated: the parser's 400
            k = i - 1
            while body[k] == 92:
                k -= 1
            if (i - 1 - k) % 2 == 0:
                break
            i += 1
        pos = i + 1


_end = 1    # imported completely (see _compat.load)
