"""The sync twin of contract.py: the same routes with plain `def` handlers
on ahttp.sync (runtimes sync-cpython / sync-micropython), plus an `async
def` handler that registration refuses (its message is in /refused). Keep
the two in step. GET /stop stops the server (app.stop()); start() is then
called again, and /runs says how many times.
"""
import json
import os

from ahttp import abort
from ahttp.sync import HTTPServer, HTTPResponse, sendfile

HOST = os.getenv("AHTTP_HOST") or "127.0.0.1"
PORT = int(os.getenv("AHTTP_PORT") or "8080")

app = HTTPServer(**json.loads(os.getenv("AHTTP_OPTIONS") or "{}"))
state = {"runs": 0, "stopping": None}

# Registration mistakes, refused at once: their messages, for the tests.
refused = {}
try:
    app.route("GTE", "/typo")(lambda r, w, q: "never")
except ValueError as e:
    refused["method"] = str(e)
try:
    app.route("GET", "/item/<id>/<id>")(lambda r, w, q: "never")
except ValueError as e:
    refused["repeated"] = str(e)
try:
    app.route("BREW COFFEE", "/pot", extension=True)(lambda r, w, q: "never")
except ValueError as e:
    refused["token"] = str(e)
try:
    @app.route("GET", "/async")
    async def an_async_handler(reader, writer, request):
        return "never"
except TypeError as e:
    refused["async"] = str(e)


@app.route("GET", "/refused")
def refused_list(reader, writer, request):
    return refused


@app.route("PROPFIND", "/dav", extension=True)
def dav(reader, writer, request):
    return "propfind"


@app.route("GET", "/hello")
def hello(reader, writer, request):
    return "hello"


@app.route("GET", "/runs")
def runs(reader, writer, request):
    return str(state["runs"])


@app.route("GET", "/stop")
def stop(reader, writer, request):
    app.stop()          # start() returns after this request
    return "stopping"


# -- plain def handlers ---------------------------------------------------


@app.route("GET", "/plain")
def plain(reader, writer, request):
    return "plain def"


@app.route("GET", "/plain-json")
def plain_json(reader, writer, request):
    return {"plain": True}


@app.route("GET", "/plain-tuple")
def plain_tuple(reader, writer, request):
    return "made", 201


@app.route("GET", "/plain-awaitable")
def plain_awaitable(reader, writer, request):
    return "awaited " + request.path        # (nothing is awaited here)


@app.route("GET", "/plain-abort")
def plain_abort(reader, writer, request):
    abort(409)


# -- return values ----------------------------------------------------------


@app.route("GET", "/body-headers")
def body_headers(reader, writer, request):
    return "body", {"X-A": "1"}


@app.route("GET", "/body-header-list")
def body_header_list(reader, writer, request):
    return {"ok": 1}, [("X-A", "1"), ("X-B", "2")]


@app.route("GET", "/status-only")
def status_only(reader, writer, request):
    return None, 204


@app.route("GET", "/swapped")
def swapped(reader, writer, request):
    return 404, "not found"


@app.route("GET", "/str-status")
def str_status(reader, writer, request):
    return "gone", "404"


@app.route("GET", "/bad-status")
def bad_status(reader, writer, request):
    return "huge", 1000


@app.route("GET", "/four")
def four(reader, writer, request):
    return "a", 200, {}, 1


@app.route("GET", "/bare-int")
def bare_int(reader, writer, request):
    return 204


@app.route("GET", "/float")
def a_float(reader, writer, request):
    return 1.5


@app.route("GET", "/object")
def an_object(reader, writer, request):
    return object()


@app.route("GET", "/json-bytes")
def json_bytes(reader, writer, request):
    return {"b": b"raw"}


@app.route("GET", "/json-object")
def json_object(reader, writer, request):
    return {"o": [1, {"deep": object()}]}


@app.route("GET", "/json-key")
def json_key(reader, writer, request):
    return {(1, 2): "tuple key"}


@app.route("GET", "/json-bytes-status")
def json_bytes_status(reader, writer, request):
    return {"b": b"raw"}, 201


@app.route("GET", "/bad-headers")
def bad_headers(reader, writer, request):
    return "x", 200, "X-A: 1"


# -- errors after the head --------------------------------------------------


@app.route("GET", "/missing")
def missing(reader, writer, request):
    sendfile(writer, "no-such-file.html")


@app.route("GET", "/missing-after-head")
def missing_after_head(reader, writer, request):
    HTTPResponse(200, "text/html", close=True).send(writer)
    sendfile(writer, "no-such-file.html")


@app.route("GET", "/chunked-raise")
def chunked_raise(reader, writer, request):
    resp = HTTPResponse(200, "text/plain", chunked=True)
    resp.send(writer)
    resp.write("first part")
    raise ValueError("broke mid-body")


@app.route("GET", "/length-raise")
def length_raise(reader, writer, request):
    resp = HTTPResponse(200, "text/plain", content_length=100)
    resp.send(writer)
    resp.write("ten bytes!")
    raise ValueError("broke mid-body")


@app.route("GET", "/abort-after-head")
def abort_after_head(reader, writer, request):
    HTTPResponse(200, "text/plain", chunked=True).send(writer)
    abort(500)


# -- Flask / microdot habits ------------------------------------------------


def _find(name):
    if name != "known":
        abort(404, "no item " + name)
    return {"item": name}


@app.route("GET", "/find/<name>")
def find(reader, writer, request):
    return _find(request.params["name"])


@app.route("GET", "/abort-default")
def abort_default(reader, writer, request):
    abort(403)


@app.get("/verbs")
def verbs_get(reader, writer, request):
    return "get"


@app.post("/verbs")
def verbs_post(reader, writer, request):
    return "post " + (request.read()).decode()


@app.put("/verbs")
def verbs_put(reader, writer, request):
    return "put"


@app.patch("/verbs")
def verbs_patch(reader, writer, request):
    return "patch"


@app.delete("/verbs")
def verbs_delete(reader, writer, request):
    return "delete"


# -- lifecycle --------------------------------------------------------------


while True:
    state["runs"] += 1
    print("EVENT started", state["runs"])
    app.start(HOST, PORT)               # returns after stop()
