"""The handler contract's test app: every handler mistake a new user makes
(tests/test_contract.py), each on a route of its own, beside /hello.

Runs unchanged on CPython and MicroPython; tests/apps/contract_sync.py is
its twin on ahttp.sync. Environment:
  AHTTP_HOST / AHTTP_PORT   where to listen
  AHTTP_OPTIONS             JSON object of HTTPServer keyword arguments
  CONTRACT_MODE             "run": app.run() again after each stop;
                            "start": app.start() again in one event loop
GET /stop stops the server with a plain `app.stop()` (not awaited); it is
then started again, and /runs says how many times it has been started.
"""
import asyncio
import json
import os

from ahttp import HTTPServer, HTTPResponse, sendfile, abort

HOST = os.getenv("AHTTP_HOST") or "127.0.0.1"
PORT = int(os.getenv("AHTTP_PORT") or "8080")
MODE = os.getenv("CONTRACT_MODE") or "run"

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


@app.route("GET", "/async")
async def an_async_handler(reader, writer, request):
    return "async def"      # (the sync twin's registration refuses this)


@app.route("GET", "/refused")
async def refused_list(reader, writer, request):
    return refused


@app.route("PROPFIND", "/dav", extension=True)
async def dav(reader, writer, request):
    return "propfind"


@app.route("GET", "/hello")
async def hello(reader, writer, request):
    return "hello"


@app.route("GET", "/runs")
async def runs(reader, writer, request):
    return str(state["runs"])


@app.route("GET", "/stop")
def stop(reader, writer, request):
    state["stopping"] = app.stop(grace=0.5)     # not awaited: it stops anyway
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


async def _later(request):
    return "awaited " + request.path


@app.route("GET", "/plain-awaitable")
def plain_awaitable(reader, writer, request):
    return _later(request)      # a coroutine: awaited


@app.route("GET", "/plain-abort")
def plain_abort(reader, writer, request):
    abort(409)


# -- return values ----------------------------------------------------------


@app.route("GET", "/body-headers")
async def body_headers(reader, writer, request):
    return "body", {"X-A": "1"}


@app.route("GET", "/body-header-list")
async def body_header_list(reader, writer, request):
    return {"ok": 1}, [("X-A", "1"), ("X-B", "2")]


@app.route("GET", "/status-only")
async def status_only(reader, writer, request):
    return None, 204


@app.route("GET", "/swapped")
async def swapped(reader, writer, request):
    return 404, "not found"


@app.route("GET", "/str-status")
async def str_status(reader, writer, request):
    return "gone", "404"


@app.route("GET", "/bad-status")
async def bad_status(reader, writer, request):
    return "huge", 1000


@app.route("GET", "/four")
async def four(reader, writer, request):
    return "a", 200, {}, 1


@app.route("GET", "/bare-int")
async def bare_int(reader, writer, request):
    return 204


@app.route("GET", "/float")
async def a_float(reader, writer, request):
    return 1.5


@app.route("GET", "/object")
async def an_object(reader, writer, request):
    return object()


@app.route("GET", "/json-bytes")
async def json_bytes(reader, writer, request):
    return {"b": b"raw"}


@app.route("GET", "/json-object")
async def json_object(reader, writer, request):
    return {"o": [1, {"deep": object()}]}


@app.route("GET", "/json-key")
async def json_key(reader, writer, request):
    return {(1, 2): "tuple key"}


@app.route("GET", "/json-bytes-status")
async def json_bytes_status(reader, writer, request):
    return {"b": b"raw"}, 201


@app.route("GET", "/bad-headers")
async def bad_headers(reader, writer, request):
    return "x", 200, "X-A: 1"


# -- errors after the head --------------------------------------------------


@app.route("GET", "/missing")
async def missing(reader, writer, request):
    await sendfile(writer, "no-such-file.html")


@app.route("GET", "/missing-after-head")
async def missing_after_head(reader, writer, request):
    await HTTPResponse(200, "text/html", close=True).send(writer)
    await sendfile(writer, "no-such-file.html")


@app.route("GET", "/chunked-raise")
async def chunked_raise(reader, writer, request):
    resp = HTTPResponse(200, "text/plain", chunked=True)
    await resp.send(writer)
    await resp.write("first part")
    raise ValueError("broke mid-body")


@app.route("GET", "/length-raise")
async def length_raise(reader, writer, request):
    resp = HTTPResponse(200, "text/plain", content_length=100)
    await resp.send(writer)
    await resp.write("ten bytes!")
    raise ValueError("broke mid-body")


@app.route("GET", "/abort-after-head")
async def abort_after_head(reader, writer, request):
    await HTTPResponse(200, "text/plain", chunked=True).send(writer)
    abort(500)


# -- Flask / microdot habits ------------------------------------------------


def _find(name):
    if name != "known":
        abort(404, "no item " + name)
    return {"item": name}


@app.route("GET", "/find/<name>")
async def find(reader, writer, request):
    return _find(request.params["name"])


@app.route("GET", "/abort-default")
async def abort_default(reader, writer, request):
    abort(403)


@app.get("/verbs")
async def verbs_get(reader, writer, request):
    return "get"


@app.post("/verbs")
async def verbs_post(reader, writer, request):
    return "post " + (await request.read()).decode()


@app.put("/verbs")
async def verbs_put(reader, writer, request):
    return "put"


@app.patch("/verbs")
async def verbs_patch(reader, writer, request):
    return "patch"


@app.delete("/verbs")
async def verbs_delete(reader, writer, request):
    return "delete"


# -- lifecycle --------------------------------------------------------------


async def serve_in_one_loop():
    while True:
        state["runs"] += 1
        await app.start(HOST, PORT)
        print("EVENT started", state["runs"])
        while state["stopping"] is None:
            await asyncio.sleep(0.05)
        await state["stopping"]         # the task stop() returned
        state["stopping"] = None


if MODE == "start":
    asyncio.run(serve_in_one_loop())
else:
    while True:
        state["runs"] += 1
        print("EVENT started", state["runs"])
        app.run(HOST, PORT)             # returns after stop()
        state["stopping"] = None
