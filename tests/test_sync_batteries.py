"""The batteries without asyncio in them (ahttp.cors, auth, session,
template, multipart) on the blocking server, on every runtime it runs on:
CPython, MicroPython and MicroPython v1.11 (Pycom's WiPy firmware)."""
import httpx
import pytest

from conftest import NO_ASYNCIO

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(scope="module", params=["cpython", "micropython", "micropython-1.11"])
def app(request, start_app_module):
    return start_app_module("tests/apps/sync_batteries.py", request.param,
                            extra_path=[NO_ASYNCIO])


def test_cors_echoes_a_listed_origin_only(app):
    r = httpx.get(app.url + "/api", headers={"Origin": "http://page.example"}, timeout=10)
    assert r.json() == {"ok": True}
    assert r.headers["access-control-allow-origin"] == "http://page.example"
    r = httpx.get(app.url + "/api", headers={"Origin": "http://evil.example"}, timeout=10)
    assert "access-control-allow-origin" not in r.headers


def test_basic_auth_401_then_200(app):
    r = httpx.get(app.url + "/admin", timeout=10)
    assert r.status_code == 401
    assert r.headers["www-authenticate"].startswith('Basic realm="box"')
    assert httpx.get(app.url + "/admin", auth=("admin", "nope"), timeout=10).status_code == 401
    r = httpx.get(app.url + "/admin", auth=("admin", "s3cret"), timeout=10)
    assert (r.status_code, r.text) == (200, "hi admin")


def test_session_cookie_round_trip(app):
    with httpx.Client(base_url=app.url, timeout=10) as c:
        assert c.get("/me").json() == {"user": None}
        assert c.post("/login", data={"user": "ann"}).text == "ok"
        assert c.get("/me").json() == {"user": "ann"}
    forged = {"session": "eyJ1c2VyIjoiZXZlIn0.9999999999.AAAA"}
    assert httpx.get(app.url + "/me", cookies=forged, timeout=10).json() == {"user": None}


def test_template_streams_escaped_chunks(app):
    r = httpx.get(app.url + "/page", timeout=10)
    assert r.headers["transfer-encoding"] == "chunked"
    assert r.text == "<ul><li>a&lt;b</li><li>c</li><li>d</li></ul>\n"


def test_multipart_upload_is_streamed(app):
    data = bytes(range(256)) * 40
    r = httpx.post(app.url + "/upload", data={"note": "n1"},
                   files={"file": ("a.bin", data, "application/octet-stream")}, timeout=10)
    assert r.json() == {"note": "n1", "name": "a.bin", "bytes": len(data)}
    r = httpx.post(app.url + "/upload", content=b"x", timeout=10,
                   headers={"Content-Type": "text/plain"})
    assert r.status_code == 415
