"""Hooks and structure in the core (both servers run the hooks):
before_request / after_request, error handlers by status and by
exception class, mounting a sub-application, url_for. Pytest and, as a
script, MicroPython."""
import sys
try:
    import ahttp  # noqa: F401
except ImportError:
    import os
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from batteries_util import run, main, MICROPYTHON

from ahttp import HTTPServer, HTTPResponse, HTTPError
from ahttp.testing import TestClient


def get(app, path, **kw):
    async def go():
        return await TestClient(app).request(kw.pop("method", "GET"), path, **kw)
    return run(go())


def test_before_request_can_answer_instead_of_the_handler():
    app = HTTPServer()
    calls = []

    @app.before_request
    def gate(request):
        calls.append(request.params)
        if request.headers.get("x-key") != "k":
            return {"error": "no key"}, 401
        return None

    @app.route("GET", "/item/<int:id>")
    async def item(reader, writer, request):
        return {"id": request.params["id"]}

    r = get(app, "/item/3")
    assert r.status == 401 and r.json() == {"error": "no key"}
    r = get(app, "/item/4", headers={"X-Key": "k"})
    assert r.status == 200 and r.json() == {"id": 4}
    assert calls == [{"id": 3}, {"id": 4}]


def test_before_request_may_raise_http_errors():
    app = HTTPServer()

    @app.before_request
    def gate(request):
        raise HTTPError(403, "closed")

    @app.route("GET", "/")
    async def index(reader, writer, request):
        return "never"
    r = get(app, "/")
    assert r.status == 403 and r.text == "403 closed\n"


def test_after_request_sees_every_kind_of_response():
    app = HTTPServer()

    @app.after_request
    def stamp(request, response):
        response.add_header("X-Hook", request.method + " " + str(response.status))

    @app.route("GET", "/value")
    async def value(reader, writer, request):
        return {"fast": "path"}

    @app.route("GET", "/streamed")
    async def streamed(reader, writer, request):
        resp = HTTPResponse(200, "text/plain", chunked=True)
        await resp.send(writer)
        await resp.write("x")
        await resp.end()

    @app.route("POST", "/value")
    async def post_value(reader, writer, request):
        return "ok", 201

    assert get(app, "/value").header("X-Hook") == "GET 200"
    assert get(app, "/value").json() == {"fast": "path"}
    assert get(app, "/value", method="POST").header("X-Hook") == "POST 201"
    assert get(app, "/streamed").header("X-Hook") == "GET 200"
    assert get(app, "/missing").header("X-Hook") == "GET 404"
    assert get(app, "/value", method="OPTIONS").header("X-Hook") == "OPTIONS 204"


def test_a_failing_after_hook_is_logged_and_the_response_still_goes_out():
    logged = []
    app = HTTPServer(log=logged.append)

    @app.after_request
    def broken(request, response):
        raise ValueError("hook bug")

    @app.route("GET", "/")
    async def index(reader, writer, request):
        return "fine"
    r = get(app, "/")
    assert r.status == 200 and r.text == "fine"
    assert "hook bug" in "".join(logged)


def test_error_handlers_by_status_and_by_exception_class():
    app = HTTPServer(log=lambda m: None)

    class Boom(Exception):
        pass

    @app.errorhandler(404)
    def not_found(request, exc):
        return {"missing": request.path}

    @app.errorhandler(Boom)
    def boom(request, exc):
        return "boom handled", 503

    @app.errorhandler(ValueError)
    def bad(request, exc):
        return HTTPResponse(422, "text/plain", body="bad value")

    @app.route("GET", "/boom")
    async def b(reader, writer, request):
        raise Boom()

    @app.route("GET", "/value")
    async def v(reader, writer, request):
        raise ValueError("x")

    @app.route("GET", "/other")
    async def o(reader, writer, request):
        raise KeyError("x")

    r = get(app, "/nope")
    assert r.status == 404 and r.json() == {"missing": "/nope"}
    r = get(app, "/boom")
    assert r.status == 503 and r.text == "boom handled"
    r = get(app, "/value")
    assert r.status == 422 and r.text == "bad value"
    assert get(app, "/other").status == 500


def make_sub():
    sub = HTTPServer()

    @sub.before_request
    def only_sub(request):
        request.seen = True
        return None

    @sub.after_request
    def tag(request, response):
        response.add_header("X-Sub", "1")

    @sub.route("GET", "/")
    async def home(reader, writer, request):
        return "sub home"

    @sub.route("GET", "/users/<int:id>", name="user")
    async def user(reader, writer, request):
        return {"id": request.params["id"], "seen": getattr(request, "seen", False)}
    return sub


def test_mount_serves_a_sub_application_under_a_prefix():
    app = HTTPServer()

    @app.route("GET", "/")
    async def index(reader, writer, request):
        return {"seen": getattr(request, "seen", False)}
    app.mount("/api/v1", make_sub(), name="api")

    r = get(app, "/api/v1/users/5")
    assert r.json() == {"id": 5, "seen": True} and r.header("X-Sub") == "1"
    assert get(app, "/api/v1").text == "sub home"
    assert get(app, "/api/v1/").text == "sub home"
    r = get(app, "/")
    assert r.json() == {"seen": False} and r.header("X-Sub") is None
    assert get(app, "/api/v1x/users/5").status == 404


def test_url_for_builds_paths_from_route_names():
    app = HTTPServer()

    @app.route("GET", "/files/<path:rest>")
    async def files(reader, writer, request):
        return ""

    @app.route("GET", "/items/<int:id>/<slug>", name="item")
    async def item_view(reader, writer, request):
        return ""

    @app.route("GET", "/")
    async def index(reader, writer, request):
        return ""
    app.mount("/api", make_sub(), name="api")

    assert app.url_for("index") == "/"
    assert app.url_for("item", id=7, slug="a b/é") == "/items/7/a%20b%2F%C3%A9"
    assert app.url_for("files", rest="a/b c.txt") == "/files/a/b%20c.txt"
    assert app.url_for("item", id=1, slug="x", page=2, q="a&b") == "/items/1/x?page=2&q=a%26b"
    assert app.url_for("api.user", id=3) == "/api/users/3"
    assert app.url_for("api.home") == "/api"
    for args in (("nope",), ("item",)):
        try:
            app.url_for(*args)
            raise AssertionError("url_for%r did not fail" % (args,))
        except ValueError:
            pass


if not MICROPYTHON:
    def test_hooks_tests_pass_under_micropython():
        from batteries_util import run_under_micropython
        run_under_micropython(__file__)

if __name__ == "__main__":
    main(globals())

