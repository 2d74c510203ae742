"""ahttp: a streaming-first HTTP/1.1 toolkit for MicroPython and CPython.

`from ahttp import HTTPServer, HTTPResponse, sendfile`. The public names are
loaded on first use (module __getattr__), so `import ahttp.sync` on a port
without asyncio loads none of the async driver, and importing ahttp never
imports asyncio: the server does that when it starts.
"""
from ._http import HTTPError, abort

__version__ = "0.1.0"
__all__ = ("HTTPServer", "HTTPResponse", "HTTPError", "Request", "sendfile",
           "redirect", "abort")


def __getattr__(name):
    if name == "HTTPServer":
        from .server import HTTPServer as v
    elif name in ("HTTPResponse", "sendfile", "redirect"):
        from . import response
        v = getattr(response, name)
    elif name == "Request":
        from .request import Request as v
    else:
        # MicroPython asks here before importing a submodule named in
        # `from . import name`: import it.
        if name[:2] == "__":
            raise AttributeError(name)
        try:
            __import__("ahttp." + name)
        except ImportError:
            raise AttributeError(name)
        return globals()[name]
    globals()[name] = v
    return v
