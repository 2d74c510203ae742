"""AppCore: options, routes and the decisions both drivers share.

A driver (server.py for asyncio, sync.py for blocking sockets) subclasses
AppCore and adds only I/O: accepting, reading, writing, waiting. Routing,
error pages, turning return values into responses and logging live here.
"""
import sys

from ._http import HTTPError, Limits
from ._route import Router
from ._response import make_response, error_body
from ._compat import print_exception, format_exception


class AppCore:
    Response = None      # set by the driver: its HTTPResponse class

    def __init__(self, debug=False, log=None, access_log=None, backlog=32,
                 send_chunk=1024, **limits):
        self.limits = Limits(**limits)
        self.debug = debug
        self.router = Router()
        self.backlog = backlog
        self.send_chunk = send_chunk
        self._log = log
        self.access_log = access_log
        self.error_handlers = {}

    # -- routes ----------------------------------------------------------

    def route(self, method, path=None):
        """Decorator: `@app.route("GET", "/x")`, `@app.route(["GET", "POST"],
        "/y")`; stackable. `@app.route("/z")` means GET."""
        if path is None:
            method, path = "GET", method

        def deco(handler):
            self.router.add(method, path, handler)
            return handler
        return deco

    def add_route(self, method, path, handler):
        self.router.add(method, path, handler)

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

    # -- decisions -------------------------------------------------------

    def match(self, request):
        """(handler, params) or (None, allow) for an automatic OPTIONS."""
        if request.path == "*":
            if request.method == "OPTIONS":
                return None, ", ".join(self.router.methods())
            raise HTTPError(400, "asterisk target is only for OPTIONS")
        return self.router.match(request.method, request.path)

    def render(self, value):
        return make_response(self.Response, value)

    def error_response(self, status, message=None, headers=None, exc=None,
                       request=None):
        """The response for an error: a registered error handler's, or a
        short plain-text page (with the traceback in debug mode)."""
        h = self.error_handlers.get(status)
        if h is None and exc is not None:
            for cls, f in self.error_handlers.items():
                if not isinstance(cls, int) and isinstance(exc, cls):
                    h = f
                    break
        if h is not None and request is not None:
            try:
                return self.render(h(request, exc))
            except Exception as e:
                self.log_exception(e)
        detail = format_exception(exc) if (self.debug and exc is not None
                                           and status == 500) else None
        resp = self.Response(status, "text/plain; charset=utf-8", headers=headers,
                             body=error_body(status, message or "Error", detail))
        return resp

    # -- logging ---------------------------------------------------------

    def log(self, msg):
        if self._log is not None:
            self._log(msg)
        else:
            print(msg)

    def log_exception(self, exc):
        if self._log is not None:
            self._log(format_exception(exc))
        else:
            print_exception(exc, sys.stderr if hasattr(sys, "stderr") else None)

    def log_access(self, request, status, nbytes):
        al = self.access_log
        if al is True:
            c = request.client
            self.log('%s "%s %s HTTP/%s" %d %d' % (
                c[0] if isinstance(c, tuple) else c, request.method, request.target,
                request.version, status, nbytes))
        elif al is not None:
            al(request, status, nbytes)
