"""Route table: path patterns, parameter conversion, 404/405 decisions.

Static paths are looked up in a dict first, whatever the declaration order;
parameterised patterns are tried in declaration order. No I/O here.
Routes are added by ahttp._setup.add, which compiles their patterns.
"""
from ._http import HTTPError, isdigits


def _match(pattern, segs):
    n = len(pattern)
    params = {}
    for i in range(n):
        p = pattern[i]
        if i >= len(segs):
            return None
        s = segs[i]
        if isinstance(p, str):
            if p != s:
                return None
            continue
        conv, name = p
        if conv == "path":
            rest = "/".join(segs[i:])
            if not rest:
                return None
            params[name] = rest
            return params
        if not s:
            return None
        if conv == "int":
            if not isdigits(s):
                if not (s[:1] == "-" and isdigits(s[1:])):
                    return None
            params[name] = int(s)
        else:
            params[name] = s
    if len(segs) != n:
        return None
    return params


class Router:
    """Each path's handlers are one tuple (METHOD, handler, METHOD,
    handler, ...): a tuple of two is one heap block on a board, a dict
    three (the dict and its table)."""

    def __init__(self):
        self.static = {}    # path -> (METHOD, handler, ...)
        self.dynamic = []   # [(path, pattern, (METHOD, handler, ...))]

    def match(self, method, path):
        """(handler, params) for a request; (None, allow) for an OPTIONS
        request the app answers itself; raises HTTPError 404/405."""
        allowed = None
        table = self.static.get(path)
        if table is not None:
            if table[0] == method:       # most paths have one method
                return table[1], {}
            h = _pick(table, method)
            if h is not None:
                return h, {}
            allowed = [table[i] for i in range(0, len(table), 2)]
        if self.dynamic:
            segs = path.split("/")
            for _, pattern, table in self.dynamic:
                params = _match(pattern, segs)
                if params is None:
                    continue
                h = _pick(table, method)
                if h is not None:
                    return h, params
                if allowed is None:
                    allowed = []
                for i in range(0, len(table), 2):
                    if table[i] not in allowed:
                        allowed.append(table[i])
        if allowed is None:
            raise HTTPError(404)
        if "GET" in allowed and "HEAD" not in allowed:
            allowed.append("HEAD")
        if "OPTIONS" not in allowed:
            allowed.append("OPTIONS")
        allow = ", ".join(sorted(allowed))
        if method == "OPTIONS":
            return None, allow
        raise HTTPError(405, headers=[("Allow", allow)])

    def methods(self):
        """Every method some route accepts (for OPTIONS *)."""
        out = {"OPTIONS": 1}
        tables = list(self.static.values()) + [t for _, _, t in self.dynamic]
        for t in tables:      # (METHOD, handler, ...)
            for i in range(0, len(t), 2):
                out[t[i]] = 1
        if "GET" in out:
            out["HEAD"] = 1
        return sorted(out)


def _pick(table, method):
    """The handler for `method` in a (METHOD, handler, ...) tuple; a HEAD
    request takes the GET handler when there is no HEAD one."""
    for i in range(0, len(table), 2):
        if table[i] == method:
            return table[i + 1]
    if method == "HEAD":
        return _pick(table, "GET")
    return None
