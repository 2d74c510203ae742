"""ahttp: a streaming-first HTTP/1.1 toolkit for MicroPython and CPython.

`from ahttp import HTTPServer, HTTPResponse, sendfile`. Importing ahttp
does not import asyncio: the server does that when it starts, so the sync
variant (ahttp.sync) works on ports without asyncio.
"""
from ._http import HTTPError
from .request import Request
from .response import HTTPResponse, sendfile, redirect
from .server import HTTPServer

__version__ = "0.1.0"
__all__ = ("HTTPServer", "HTTPResponse", "HTTPError", "Request", "sendfile",
           "redirect")
