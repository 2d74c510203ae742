"""AppCore's rarely used code: route lists, error handlers, hooks, mounts,
url_for and the access log line. Loaded on first use through
AppCore.__getattr__. No I/O here.
"""
from ._compat import load


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
    add = load("_setup").add
    r = app.router
    tables = list(r.static.items()) + [(p, t) for p, _, t in r.dynamic]
    for path, t in tables:        # t: (METHOD, handler, ...)
        for i in range(0, len(t), 2):
            if path == "/" and prefix:
                add(self.router, t[i], prefix, t[i + 1])
            add(self.router, t[i], prefix + path, t[i + 1])
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


_end = 1    # imported completely (see _compat.load)
