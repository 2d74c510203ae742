"""The batteries that need no asyncio (cors, auth, session, template,
multipart) on the blocking server: run directly (not a twin) under CPython,
MicroPython and MicroPython v1.11 by tests/test_sync_batteries.py."""
import os

from ahttp.sync import HTTPServer, HTTPResponse
from ahttp.auth import BasicAuth
from ahttp.cors import CORS
from ahttp.multipart import read_form_sync
from ahttp.session import Sessions
from ahttp.template import Template

app = HTTPServer(max_body=64 * 1024)
CORS(app, origins=["http://page.example"])
basic = BasicAuth({"admin": "s3cret"}, realm="box")
sessions = Sessions("a test secret, long enough", max_age=600)
page = Template("<ul>{% for n in items %}<li>{{ n }}</li>{% endfor %}</ul>\n", "page.html")


@app.route("GET", "/api")
def api(reader, writer, request):
    return {"ok": True}


@app.route("GET", "/admin")
@basic.require(lambda user, request: user == "admin")
def admin(reader, writer, request):
    return "hi " + request.user


@app.route("POST", "/login")
def login(reader, writer, request):
    s = sessions.load(request)
    s["user"] = request.form()["user"]
    return "ok", 200, [sessions.header(s)]


@app.route("GET", "/me")
def me(reader, writer, request):
    return {"user": sessions.load(request).get("user")}


@app.route("GET", "/page")
def render(reader, writer, request):
    resp = HTTPResponse(200, "text/html; charset=utf-8", chunked=True)
    resp.send(writer)
    page.render_sync(resp, items=["a<b", "c", "d"], buffer=8)
    resp.end()


@app.route("POST", "/upload")
def upload(reader, writer, request):
    form = read_form_sync(request, dest=None, max_size=32 * 1024)
    f = form.files["file"]
    return {"note": form.fields.get("note"), "name": f.filename, "bytes": f.size}


app.run(os.getenv("AHTTP_HOST") or "127.0.0.1", int(os.getenv("AHTTP_PORT") or 8080))
