"""Every feature of the contract in one app, for the smallest heaps an app
like this starts and serves at (.mpy files, source; tests/test_small_heap.py):
14 routes (every return shape, HTTPResponse with a body and streamed,
sendfile, parameters, query, JSON and form bodies, redirect, abort), an
event stream, a WebSocket echo and static files.
"""
import os

from ahttp import HTTPServer, HTTPResponse, sendfile, redirect, abort
from ahttp.sse import EventSource
from ahttp.ws import WebSocket

HERE = __file__.rsplit("/", 1)[0] if "/" in __file__ else "."
app = HTTPServer()
items = {}


@app.route("GET", "/")
async def hello(reader, writer, request):
    return "Hello, world!"


@app.route("GET", "/json")
async def as_json(reader, writer, request):
    return {"hello": "world", "n": [1, 2, 3]}


@app.route("GET", "/tuple")
async def as_tuple(reader, writer, request):
    return "made", 201, {"X-Shape": "tuple"}


@app.route("GET", "/bytes")
async def as_bytes(reader, writer, request):
    return b"\x00\x01\x02"


@app.route("GET", "/response")
async def response(reader, writer, request):
    await HTTPResponse(200, "text/plain", body=b"with a body").send(writer)


@app.route("GET", "/stream")
async def stream(reader, writer, request):
    resp = HTTPResponse(200, "text/plain")
    await resp.send(writer)
    for i in range(3):
        await resp.write("part %d\n" % i)
    await resp.end()


@app.route("GET", "/file")
async def file(reader, writer, request):
    await HTTPResponse(200, "text/plain").send(writer)
    await sendfile(writer, HERE + "/www/readme.txt")


@app.route("GET", "/items/<int:id>")
async def get_item(reader, writer, request):
    i = request.params["id"]
    if i not in items:
        abort(404, "no such item")
    return items[i]


@app.route("PUT", "/items/<int:id>")
async def put_item(reader, writer, request):
    items[request.params["id"]] = await request.json()
    return {"id": request.params["id"]}, 201


@app.route("DELETE", "/items/<int:id>")
async def del_item(reader, writer, request):
    items.pop(request.params["id"], None)
    return "", 204


@app.route("POST", "/form")
async def form(reader, writer, request):
    f = await request.form()
    return {"name": f.get("name"), "q": request.args.get("q")}


@app.route("GET", "/old")
async def old(reader, writer, request):
    return redirect("/")


@app.route("GET", "/events")
async def events(reader, writer, request):
    es = await EventSource(reader, writer, request)
    for i in range(3):
        await es.send({"i": i}, event="tick", id=i)


@app.route("GET", "/ws")
async def echo(reader, writer, request):
    ws = await WebSocket.accept(reader, writer, request)
    async for msg in ws:
        await ws.send(msg)


app.static("/static", HERE + "/www")
app.run(os.getenv("AHTTP_HOST") or "127.0.0.1", int(os.getenv("AHTTP_PORT")))
