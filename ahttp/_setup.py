"""Setting an app up: route registration, app.static() and starting to
listen. Both drivers load it while the app is set up and drop it once they
serve (_compat.unload): nothing here is needed to answer a request, and on
a board every resident function costs heap. Registering a route after that
loads it again. No I/O here but start()'s listening socket.
"""
from ._compat import load, unload, MICROPYTHON


def route(app, method, path, name, extension):
    if path is None:
        method, path = "GET", method

    def route(handler):     # (a name interned already)
        app.add_route(method, path, handler, name, extension)
        return handler
    return route


def add_route(app, method, path, handler, name, extension):
    methods = (method,) if type(method) is str else method
    for m in methods:
        if " %s " % m.upper() not in " GET HEAD POST PUT DELETE OPTIONS PATCH TRACE CONNECT ":
            load("_mistakes").check_method(m, path, extension)
    if app._plain_module is not None and not (
            type(handler).__name__ == "generator"      # MicroPython's async def
            or getattr(getattr(handler, "__code__", None), "co_flags", 0) & 0x180):
        # a plain def (or other callable) on the async server: called
        # through an adapter that awaits what it returns only when that is
        # awaitable, so that the connection loop awaits every handler
        # alike and tests nothing per request
        handler = load(app._plain_module).Plain(handler)
    add(app.router, methods, path, handler)
    if app.body_module is not None:
        for m in methods:
            m = m.upper()
            if m == "POST" or m == "PUT" or m == "PATCH":
                # the request-body module, now while the heap is in one
                # piece (see AppCore.body_module)
                load(app.body_module)
    if name is None:
        name = getattr(handler, "__name__", None)
        if name is None or name in app.names:
            return      # stacked routes: the first one keeps the name
    app.names[name] = path


def static(app, prefix, directory, index, max_age, gzip):
    prefix = "/" + prefix.strip("/")
    if prefix != "/":
        prefix += "/"
    directory = directory.rstrip("/") or "/"
    opts = (directory, tuple(index), max_age, gzip)
    # the static-file module is loaded now, while the heap is in one
    # piece, not by the first request for a file in a heap the
    # connections have cut up (see AppCore.body_module); the handler holds
    # its respond() itself
    handler = app._static_handler(prefix, opts, load("_static").respond)
    r = app.router
    add(r, "GET", prefix + "<path:_file>", handler)
    add(r, "GET", prefix, handler)
    if prefix != "/":
        add(r, "GET", prefix[:-1], handler)
    return handler


# -- the route table (_app.Router) ------------------------------------------

def _compile(path):
    """Split a pattern into segments: a str is literal, a tuple is
    (converter, name). Returns None for a path with no parameters."""
    if "<" not in path:
        return None
    segs = path.split("/")
    out = []
    for i, seg in enumerate(segs):
        if seg.startswith("<") and seg.endswith(">"):
            spec = seg[1:-1]
            conv = "str"
            j = spec.find(":")
            if j >= 0:
                conv, spec = spec[:j], spec[j + 1:]
            if conv not in ("str", "int", "path") or not spec:
                raise ValueError("bad path parameter %r in %r" % (seg, path))
            if conv == "path" and i != len(segs) - 1:
                raise ValueError("<path:...> must be the last segment: " + path)
            for p in out:
                if type(p) is tuple and p[1] == spec:
                    raise ValueError("parameter <%s> twice in %r" % (spec, path))
            out.append((conv, spec))
        elif "<" in seg or ">" in seg:
            raise ValueError("a parameter must be a whole segment: " + path)
        else:
            out.append(seg)
    return tuple(out)


def add(router, methods, path, handler):
    """Route `methods` (a name or a sequence of names) at `path` to
    `handler` in `router`; a method routed there before is replaced."""
    if isinstance(methods, str):
        methods = (methods,)
    if not path.startswith("/"):
        raise ValueError("a route path must start with '/': " + path)
    pattern = _compile(path)
    dyn = router.dynamic
    at = -1
    if pattern is None:
        table = router.static.get(path, ())
    else:
        table = ()
        for i in range(len(dyn)):
            if dyn[i][0] == path:
                at = i
                table = dyn[i][2]
    for m in methods:      # the table with `handler` for each method
        m = m.upper()
        for i in range(0, len(table), 2):
            if table[i] == m:
                table = table[:i] + table[i + 2:]
                break
        table = table + (m, handler)
    if pattern is None:
        router.static[path] = table
    elif at < 0:
        dyn.append((path, pattern, table))
    else:
        dyn[at] = (path, pattern, table)


# -- the async driver's start ------------------------------------------------

async def start(app, asyncio, host, port, ssl):
    import sys
    app._stopped = asyncio.Event()
    app._stopping = False      # (started again after a stop())
    if not hasattr(asyncio.StreamReader, "readinto"):
        app._rmv = None
    srv = None
    if MICROPYTHON:
        # (its stream module by its loaded name: asyncio.stream, or
        # uasyncio.stream on MicroPython 1.20, see ahttp._aio)
        srv = getattr(sys.modules.get(asyncio.__name__ + ".stream"), "Server", None)
        loop = asyncio.get_event_loop()
        if getattr(loop, "get_exception_handler", lambda: None)() is None:
            loop.set_exception_handler(app._unretrieved)
    if srv is not None and hasattr(srv, "_serve"):
        # MicroPython: asyncio's socket setup with the server's accept
        # loop, which survives allocation failures (server._accept_loop)
        import socket
        from .server import _accept_loop
        ai = socket.getaddrinfo(host, port)[0]
        s = socket.socket()
        s.setblocking(False)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(ai[-1])
        s.listen(app.backlog)
        srv = srv()
        srv.state = False
        srv.task = asyncio.create_task(_accept_loop(s, app, ssl))
        await asyncio.sleep_ms(0)
        app._server = srv
    else:
        app._server = await asyncio.start_server(app._serve, host, port,
                                                 backlog=app.backlog, ssl=ssl)
    app._watchdog = asyncio.create_task(app._watch())
    serving()
    return app._server


def serving():
    """The app is set up and about to serve: this module goes (it comes
    back if a route is added later), and on a small heap the collector is
    set for serving."""
    unload("_setup")
    if MICROPYTHON:
        import gc       # the app is set up: see _compat
        if hasattr(gc, "threshold") and gc.threshold() == 4096:
            gc.collect()
            n = gc.mem_free()
            # little heap left to serve from: go on collecting, after a
            # third of it, so it stays in pieces big enough for requests;
            # plenty left: no threshold, as before
            gc.threshold(n // 3 if n < 65536 else -1)


_end = 1    # imported completely (see _compat.load)
