"""Cookies: parse the Cookie header, build Set-Cookie values (RFC 6265).

Loaded on first use (request.cookies, response.set_cookie). No I/O here.
"""
from ._http import _TOKEN
from ._compat import load


def parse_cookies(value):
    d = {}
    if value:
        for item in value.split(";"):
            i = item.find("=")
            if i > 0:
                v = item[i + 1:].strip()
                if len(v) > 1 and v[:1] == '"' and v[-1:] == '"':
                    v = v[1:-1]
                d[item[:i].strip()] = v
    return d


def cookie_header(name, value, max_age=None, expires=None, path="/",
                  domain=None, secure=False, http_only=False, same_site=None):
    """The value of a Set-Cookie header (RFC 6265)."""
    if not _TOKEN.match(name):
        raise ValueError("invalid cookie name")
    value = str(value)
    for c in ' ",;\\':
        if c in value:
            raise ValueError("cookie value needs quoting or encoding: " + repr(value))
    parts = [name + "=" + value]
    if max_age is not None:
        parts.append("Max-Age=" + str(int(max_age)))
    if expires is not None:
        if not isinstance(expires, str):
            http_date = load("_dates").http_date
            expires = http_date(expires)
        parts.append("Expires=" + expires)
    if path:
        parts.append("Path=" + path)
    if domain:
        parts.append("Domain=" + domain)
    if secure:
        parts.append("Secure")
    if http_only:
        parts.append("HttpOnly")
    if same_site:
        parts.append("SameSite=" + same_site)
    return "; ".join(parts)


_end = 1    # imported completely (see _compat.load)
