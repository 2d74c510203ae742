"""AppCore: options, the route table and the decisions both drivers share.

A driver (server.py for asyncio, sync.py for blocking sockets) subclasses
AppCore and adds only I/O: accepting, reading, writing, waiting. Routing,
error pages, turning return values into responses and logging live here.
"""
import sys

from ._http import HTTPError, Limits, NO_ROOM, isdigits
from ._response import make_response, error_body
from ._compat import print_exception, format_exception, cold, load, ticks_ms, ticks_diff, const

_LOG_BURST = const(10)


# -- the route table ------------------------------------------------------
# Static paths are looked up in a dict first, whatever the declaration
# order; parameterised patterns are tried in declaration order. Routes are
# added by ahttp._setup.add, which compiles their patterns.

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


class AppCore:
    # Response: the driver's HTTPResponse class (sync.HTTPServer's attribute;
    # the async server loads it on first use, see server.HTTPServer.__getattr__)
    # The module whose Plain adapts a plain def handler to the driver (the
    # async one awaits every handler); None: handlers are called as they are
    _plain_module = None
    # The driver's request-body module, loaded with the first route that
    # takes a body (POST, PUT, PATCH) while the heap is still in one piece.
    # Loaded by the first request with a body instead, it has to find room
    # in a heap the connections have cut up (at 64k that failed).
    body_module = None

    def __init__(self, debug, log, access_log, backlog, send_chunk, **limits):
        # (the drivers' __init__ name every option, with its default)
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
        if name in ("get", "post", "put", "patch", "delete"):
            # @app.get(path), ...: @app.route("GET", path), ...
            m = name.upper()
            return lambda path, name=None: self.route(m, path, name)
        # add_routes, errorhandler, before/after_request, log_access and
        # the hooks' runners: ahttp._app_cold, loaded on first use
        # (static() is a method of its own: most apps serve files, and
        # loading that module would cost a board all its interned names)
        return cold(self, "_app_cold", name)

    def route(self, method, path=None, name=None, extension=False):
        """Decorator: `@app.route("GET", "/x")`, `@app.route(["GET", "POST"],
        "/y")`; stackable. `@app.route("/z")` means GET. `name` (default:
        the handler's name) is what url_for() knows the route by.

        `method` is an HTTP method (GET HEAD POST PUT DELETE OPTIONS PATCH
        TRACE CONNECT, any case); any other is a ValueError (a typo such as
        "GTE" fails here, not as a 405 later) unless `extension=True` says
        it is an extension method (PROPFIND, ...), which must be a token.
        A path repeating a parameter name is a ValueError too."""
        return load("_setup").route(self, method, path, name, extension)

    def add_route(self, method, path, handler, name=None, extension=False):
        """What route() does, without the decorator."""
        load("_setup").add_route(self, method, path, handler, name, extension)

    def static(self, prefix, directory, index=("index.html", "index.htm"),
               max_age=None, gzip=True):
        """Serve the files under `directory` at URL `prefix` (index files,
        MIME types, .gz variants, ETag/304, Range); never a path outside
        `directory`. Returns the handler it mounted."""
        return load("_setup").static(self, prefix, directory, index, max_age, gzip)

    def mount(self, prefix, app, name=None):
        """Serve the routes of another app under `prefix` (see
        ahttp._app_cold.mount)."""
        load("_app_cold").mount(self, prefix, app, name)

    def url_for(self, name, **params):
        """The path of the route called `name` with its <parameters>
        filled in (percent-encoded); other params become the query string.
        ValueError for an unknown name or a missing parameter."""
        return load("_app_cold").url_for(self, name, **params)

    # -- decisions -------------------------------------------------------

    def match(self, request):
        """(handler, params) or (None, allow) for an automatic OPTIONS."""
        if request.path == "*":
            if request.method == "OPTIONS":
                return None, ", ".join(self.router.methods())
            raise HTTPError(400, "asterisk target is only for OPTIONS")
        return self.router.match(request.method, request.path)

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
                return make_response(self.Response, value)
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
        OPTIONS. Returns (response, None) to send, or (None, keep): whether
        what was sent allows another request, None when it failed part way
        or the handler took the socket over (for _response.verdict()).
        `st` is the driver's connection (`written`, `taken`, `response`)."""
        if exc is not None:
            if st.taken:
                # a peer that went away mid-stream (OSError, ws
                # ConnectionClosed) is normal for SSE/WebSocket: no traceback
                if not isinstance(exc, (OSError, HTTPError)):
                    self.log_exception(exc)
                return None, None
            if st.written:
                # the head is out: log it, and end so that the client sees
                # an incomplete body (ahttp._mistakes). Not for a full heap
                # (no room to load that module now) or a client gone.
                if isinstance(exc, MemoryError):
                    self.log_exception(exc)
                elif not isinstance(exc, OSError):
                    load("_mistakes").cut(self, st, request, handler, exc)
                return None, None
            if isinstance(exc, HTTPError):
                return self.error_response(exc.status, exc.message, exc.headers,
                                           exc, request), None
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
            return None, None
        if result is None:
            if st.written:
                r = st.response
                self.access(request, st)
                return None, r is not None and r.keep
            result = self.Response(204, None)
        elif st.written:
            self.log("handler both wrote a response and returned a value: "
                     + request.target)
            return None, None
        if not isinstance(result, self.Response):
            try:
                result = make_response(self.Response, result)
            except MemoryError:
                raise       # no room now: the driver's 503, which a client may retry
            except Exception as e:
                # not a shape of the contract, or one that cannot be encoded:
                # a 500 naming the handler (ahttp._mistakes)
                result = load("_mistakes").bad_return(self, request, handler, result, e)
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
