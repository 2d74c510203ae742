"""HTTPResponse helpers most responses never use, loaded on first use
(through BaseResponse.__getattr__). No I/O here.
"""
from ._http import encode_chunk
from ._response import CHUNKED
from ._compat import load


def set_header(self, name, value):
    low = name.lower()
    self.headers = [(k, v) for k, v in self.headers if k.lower() != low]
    self.add_header(name, value)


def set_cookie(self, name, value, **attrs):
    """Add a Set-Cookie header; attrs: max_age, expires, path, domain,
    secure, http_only, same_site."""
    cookie_header = load("_cookie").cookie_header
    self.headers.append(("Set-Cookie", cookie_header(name, value, **attrs)))


def delete_cookie(self, name, path="/", domain=None):
    self.set_cookie(name, "", max_age=0, expires=0, path=path, domain=domain)


def chunk(self, data):
    """Bytes for `data` under this response's framing."""
    if isinstance(data, str):
        data = data.encode()
    if self.framing == CHUNKED:
        return encode_chunk(data)
    return data


def redirect(cls, location, status=302):
    """A redirect response (301, 302, 303, 307 or 308)."""
    if status not in (301, 302, 303, 307, 308):
        raise ValueError("not a redirect status: %d" % status)
    return cls(status, None, headers=[("Location", location)], body=b"")


_end = 1    # imported completely (see _compat.load)
