"""A small app for the small-heap runs: hello, a REST resource, static files.

Kept short on purpose: on a small heap the script's own bytecode
counts against the same heap as the server.
"""
import os

from ahttp import HTTPServer

app = HTTPServer()
items = {}


@app.route("GET", "/")
async def hello(reader, writer, request):
    return "hello"


@app.route("GET", "/api/items")
async def list_items(reader, writer, request):
    return sorted(items)


@app.route("PUT", "/api/items/<int:id>")
async def put_item(reader, writer, request):
    items[request.params["id"]] = await request.json()
    return {"id": request.params["id"]}, 201


@app.route("GET", "/api/items/<int:id>")
async def get_item(reader, writer, request):
    i = request.params["id"]
    if i not in items:
        return {"error": "no such item"}, 404
    return items[i]


@app.route("DELETE", "/api/items/<int:id>")
async def del_item(reader, writer, request):
    items.pop(request.params["id"], None)
    return "", 204


app.static("/static", "www")
app.run(os.getenv("AHTTP_HOST") or "127.0.0.1", int(os.getenv("AHTTP_PORT")))
