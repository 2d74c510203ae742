"""CORS (ahttp.cors) through the real server loop, in-process: simple and
preflight requests, allowed and refused origins, credentials, Vary.
Runs under pytest and, as a script, under MicroPython."""
import sys
try:
    import ahttp  # noqa: F401
except ImportError:
    import os
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from batteries_util import run, main, MICROPYTHON
from ahttp import HTTPServer
from ahttp.cors import CORS
from ahttp.testing import TestClient

A = "http://a.example"


def make_app(**opts):
    app = HTTPServer()
    CORS(app, **opts)

    @app.route(["GET", "POST", "PUT"], "/api/x")
    async def x(reader, writer, request):
        return {"ok": True}

    @app.route("DELETE", "/api/items/<int:id>")
    async def rm(reader, writer, request):
        return "", 204
    return app


def call(app, method, path, headers):
    async def go():
        return await TestClient(app).request(method, path, headers=headers)
    return run(go())


def test_any_origin_gets_a_star_without_vary():
    r = call(make_app(), "GET", "/api/x", {"Origin": A})
    assert r.status == 200 and r.json() == {"ok": True}
    assert r.header("Access-Control-Allow-Origin") == "*"
    assert r.header("Vary") is None
    assert r.header("Access-Control-Allow-Credentials") is None


def test_listed_origin_is_echoed_with_vary_origin():
    app = make_app(origins=[A, "http://b.example"])
    r = call(app, "GET", "/api/x", {"Origin": A})
    assert r.header("Access-Control-Allow-Origin") == A
    assert r.header("Vary") == "Origin"


def test_unlisted_origin_gets_no_allow_origin():
    r = call(make_app(origins=[A]), "GET", "/api/x", {"Origin": "http://evil.example"})
    assert r.status == 200
    assert r.header("Access-Control-Allow-Origin") is None
    assert r.header("Vary") == "Origin"


def test_request_without_origin_gets_no_cors_headers():
    r = call(make_app(), "GET", "/api/x", {})
    assert r.header("Access-Control-Allow-Origin") is None


def test_credentials_with_star_echo_the_origin():
    r = call(make_app(credentials=True), "GET", "/api/x", {"Origin": A})
    assert r.header("Access-Control-Allow-Origin") == A
    assert r.header("Access-Control-Allow-Credentials") == "true"
    assert r.header("Vary") == "Origin"


def test_exposed_headers_on_actual_requests():
    r = call(make_app(expose=["X-Total", "X-Page"]), "GET", "/api/x", {"Origin": A})
    assert r.header("Access-Control-Expose-Headers") == "X-Total, X-Page"


def test_preflight_is_answered_for_every_route():
    app = make_app(origins=[A], headers=["Content-Type", "X-Token"], max_age=600)
    h = {"Origin": A, "Access-Control-Request-Method": "PUT",
         "Access-Control-Request-Headers": "content-type"}
    r = call(app, "OPTIONS", "/api/x", h)
    assert r.status == 204
    assert r.header("Access-Control-Allow-Origin") == A
    assert r.header("Access-Control-Allow-Methods") == "GET, HEAD, OPTIONS, POST, PUT"
    assert r.header("Access-Control-Allow-Headers") == "Content-Type, X-Token"
    assert r.header("Access-Control-Max-Age") == "600"
    h["Access-Control-Request-Method"] = "DELETE"
    r = call(app, "OPTIONS", "/api/items/7", h)
    assert r.status == 204
    assert r.header("Access-Control-Allow-Methods") == "DELETE, OPTIONS"


def test_preflight_for_a_method_not_allowed_is_refused():
    app = make_app(methods=["GET", "POST"])
    r = call(app, "OPTIONS", "/api/x", {"Origin": A, "Access-Control-Request-Method": "PUT"})
    assert r.header("Access-Control-Allow-Origin") is None
    assert r.header("Access-Control-Allow-Methods") is None
    r = call(app, "OPTIONS", "/api/x", {"Origin": A, "Access-Control-Request-Method": "POST"})
    assert r.header("Access-Control-Allow-Methods") == "GET, POST"


def test_star_headers_echo_what_the_preflight_asks():
    r = call(make_app(headers="*"), "OPTIONS", "/api/x", {
        "Origin": A, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "x-a, x-b"})
    assert r.header("Access-Control-Allow-Headers") == "x-a, x-b"


def test_error_responses_carry_cors_headers_too():
    r = call(make_app(), "GET", "/nope", {"Origin": A})
    assert r.status == 404 and r.header("Access-Control-Allow-Origin") == "*"


def test_vary_is_merged_with_an_existing_vary():
    app = make_app(origins=[A])

    @app.route("GET", "/v")
    async def v(reader, writer, request):
        return "x", 200, [("Vary", "Accept-Encoding")]
    r = call(app, "GET", "/v", {"Origin": A})
    assert r.header_list("Vary") == ["Accept-Encoding, Origin"]


if not MICROPYTHON:
    def test_cors_tests_pass_under_micropython():
        from batteries_util import run_under_micropython
        run_under_micropython(__file__)

if __name__ == "__main__":
    main(globals())
