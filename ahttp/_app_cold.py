"""AppCore's rarely used code: route lists and shortcuts, error handlers,
hooks, mounts, the access log line, and the answers to handler mistakes
(a return value outside the contract, an error after the head was sent).
Loaded on first use through AppCore.__getattr__ (and by url_for, mount).
No I/O here but the abortive close of a connection whose body broke.
"""
from ._compat import load
from ._http import HTTPError, _TOKEN
from ._response import LENGTH, CHUNKED


def check_method(method, path, extension):
    """A method route() does not know: a ValueError, unless the caller
    said it is an extension method and it is a token."""
    m = method.upper()
    if not extension:
        raise ValueError("unknown HTTP method %r for %s (a typo? an extension "
                         "method needs extension=True)" % (m, path))
    if not _TOKEN.match(m):
        raise ValueError("not an HTTP method token: %r" % m)


def methods(router):
    """Every method some route of `router` accepts (for OPTIONS *)."""
    out = {"OPTIONS": 1}
    tables = list(router.static.values()) + [t for _, _, t in router.dynamic]
    for t in tables:      # (METHOD, handler, ...)
        for i in range(0, len(t), 2):
            out[t[i]] = 1
    if "GET" in out:
        out["HEAD"] = 1
    return sorted(out)


def add_routes(self, routes):
    """Add a list of (method, path, handler) triples."""
    for method, path, handler in routes:
        self.add_route(method, path, handler)


def errorhandler(self, key):
    """Decorator: handler for a status code or an exception class. It is
    called as `handler(request, exc)` and returns a value like a route."""
    def deco(f):
        self.error_handlers[key] = f
        return f
    return deco


def get(self, path, name=None):
    """Decorator: `@app.get("/x")` is `@app.route("GET", "/x")`."""
    return self.route("GET", path, name)


def post(self, path, name=None):
    """Decorator: `@app.route("POST", path)`."""
    return self.route("POST", path, name)


def put(self, path, name=None):
    """Decorator: `@app.route("PUT", path)`."""
    return self.route("PUT", path, name)


def patch(self, path, name=None):
    """Decorator: `@app.route("PATCH", path)`."""
    return self.route("PATCH", path, name)


def delete(self, path, name=None):
    """Decorator: `@app.route("DELETE", path)`."""
    return self.route("DELETE", path, name)


def log_access(self, request, status, nbytes):
    al = self.access_log
    if al is True:
        c = request.client
        self.log('%s "%s %s HTTP/%s" %d %d' % (
            c[0] if isinstance(c, tuple) else c, request.method, request.target,
            request.version, status, nbytes))
    elif al is not None:
        al(request, status, nbytes)


def url_for(self, name, **params):
    """The path of the route called `name` with its <parameters> filled
    in (percent-encoded); other params become the query string."""
    path = self.names.get(name)
    if path is None:
        raise ValueError("no route named %r" % (name,))
    quote = load("_query").quote
    segs = path.split("/")
    for i in range(len(segs)):
        seg = segs[i]
        if seg[:1] == "<" and seg[-1:] == ">":
            spec = seg[1:-1]
            j = spec.find(":")
            key = spec[j + 1:]
            if key not in params:
                raise ValueError("url_for(%r) needs %r" % (name, key))
            segs[i] = quote(str(params.pop(key)), spec[:j] == "path")
    url = "/".join(segs)
    if params:
        url += "?" + "&".join(quote(str(k)) + "=" + quote(str(params[k]))
                              for k in sorted(params))
    return url


def mount(self, prefix, app, name=None):
    """Serve the routes of another app (an AppCore) under `prefix`
    ("/api"): a route "/x" answers at "/api/x" ("/" at "/api" and
    "/api/"). Its before/after hooks run for its paths only, its route
    names become "name.route" (plain when `name` is None). Routes
    added to `app` after mounting are not seen; error handlers are this
    app's."""
    prefix = "/" + prefix.strip("/")
    if prefix == "/":
        prefix = ""
    r = app.router
    tables = list(r.static.items()) + [(p, t) for p, _, t in r.dynamic]
    for path, t in tables:        # t: (METHOD, handler, ...)
        for i in range(0, len(t), 2):
            if path == "/" and prefix:
                self.router.add(t[i], prefix, t[i + 1])
            self.router.add(t[i], prefix + path, t[i + 1])
    dot = name + "." if name else ""
    for n, path in app.names.items():
        self.names[dot + n] = prefix + path if path != "/" or not prefix else prefix
    for p, f in app.before_hooks:
        self.before_hooks.append((prefix + p, f))
    for p, f in app.after_hooks:
        self.after_hooks.append((prefix + p, f))


def before_request(self, f):
    """Decorator: `f(request)` runs before every routed handler (after
    routing: request.params is set). A value other than None answers
    the request instead of the handler (anything a handler may return);
    an HTTPError it raises is answered like a handler's. Plain
    functions, so the same hook works under both drivers."""
    self.before_hooks.append(("", f))
    return f


def after_request(self, f):
    """Decorator: `f(request, response)` runs for every response to a
    parsed request (returned values, HTTPResponse.send, error pages,
    automatic OPTIONS) just before its head is encoded, and changes it
    in place (add_header, set_cookie, status). Its return value is
    ignored; an exception in it is logged. Not called for SSE and
    WebSocket handshakes, which write their own heads."""
    self.after_hooks.append(("", f))
    return f


def run_before(self, request):
    for prefix, f in self.before_hooks:
        if not prefix or _under(request.path, prefix):
            r = f(request)
            if r is not None:
                return r
    return None


def run_after(self, request, response):
    for prefix, f in self.after_hooks:
        if not prefix or _under(request.path, prefix):
            try:
                f(request, response)
            except Exception as e:
                self.log_exception(e)

def _under(path, prefix):
    return path.startswith(prefix) and (len(path) == len(prefix) or
                                        path[len(prefix)] == "/")


# -- handler mistakes ---------------------------------------------------------


def _name(handler):
    return getattr(handler, "__name__", None) or repr(handler)


def _kind(value):
    # "tuple (int, str)" for a tuple: what a swapped pair looks like
    t = type(value).__name__
    if type(value) is tuple:
        t += " (" + ", ".join(type(v).__name__ for v in value) + ")"
    return t


def _why(value):
    # what is wrong with the shape of a returned value (None: nothing)
    body = value
    if type(value) is tuple:
        n = len(value)
        if n != 2 and n != 3:
            return ("a returned tuple is (body, status), (body, headers) or "
                    "(body, status, headers), not %d items" % n)
        body = value[0]
        h = value[n - 1] if n == 3 or type(value[1]) is not int else None
        if h is not None and not isinstance(h, (dict, list)):
            return ("the status is an int and the headers a dict or a list of "
                    "pairs, not " + type(h).__name__)
    if not (body is None or isinstance(body, (str, bytes, bytearray, dict, list))):
        return "a body is str, bytes, dict or list, not " + type(body).__name__
    return None


def bad_return(self, request, handler, value, exc):
    """The 500 for a returned value that is not a shape of the handler
    contract, or cannot be encoded (JSON): logged with the handler's name,
    the value's type and why; the same line is the body in debug mode."""
    msg = "%s %s: handler %s returned %s: %s" % (
        request.method, request.target, _name(handler), _kind(value),
        _why(value) or exc)
    if type(value) is int:
        msg += " (for a status alone, return (None, %d))" % value
    elif (type(value) is tuple and len(value) > 1 and type(value[0]) is int
          and type(value[1]) is not int):
        msg += " (the body comes first: (body, status))"
    self.log(msg)
    return self.error_response(500, "Internal Server Error", None, TypeError(msg), request)


# peer-gone errors (errno): EPIPE, ECONNABORTED, ECONNRESET, ENOTCONN, ETIMEDOUT
_GONE = (32, 103, 104, 107, 110)


def cut(self, st, request, handler, exc):
    """A handler failed after the response head was sent: log it (unless
    the client went away), and close so that the client can tell the body
    is incomplete. Chunked and Content-Length bodies show it by ending
    early (no last chunk, fewer bytes); any other (close-delimited, or
    bytes the handler wrote itself) ends with a reset, not a clean close
    (where the port has SO_LINGER: not lwIP boards, which close plainly).
    The driver then closes the connection as after any error."""
    gone = isinstance(exc, OSError) and exc.args and exc.args[0] in _GONE
    if not gone:
        what = "%s %s: handler %s failed after the response head was sent " \
               "(the client gets an incomplete body): " % (
                   request.method, request.target, _name(handler))
        if isinstance(exc, HTTPError):
            self.log(what + "HTTPError %d %s" % (exc.status, exc.message))
        else:
            self.log(what + repr(exc))
            self.log_exception(exc)
    r = st.response
    if r is None or (r.framing != CHUNKED and r.framing != LENGTH):
        reset(st)


def reset(st):
    """Make the close of connection `st` (either driver's) an abortive
    one (SO_LINGER 0: RST), where the socket allows it."""
    w = getattr(st, "_s", None)          # the async driver's stream
    if w is None:
        s = getattr(st, "s", None)       # the sync driver's socket
    else:
        s = getattr(w, "raw", None) or getattr(w, "s", None)     # MicroPython
        if s is None and hasattr(w, "get_extra_info"):
            s = w.get_extra_info("socket")                       # CPython
    if s is None:
        return
    try:
        import socket
        import struct
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except Exception:
        pass        # a port without SO_LINGER: a plain close


_end = 1    # imported completely (see _compat.load)
