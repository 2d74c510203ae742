"""Hello, world: the smallest ahttp app. Runs under micropython and python3.

    micropython examples/hello.py      # then open http://127.0.0.1:8080/

On a board (as main.py, see docs/install.md) it listens on every interface:
open http://<the board's address>:8080/.
"""
import os
import sys

try:
    from ahttp import HTTPServer
except ImportError:   # run from a checkout: the package is one level up
    sys.path.insert(0, (__file__.rsplit("/", 1)[0] if "/" in __file__ else ".") + "/..")
    from ahttp import HTTPServer

getenv = getattr(os, "getenv", None) or {}.get    # a board's os has no getenv

app = HTTPServer()


@app.route("GET", "/")
async def index(reader, writer, request):
    return "Hello, world!\n"


@app.route("GET", "/hello/<name>")
async def hello(reader, writer, request):
    return {"hello": request.params["name"]}


# a PC: this machine only (AHTTP_HOST changes it); a board (its os has no
# getenv): every interface, as it is reached at its Wi-Fi address
host = getenv("AHTTP_HOST") or ("127.0.0.1" if hasattr(os, "getenv") else "0.0.0.0")
port = int(getenv("AHTTP_PORT") or 8080)
print("serving on http://%s:%d/" % (host, port))
app.run(host, port)
