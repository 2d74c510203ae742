"""Signed-cookie sessions (ahttp.session): HMAC-SHA256 from hashlib,
expiry, tampering, cookie attributes, a login flow through the test client.
Pytest and, as a script, MicroPython."""
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
from ahttp.session import Sessions, Session, hmac_sha256
from ahttp.testing import TestClient

SECRET = "0123456789abcdef-secret"


class Clock:
    t = 1000000

    def __call__(self):
        return self.t


class Req:
    def __init__(self, cookie=None):
        self.cookies = {"session": cookie} if cookie else {}


def test_hmac_sha256_matches_rfc4231_case_2():
    mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?")
    assert binascii.hexlify(mac) == (b"5bdcc146bf60754e6a042426089575c7"
                                     b"5a003f089d2739839dec58b964ec3843")


def test_hmac_sha256_long_key_case_6():
    mac = hmac_sha256(b"\xaa" * 131, b"Test Using Larger Than Block-Size Key - Hash Key First")
    assert binascii.hexlify(mac) == (b"60e431591ee0b67f0d8a26aacbf5b77f"
                                     b"8e0bc6213728c5140546040f0ee37f54")


def test_round_trip():
    s = Sessions(SECRET, clock=Clock())
    v = s.dumps({"user": "admin", "n": [1, 2]})
    assert s.loads(v)[0] == {"user": "admin", "n": [1, 2]}
    assert s.load(Req(v))["user"] == "admin"


def test_tampered_cookie_gives_an_empty_session():
    s = Sessions(SECRET, clock=Clock())
    v = s.dumps({"user": "bob"})
    body, exp, sig = v.split(".")
    forged = Sessions("another secret of 16+ bytes", clock=Clock()).dumps({"user": "admin"})
    for bad in (v[:-1] + ("A" if v[-1] != "A" else "B"), body + "." + str(int(exp) + 99) + "." + sig,
                forged, "garbage", "a.b.c", "", v + "x"):
        sess = s.load(Req(bad))
        assert len(sess) == 0 and sess.get("user") is None, bad


def test_expired_cookie_gives_an_empty_session():
    clock = Clock()
    s = Sessions(SECRET, max_age=60, clock=clock)
    v = s.dumps({"user": "a"})
    clock.t += 59
    assert s.load(Req(v)).get("user") == "a"
    clock.t += 1
    assert s.load(Req(v)).get("user") is None


def test_cookie_attributes():
    s = Sessions(SECRET, cookie="sid", max_age=120, path="/app", http_only=True,
                 same_site="Strict", secure=True, clock=Clock())
    name, value = s.header(Session({"a": 1}))
    assert name == "Set-Cookie"
    parts = value.split("; ")
    assert parts[0].startswith("sid=")
    assert parts[1:] == ["Max-Age=120", "Path=/app", "Secure", "HttpOnly", "SameSite=Strict"]
    name, value = s.header(Session({}))
    assert value.startswith("sid=; Max-Age=0;")


def test_short_secret_is_refused():
    try:
        Sessions("short")
    except ValueError:
        return
    raise AssertionError("a short secret was accepted")


def test_login_flow_through_the_client():
    app = HTTPServer()
    sessions = Sessions(SECRET)

    @app.route("POST", "/login")
    async def login(reader, writer, request):
        s = sessions.load(request)
        s["user"] = (await request.form())["user"]
        return "ok", 200, [sessions.header(s)]

    @app.route("GET", "/me")
    async def me(reader, writer, request):
        return {"user": sessions.load(request).get("user")}

    @app.route("POST", "/logout")
    async def logout(reader, writer, request):
        s = sessions.load(request)
        s.clear()
        return "bye", 200, [sessions.header(s)]

    async def go():
        c = TestClient(app)
        assert (await c.get("/me")).json() == {"user": None}
        r = await c.post("/login", form={"user": "ann"})
        assert "HttpOnly" in r.header("Set-Cookie") and "session" in c.cookies
        assert (await c.get("/me")).json() == {"user": "ann"}
        c.cookies["session"] = c.cookies["session"].replace("ey", "eZ", 1)
        assert (await c.get("/me")).json() == {"user": None}
        await c.post("/login", form={"user": "ann"})
        await c.post("/logout")
        assert "session" not in c.cookies
    run(go())


if not MICROPYTHON:
    def test_session_tests_pass_under_micropython():
        from batteries_util import run_under_micropython
        run_under_micropython(__file__)

if __name__ == "__main__":
    main(globals())

