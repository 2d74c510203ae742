"""The sync twin of basic.py: the same routes with plain `def` handlers on
ahttp.sync (runtimes sync-cpython / sync-micropython). Keep the two in step.

Runs unchanged on CPython and MicroPython. Options come from the
environment so one script serves every test module:
  AHTTP_HOST / AHTTP_PORT   where to listen
  AHTTP_OPTIONS             JSON object of HTTPServer keyword arguments
  AHTTP_STATIC_OPTIONS      JSON object of app.static() keyword arguments
Every route answers something a test can check byte for byte.
"""
import json
import os

from ahttp import HTTPError
from ahttp.sync import HTTPServer, HTTPResponse, sendfile, redirect

HERE = os.getenv("AHTTP_APP_DIR") or "."
WWW = HERE + "/www"

options = json.loads(os.getenv("AHTTP_OPTIONS") or "{}")
static_options = json.loads(os.getenv("AHTTP_STATIC_OPTIONS") or "{}")

app = HTTPServer(**options)


# -- return values -----------------------------------------------------------

@app.route("GET", "/")
def index(reader, writer, request):
    return "hello"


@app.route("GET", "/n/<int:n>")
def number(reader, writer, request):
    return str(request.params["n"])


@app.route("GET", "/bytes")
def raw_bytes(reader, writer, request):
    return b"\x00\x01\x02\xffbinary"


@app.route("GET", "/unicode")
def unicode_text(reader, writer, request):
    return "gr\u00fc\u00df dich \u2603"


@app.route("GET", "/dict")
def a_dict(reader, writer, request):
    return {"a": 1, "b": [1, 2], "s": "\u00e9", "t": True, "n": None}


@app.route("GET", "/list")
def a_list(reader, writer, request):
    return [1, "two", None, {"k": "v"}]


@app.route("GET", "/empty-str")
def empty_str(reader, writer, request):
    return ""


@app.route("GET", "/tuple2")
def tuple2(reader, writer, request):
    return "made", 201


@app.route("GET", "/tuple3")
def tuple3(reader, writer, request):
    return "teapot", 418, {"X-Custom": "yes", "Content-Type": "text/plain"}


@app.route("GET", "/tuple-dict")
def tuple_dict(reader, writer, request):
    return {"ok": True}, 202


@app.route("GET", "/response")
def response_obj(reader, writer, request):
    return HTTPResponse(203, "text/plain", headers={"X-From": "response"},
                        body="from response")


@app.route("GET", "/response-bytes")
def response_bytes(reader, writer, request):
    return HTTPResponse(200, "application/octet-stream", body=b"\xff\x00\xfe")


@app.route("GET", "/response-big")
def response_big(reader, writer, request):
    # larger than one write: the body goes out after the head
    return HTTPResponse(200, "text/plain", body=b"0123456789" * 1000)


@app.route("GET", "/response-sent")
def response_sent(reader, writer, request):
    # a response with a body, sent by the handler itself
    r = HTTPResponse(200, "text/plain", body="sent by handler")
    r.send(writer)


@app.route("GET", "/no-content")
def no_content(reader, writer, request):
    return HTTPResponse(204, None)


@app.route("GET", "/inject")
def inject(reader, writer, request):
    # a header value taken from the query: CR/LF in it must never reach
    # the wire as a new header line
    return "injected?", 200, {"X-Echo": request.args.get("v", "")}


@app.route("GET", "/http-error")
def http_error(reader, writer, request):
    raise HTTPError(403, "no entry here")


# -- close-delimited and chunked streaming -------------------------------

@app.route("GET", "/seed")
def seed(reader, writer, request):
    response = HTTPResponse(200, "text/html", close=True)
    response.send(writer)
    sendfile(writer, WWW + "/index.html")


@app.route("GET", "/seed-big")
def seed_big(reader, writer, request):
    response = HTTPResponse(200, "application/octet-stream", close=True)
    response.send(writer)
    sendfile(writer, WWW + "/big.bin")


@app.route("GET", "/raw-close")
def raw_close(reader, writer, request):
    response = HTTPResponse(200, "text/plain")
    response.send(writer)
    writer.write(b"part1-")
    writer.drain()
    writer.awrite(b"part2")


@app.route("GET", "/chunked")
def chunked(reader, writer, request):
    response = HTTPResponse(200, "text/plain", chunked=True)
    response.send(writer)
    response.write("alpha-")
    response.write(b"")          # must not end the body
    response.write(b"beta-")
    response.write("gamma")
    response.end()


@app.route("GET", "/stream/<int:count>")
def stream(reader, writer, request):
    # `count` chunks of 1 KB, one write each: long enough for a client to
    # go away in the middle.
    response = HTTPResponse(200, "application/octet-stream", chunked=True)
    response.send(writer)
    block = b"s" * 1023 + b"\n"
    for i in range(request.params["count"]):
        response.write(block)
    response.end()


@app.route("GET", "/raise")
def boom(reader, writer, request):
    raise ValueError("boom-marker-%d" % 42)


@app.route("GET", "/raise-memory")
def boom_memory(reader, writer, request):
    # what a handler meets when the heap is full
    raise MemoryError("memory-boom-marker")


@app.route("GET", "/raise-after-head")
def boom_late(reader, writer, request):
    response = HTTPResponse(200, "text/plain", close=True)
    response.send(writer)
    writer.awrite(b"partial")
    raise RuntimeError("late-boom-marker")


@app.route("GET", "/raise-in-chunked")
def boom_chunked(reader, writer, request):
    response = HTTPResponse(200, "text/plain", chunked=True)
    response.send(writer)
    response.write(b"first")
    raise RuntimeError("chunked-boom-marker")


# -- redirects and cookies -------------------------------------------------

@app.route("GET", "/redirect/<int:code>")
def redirect_route(reader, writer, request):
    return redirect("/target?from=%d" % request.params["code"],
                    request.params["code"])


@app.route("GET", "/target")
def target(reader, writer, request):
    return "target " + request.args.get("from", "")


@app.route("GET", "/set-cookie")
def set_cookie(reader, writer, request):
    r = HTTPResponse(200, "text/plain", body="cookies set")
    r.set_cookie("sid", "abc123", http_only=True, max_age=3600)
    r.set_cookie("theme", "dark", path="/app", same_site="Lax", secure=True)
    return r


@app.route("GET", "/delete-cookie")
def delete_cookie(reader, writer, request):
    r = HTTPResponse(200, "text/plain", body="cookie deleted")
    r.delete_cookie("sid")
    return r


@app.route("GET", "/cookies")
def cookies(reader, writer, request):
    return request.cookies


# -- request -----------------------------------------------------------------

def describe(request):
    return {
        "method": request.method,
        "path": request.path,
        "query_string": request.query_string,
        "args": request.args,
        "params": request.params,
        "headers": request.headers,
        "version": request.version,
        "client": list(request.client),
        "cookies": request.cookies,
        "content_length": request.content_length,
        "content_type": request.content_type,
    }


@app.route(["GET", "POST"], "/request")
def request_info(reader, writer, request):
    return describe(request)


@app.route("GET", "/request/<path:rest>")
def request_info_rest(reader, writer, request):
    return describe(request)


@app.route(["POST", "PUT", "PATCH"], "/echo")
def echo(reader, writer, request):
    body = request.read()
    return HTTPResponse(200, "application/octet-stream", body=body)


@app.route("POST", "/echo-info")
def echo_info(reader, writer, request):
    body = request.read()
    return {"len": len(body), "content_length": request.content_length,
            "content_type": request.content_type}


@app.route("POST", "/json")
def post_json(reader, writer, request):
    data = request.json()
    return {"got": data}


@app.route("POST", "/form")
def post_form(reader, writer, request):
    return request.form()


@app.route("POST", "/readinto")
def raw_readinto(reader, writer, request):
    # see basic.py
    buf = bytearray(4096)
    got = b""
    reads = 0
    while len(got) < request.content_length:
        k = reader.readinto(buf)
        if not k:
            break
        got += buf[:k]
        reads += 1
    return {"body": got.decode(), "reads": reads}


@app.route("POST", "/noread")
def noread(reader, writer, request):
    return "ignored"


# -- routing ---------------------------------------------------------------

@app.route("GET", "/users/<name>")
def user(reader, writer, request):
    return {"user": request.params["name"]}


@app.route("GET", "/users/me")       # declared after the parameter route
def user_me(reader, writer, request):
    return "me (static route)"


@app.route("GET", "/items/<int:id>")
def item(reader, writer, request):
    i = request.params["id"]
    return {"id": i, "is_int": isinstance(i, int)}


@app.route("GET", "/files/<path:rest>")
def files(reader, writer, request):
    return {"rest": request.params["rest"]}


@app.route("GET", "/pair/<a>/<int:b>")
def pair(reader, writer, request):
    return {"a": request.params["a"], "b": request.params["b"]}


@app.route("GET", "/stack1")
@app.route("GET", "/stack2")
@app.route("POST", "/stack2")
def stacked(reader, writer, request):
    return request.method + " " + request.path


@app.route(["GET", "POST", "DELETE"], "/methods")
def methods(reader, writer, request):
    return request.method


@app.route("GET", "/things")
def things_list(reader, writer, request):
    return "list of things"


@app.route("POST", "/things")
def things_create(reader, writer, request):
    return "created a thing", 201


def added_one(reader, writer, request):
    return "added one"


def added_two(reader, writer, request):
    return "added two " + request.method


def added_three(reader, writer, request):
    return {"added": request.params["x"]}


app.add_route("GET", "/added/one", added_one)
app.add_routes([
    (["GET", "PUT"], "/added/two", added_two),
    ("GET", "/added/three/<int:x>", added_three),
])


# -- static files ------------------------------------------------------------

app.static("/static", WWW, **static_options)
if os.getenv("AHTTP_ROOT_STATIC"):
    # a second mount at the root, after every route
    app.static("/", WWW)


host = os.getenv("AHTTP_HOST") or "127.0.0.1"
port = int(os.getenv("AHTTP_PORT") or "8080")
app.run(host, port)
