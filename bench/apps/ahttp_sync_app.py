"""ahttp.sync bench app (measured only once ahttp/sync.py exists): the same
10 routes as ahttp_app.py with plain def handlers and blocking sockets.
Env: AHTTP_HOST, AHTTP_PORT."""
import gc
import os
import sys

from ahttp.sync import HTTPServer

app = HTTPServer()


def heap():
    gc.collect()
    gc.collect()
    return gc.mem_alloc() if hasattr(gc, "mem_alloc") else -1


@app.route("GET", "/hello")
def hello(reader, writer, request):
    return "Hello, world!\n"


@app.route("GET", "/_mem")
def mem(reader, writer, request):
    return str(heap())


@app.route("GET", "/_mods")
def mods(reader, writer, request):
    return " ".join(sorted(m for m in sys.modules if m.split(".")[0] == "ahttp"))


@app.route("GET", "/")
def index(reader, writer, request):
    return "index\n"


@app.route("GET", "/user/<int:uid>")
def user(reader, writer, request):
    return {"user": request.params["uid"]}


@app.route("GET", "/item/<name>")
def item(reader, writer, request):
    return {"item": request.params["name"]}


@app.route("GET", "/files/<path:rest>")
def files(reader, writer, request):
    return request.params["rest"]


@app.route("POST", "/echo")
def echo(reader, writer, request):
    return request.read()


@app.route(["GET", "POST"], "/form")
def form(reader, writer, request):
    return "form\n"


@app.route("GET", "/status")
def status(reader, writer, request):
    return {"ok": True}


host = os.getenv("AHTTP_HOST") or "127.0.0.1"
port = int(os.getenv("AHTTP_PORT") or 8080)
print("bench-heap-app %d" % heap())
app.start(host, port)
