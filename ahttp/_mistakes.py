"""Answers to an app's mistakes, loaded only when one is made: a route
the router cannot take (an unknown method), a handler's return value
outside the handler contract (or one that cannot be encoded), a handler
failing after its response head was sent. No I/O here but the abortive
close (SO_LINGER) of a connection whose body broke.
"""
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


def bad_return(app, request, handler, value, exc):
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
    app.log(msg)
    return app.error_response(500, "Internal Server Error", None, TypeError(msg), request)


# peer-gone errors (errno): EPIPE, ECONNABORTED, ECONNRESET, ENOTCONN, ETIMEDOUT
_GONE = (32, 103, 104, 107, 110)


def cut(app, st, request, handler, exc):
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
            app.log(what + "HTTPError %d %s" % (exc.status, exc.message))
        else:
            app.log(what + repr(exc))
            app.log_exception(exc)
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
