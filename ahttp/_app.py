"""AppCore: options, routes and the decisions both drivers share.

A driver (server.py for asyncio, sync.py for blocking sockets) subclasses
AppCore and adds only I/O: accepting, reading, writing, waiting. Routing,
error pages, turning return values into responses and logging live here.
"""
import sys

from ._http import HTTPError, Limits, NO_ROOM
from ._route import Router
from ._response import make_response, error_body, CLOSE
from ._compat import print_exception, format_exception, cold, load, ticks_ms, ticks_diff, const

_LOG_BURST = const(10)


class AppCore:
    Response = None      # set by the driver: its HTTPResponse class
    # The driver's request-body module, loaded with the first route that
    # takes a body (POST, PUT, PATCH) while the heap is still in one piece.
    # Loaded by the first request with a body instead, it has to find room
    # in a heap the connections have cut up (at 64k that failed).
    body_module = None

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
        self.before_hooks = []   # [(path prefix or "", f)]
        self.after_hooks = []
        self.names = {}          # route name -> path pattern (url_for)

    # -- routes ----------------------------------------------------------

    def __getattr__(self, name):
        # add_routes, errorhandler, static,
        # log_access, url_for, mount, before/after_request and running the
        # hooks: ahttp._app_cold, loaded on first use
        return cold(self, "_app_cold", name)

    def route(self, method, path=None, name=None):
        """Decorator: `@app.route("GET", "/x")`, `@app.route(["GET", "POST"],
        "/y")`; stackable. `@app.route("/z")` means GET. `name` (default:
        the handler's name) is what url_for() knows the route by."""
        if path is None:
            method, path = "GET", method

        def deco(handler):
            self.add_route(method, path, handler, name)
            return handler
        return deco

    def add_route(self, method, path, handler, name=None):
        self.router.add(method, path, handler)
        if self.body_module is not None:
            for m in (method,) if type(method) is str else method:
                m = m.upper()         # as the router stores it
                if m == "POST" or m == "PUT" or m == "PATCH":
                    load(self.body_module)
        if name is None:
            name = getattr(handler, "__name__", None)
            if name is None or name in self.names:
                return      # stacked routes: the first one keeps the name
        self.names[name] = path

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
                value = h(request, exc)
                if not isinstance(value, (tuple, self.Response)):
                    value = (value, status)   # the error's status by default
                return self.render(value)
            except Exception as e:
                self.log_exception(e)
        detail = format_exception(exc) if (self.debug and exc is not None
                                           and status == 500) else None
        resp = self.Response(status, "text/plain; charset=utf-8", headers=headers,
                             body=error_body(status, message or "Error", detail))
        return resp

    def outcome(self, st, request, handler, params, result, exc):
        """What to answer once a handler is done, when the inline fast path
        (a plain returned value) did not: the handler raised, wrote its own
        response, returned an HTTPResponse, or the request was an automatic
        OPTIONS. Returns (response, None) to send, after which the
        connection stays open if `response.keep` and it is not
        close-delimited, or (None, keep) when nothing is to be sent.
        `st` is the driver's connection (`written`, `taken`, `response`)."""
        if exc is not None:
            if isinstance(exc, HTTPError):
                if st.written:
                    return None, False
                return self.error_response(exc.status, exc.message, exc.headers,
                                           exc, request), None
            if st.written or st.taken:
                # a peer that went away mid-stream (OSError, ws
                # ConnectionClosed) is normal for SSE/WebSocket: no traceback
                if not isinstance(exc, OSError):
                    self.log_exception(exc)
                return None, False
            if exc is not NO_ROOM:      # (a refused stream: nothing broken)
                self.log_exception(exc)
            if isinstance(exc, MemoryError):
                # the heap is full for now, not the handler broken: 503,
                # which a client may retry (the server's own MemoryErrors
                # before a response get the same, see server._serve)
                resp = self.error_response(503, "Out of memory, try again", [("Retry-After", "1")])
            else:
                resp = self.error_response(500, "Internal Server Error", None, exc, request)
            resp.close = True
            return resp, None
        if handler is None:
            result = self.Response(204, None, headers=[("Allow", params)])
        if st.taken:
            return None, False
        if result is None:
            if st.written:
                r = st.response
                self.access(request, st)
                return None, r is not None and r.keep and r.framing != CLOSE
            result = self.Response(204, None)
        elif st.written:
            self.log("handler both wrote a response and returned a value: "
                     + request.target)
            return None, False
        if not isinstance(result, self.Response):
            try:
                result = self.render(result)
            except Exception as e:
                self.log_exception(e)
                result = self.error_response(500, "Internal Server Error", None, e, request)
        return result, None

    def access(self, request, st):
        if self.access_log is not None and request is not None:
            self.log_access(request, st.status, st.written)

    # -- logging ---------------------------------------------------------

    def log(self, msg):
        if self._log is not None:
            self._log(msg)
        else:
            print(msg)

    # At most _LOG_BURST tracebacks per 10 s; past that, failures are
    # counted and the count logged in one line: an overloaded board must
    # not spend its time and heap writing the same traceback thousands of
    # times. [start of the interval (ticks_ms), failures in it]
    _logged = None

    def log_exception(self, exc):
        now = ticks_ms()
        c = self._logged
        if c is None:
            c = self._logged = [now, 0]
        elif ticks_diff(now, c[0]) >= 10000:
            if c[1] > _LOG_BURST:
                self.log("ahttp: %d more errors in %d s, not logged one by one" % (
                    c[1] - _LOG_BURST, ticks_diff(now, c[0]) // 1000))
            c[0] = now
            c[1] = 0
        c[1] += 1
        if c[1] > _LOG_BURST:
            return
        if self._log is not None:
            self._log(format_exception(exc))
        else:
            print_exception(exc, sys.stderr if hasattr(sys, "stderr") else None)
