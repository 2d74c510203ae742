"""Percent-decoding and query strings / urlencoded forms.

Loaded on first use (a path with '%', request.args, request.form()).
No I/O here.
"""
from ._http import HTTPError
from ._utf8 import utf8

_HEX = "0123456789abcdefABCDEF"


def unquote(s, plus=False):
    """Percent-decode `s` (str) as UTF-8; with `plus`, '+' is a space.

    Raises HTTPError(400) on a bad escape or invalid UTF-8.
    """
    if plus and "+" in s:
        s = s.replace("+", " ")
    if "%" not in s:
        return s
    parts = s.split("%")
    out = [parts[0].encode()]
    for p in parts[1:]:
        if len(p) < 2 or p[:1] not in _HEX or p[1:2] not in _HEX:   # no p[0]: see _http.isdigits
            raise HTTPError(400, "bad percent-encoding")
        out.append(bytes((int(p[:2], 16),)))
        out.append(p[2:].encode())
    try:
        return utf8(b"".join(out))
    except UnicodeError:
        raise HTTPError(400, "percent-encoded bytes are not UTF-8")


def parse_qs(qs):
    """Decode a query string or urlencoded form into a dict (the last value
    of a repeated name wins; `parse_qsl` keeps them all)."""
    d = {}
    for k, v in parse_qsl(qs):
        d[k] = v
    return d


def parse_qsl(qs):
    out = []
    if not qs:
        return out
    for item in qs.split("&"):
        if not item:
            continue
        i = item.find("=")
        if i < 0:
            out.append((unquote(item, True), ""))
        else:
            out.append((unquote(item[:i], True), unquote(item[i + 1:], True)))
    return out
    return out


_SAFE = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"


def quote(s, keep_slash=False):
    """Percent-encode `s` (str) as UTF-8 for a path segment or a query
    value: everything but unreserved characters (and '/' with keep_slash)."""
    src = s.encode()
    out = []
    for i in range(len(src)):
        b = src[i]
        if b in _SAFE or (keep_slash and b == 47):
            out.append(src[i:i + 1])
        else:
            out.append(b"%%%02X" % b)
    return b"".join(out).decode()


_end = 1    # imported completely (see _compat.load)
