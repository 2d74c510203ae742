"""Basic and Bearer auth (ahttp.auth): 401 with WWW-Authenticate, 403,
constant-time comparison. Pytest and, as a script, MicroPython."""
import sys
try:
    import ahttp  # noqa: F401
except ImportError:
    import os
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from batteries_util import run, main, MICROPYTHON

import binascii

from ahttp import HTTPServer
from ahttp.auth import BasicAuth, BearerAuth, equal
from ahttp.testing import TestClient


def basic(user, password):
    return {"Authorization": "Basic " + binascii.b2a_base64(
        (user + ":" + password).encode()).decode().strip()}


def make_app():
    app = HTTPServer()
    b = BasicAuth({"admin": "s3cret", "bob": "pw"}, realm="box")
    t = BearerAuth({"tok-1": "robot"})

    @app.route("GET", "/basic")
    @b.required
    async def basic_page(reader, writer, request):
        return {"user": request.user}

    @app.route("GET", "/admin")
    @b.require(lambda user, request: user == "admin")
    async def admin(reader, writer, request):
        return "admin only"

    @app.route("GET", "/token")
    @t.required
    async def token_page(reader, writer, request):
        return {"who": request.user}

    @app.route("GET", "/check")
    async def check(reader, writer, request):
        return {"user": b.check(request)}
    return app


def get(app, path, headers=None):
    async def go():
        return await TestClient(app).get(path, headers=headers)
    return run(go())


def test_equal_compares_str_and_bytes():
    assert equal("abc", b"abc") and not equal("abc", "abd")
    assert not equal("abc", "abcd") and equal("", "")


def test_basic_accepts_right_credentials():
    app = make_app()
    r = get(app, "/basic", basic("admin", "s3cret"))
    assert r.status == 200 and r.json() == {"user": "admin"}
    assert get(app, "/check", basic("bob", "pw")).json() == {"user": "bob"}


def test_basic_refuses_with_401_and_a_challenge():
    app = make_app()
    for h in (None, basic("admin", "wrong"), basic("nobody", "s3cret"),
              {"Authorization": "Basic !!!"}, {"Authorization": "Bearer x"},
              {"Authorization": "Basic " + binascii.b2a_base64(b"nocolon").decode().strip()}):
        r = get(app, "/basic", h)
        assert r.status == 401, (h, r.status)
        assert r.header("WWW-Authenticate") == 'Basic realm="box", charset="UTF-8"'


def test_require_answers_403_to_the_wrong_user():
    app = make_app()
    assert get(app, "/admin", basic("bob", "pw")).status == 403
    assert get(app, "/admin", basic("admin", "s3cret")).text == "admin only"
    assert get(app, "/admin").status == 401


def test_bearer_token():
    app = make_app()
    r = get(app, "/token", {"Authorization": "Bearer tok-1"})
    assert r.status == 200 and r.json() == {"who": "robot"}
    r = get(app, "/token", {"Authorization": "Bearer tok-2"})
    assert r.status == 401
    assert r.header("WWW-Authenticate") == 'Bearer realm="api", error="invalid_token"'
    r = get(app, "/token")
    assert r.status == 401 and r.header("WWW-Authenticate") == 'Bearer realm="api"'


def test_bearer_with_a_verify_function():
    t = BearerAuth(verify=lambda tok: "dev" if tok == "abc" else None)

    class R:
        headers = {"authorization": "bearer abc"}
    assert t.check(R()) == "dev"
    R.headers = {"authorization": "Bearer nope"}
    assert t.user(R()) is None


if not MICROPYTHON:
    def test_auth_tests_pass_under_micropython():
        from batteries_util import run_under_micropython
        run_under_micropython(__file__)

if __name__ == "__main__":
    main(globals())

