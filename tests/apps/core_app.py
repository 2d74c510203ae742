"""What package-core.json installs, exercised: a page and a short SSE
stream, importing nothing outside the core subset (tests/test_install.py
runs it from an installed .mpy tree).

Env: AHTTP_HOST/AHTTP_PORT.
"""
import os

import ahttp
from ahttp import HTTPServer
from ahttp.sse import EventSource

app = HTTPServer()


@app.route("GET", "/")
async def index(reader, writer, request):
    return "Hello from %s\n" % ahttp.__file__


@app.route("GET", "/events")
async def events(reader, writer, request):
    es = await EventSource(reader, writer)
    for i in range(3):
        await es.send({"i": i}, event="tick", id=i)
    await es.send("done", event="end")


app.run(os.getenv("AHTTP_HOST") or "127.0.0.1", int(os.getenv("AHTTP_PORT") or "8080"))
