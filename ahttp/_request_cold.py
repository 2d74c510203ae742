"""Request attributes most requests never read, computed on first use
(through Request.__getattr__) and stored on the request. No I/O here.
"""
from ._http import HTTPError
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


_end = 1    # imported completely (see _compat.load)
