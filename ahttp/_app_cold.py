"""AppCore's rarely used code: route lists, error handlers, static mounts
and the access log line. Loaded on first use through AppCore.__getattr__.
No I/O here.
"""


def add_routes(self, routes):
    """Add a list of (method, path, handler) triples."""
    for method, path, handler in routes:
        self.router.add(method, path, handler)


def errorhandler(self, key):
    """Decorator: handler for a status code or an exception class. It is
    called as `handler(request, exc)` and returns a value like a route."""
    def deco(f):
        self.error_handlers[key] = f
        return f
    return deco


def static(self, prefix, directory, index=("index.html", "index.htm"),
           max_age=None, gzip=True):
    """Serve files under `directory` at URL `prefix`."""
    prefix = "/" + prefix.strip("/")
    if prefix != "/":
        prefix += "/"
    directory = directory.rstrip("/") or "/"
    opts = (directory, tuple(index), max_age, gzip)
    handler = self._static_handler(prefix, opts)
    self.router.add("GET", prefix + "<path:_file>", handler)
    self.router.add("GET", prefix, handler)
    if prefix != "/":
        self.router.add("GET", prefix[:-1], handler)
    return handler


def static_plan(self, request, prefix, opts):
    from . import _static
    directory, index, max_age, gzip = opts
    sub = request.path[len(prefix):] if request.path.startswith(prefix) else ""
    return _static.plan(request, directory, sub, index, max_age, gzip)


def static_response(self, request, prefix, opts):
    """(response, path, offset, length) for a static request: send the
    response, then stream `length` bytes of `path` from `offset` when
    `path` is not None."""
    status, headers, path, offset, length = self.static_plan(request, prefix, opts)
    resp = self.Response(status, None, headers=headers,
                         content_length=length if path is not None else None,
                         body=None if path is not None else b"")
    if not length:
        path = None
    return resp, path, offset, length


def log_access(self, request, status, nbytes):
    al = self.access_log
    if al is True:
        c = request.client
        self.log('%s "%s %s HTTP/%s" %d %d' % (
            c[0] if isinstance(c, tuple) else c, request.method, request.target,
            request.version, status, nbytes))
    elif al is not None:
        al(request, status, nbytes)
