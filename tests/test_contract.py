"""The handler contract: every mistake a handler makes gets an answer, on
both runtimes and both servers (tests/apps/contract.py and its sync twin),
over real sockets; Flask / microdot habits (plain def handlers on the async
server, (body, headers), abort, @app.get ...) work; registration refuses
what would fail later; a server starts again after stop().
"""
import json
import os
import socket
import subprocess
import sys
import time

import httpx
import pytest

from conftest import ALL_RUNTIMES, ASYNC_RUNTIMES, SYNC_RUNTIMES, NO_ASYNCIO, ROOT, \
    micropython_exe

pytestmark = pytest.mark.timeout(120)

APP = "tests/apps/contract.py"
MAX_CONN = 4


@pytest.fixture(scope="module", params=ALL_RUNTIMES)
def server(request, start_app_module):
    return start_app_module(APP, request.param,
                            env={"AHTTP_OPTIONS": json.dumps({"max_connections": MAX_CONN})})


def get(server, path, **kw):
    return httpx.get(server.url + path, timeout=10, **kw)


def fetch(port, path, timeout=10.0, head_only=False):
    """(bytes received, whether the connection ended with a reset) for one
    request on a fresh connection, read until the server closes it (with
    `head_only`, until the response head is in)."""
    s = socket.create_connection(("127.0.0.1", port), timeout)
    data = b""
    reset = False
    try:
        s.sendall(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        while not (head_only and b"\r\n\r\n" in data):
            try:
                b = s.recv(65536)
            except ConnectionResetError:
                reset = True
                break
            if not b:
                break
            data += b
    finally:
        s.close()
    return data, reset


def log_after(server, mark, needle, timeout=5.0):
    """The part of the server's log after `mark` (a length), once it holds
    `needle` (logs are written asynchronously)."""
    deadline = time.monotonic() + timeout
    while True:
        text = server.log()[mark:]
        if needle in text or time.monotonic() > deadline:
            return text
        time.sleep(0.05)


# -- handlers ---------------------------------------------------------------


@pytest.mark.parametrize("path,body,ctype,status", [
    ("/plain", "plain def", "text/html; charset=utf-8", 200),
    ("/plain-json", '{"plain": true}', "application/json", 200),
    ("/plain-tuple", "made", "text/html; charset=utf-8", 201),
    ("/plain-awaitable", "awaited /plain-awaitable", "text/html; charset=utf-8", 200),
    ("/plain-abort", "409 Conflict\n", "text/plain; charset=utf-8", 409),
])
def test_plain_def_handler_answers_on_every_server(server, path, body, ctype, status):
    r = get(server, path)
    assert (r.status_code, r.headers["content-type"], r.text) == (status, ctype, body)


def test_async_def_handler_is_refused_by_the_sync_server_at_registration(server):
    refused = get(server, "/refused").json()
    r = get(server, "/async")
    if server.runtime in SYNC_RUNTIMES:
        assert "an_async_handler" in refused["async"]
        assert "write it as a plain def" in refused["async"]
        assert r.status_code == 404
    else:
        assert "async" not in refused
        assert (r.status_code, r.text) == (200, "async def")


# -- return values ----------------------------------------------------------


def test_body_with_headers_dict(server):
    r = get(server, "/body-headers")
    assert (r.status_code, r.headers["content-type"], r.headers["x-a"], r.text) == \
        (200, "text/html; charset=utf-8", "1", "body")


def test_body_with_headers_list_of_pairs(server):
    r = get(server, "/body-header-list")
    assert (r.status_code, r.headers["content-type"], r.headers["x-a"], r.headers["x-b"]) == \
        (200, "application/json", "1", "2")
    assert r.json() == {"ok": 1}


def test_none_and_a_status_is_a_status_only_answer(server):
    r = get(server, "/status-only")
    assert (r.status_code, r.content, "content-type" in r.headers) == (204, b"", False)


# (path, handler name, what the log says it returned, a phrase of the reason)
MISTAKES = [
    ("/swapped", "swapped", "tuple (int, str)", "the body comes first"),
    ("/str-status", "str_status", "tuple (str, str)", "not str"),
    ("/bad-status", "bad_status", "tuple (str, int)", "from 100 to 599, not 1000"),
    ("/four", "four", "tuple (str, int, dict, int)", "not 4 items"),
    ("/bare-int", "bare_int", "int", "return (None, 204)"),
    ("/float", "a_float", "float", "not float"),
    ("/object", "an_object", "object", "not object"),
    ("/bad-headers", "bad_headers", "tuple (str, int, str)", "not str"),
    ("/json-bytes", "json_bytes", "dict", "bytes is not JSON serializable"),
    ("/json-object", "json_object", "dict", "object is not JSON serializable"),
    ("/json-key", "json_key", "dict", "tuple"),
    ("/json-bytes-status", "json_bytes_status", "tuple (dict, int)",
     "bytes is not JSON serializable"),
]


@pytest.mark.parametrize("path,name,kind,why", MISTAKES, ids=[m[0] for m in MISTAKES])
def test_a_value_outside_the_contract_is_a_500_naming_handler_and_type(server, path, name,
                                                                          kind, why):
    mark = len(server.log())
    r = get(server, path)
    assert (r.status_code, r.headers["content-type"], r.text) == \
        (500, "text/plain; charset=utf-8", "500 Internal Server Error\n")
    line = [ln for ln in log_after(server, mark, "handler " + name).splitlines()
            if "handler " + name + " returned" in ln]
    assert line, server.log()[mark:]
    assert line[0].startswith("GET %s: handler %s returned %s: " % (path, name, kind)), line
    assert why in line[0], line
    # the connection was answered in full: the next request on it works too
    with httpx.Client(timeout=10) as c:
        assert c.get(server.url + path).status_code == 500
        assert c.get(server.url + "/hello").text == "hello"


# -- after the head ---------------------------------------------------------


def test_sendfile_of_a_missing_file_before_anything_was_sent_is_404(server):
    r = get(server, "/missing")
    assert (r.status_code, r.text) == (404, "404 file not found\n")


def test_missing_file_after_a_close_delimited_head_ends_with_a_reset(server):
    mark = len(server.log())
    data, reset = fetch(server.port, "/missing-after-head")
    # the head may or may not reach the client before the reset; a clean
    # close (what the client would take for a complete empty body) never
    assert reset, data
    assert data == b"" or data.startswith(b"HTTP/1.1 200 OK\r\n"), data
    text = log_after(server, mark, "missing_after_head failed")
    assert ("GET /missing-after-head: handler missing_after_head failed after the response "
            "head was sent (the client gets an incomplete body): HTTPError 404 file not found"
            ) in text, text


def test_handler_raising_mid_chunked_body_sends_no_last_chunk(server):
    mark = len(server.log())
    data, reset = fetch(server.port, "/chunked-raise")
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK\r\n") and b"Transfer-Encoding: chunked" in head
    assert body == b"a\r\nfirst part\r\n"       # and no 0\r\n\r\n
    with pytest.raises(httpx.RemoteProtocolError):
        get(server, "/chunked-raise")
    text = log_after(server, mark, "broke mid-body")
    assert "handler chunked_raise failed after the response head was sent" in text
    assert "broke mid-body" in text


def test_handler_raising_mid_length_body_sends_fewer_bytes(server):
    data, reset = fetch(server.port, "/length-raise")
    head, _, body = data.partition(b"\r\n\r\n")
    assert b"Content-Length: 100\r\n" in head and body == b"ten bytes!"
    with pytest.raises(httpx.RemoteProtocolError):
        get(server, "/length-raise")


def test_abort_after_the_head_is_logged_and_the_body_left_incomplete(server):
    mark = len(server.log())
    with pytest.raises(httpx.RemoteProtocolError):
        get(server, "/abort-after-head")
    text = log_after(server, mark, "abort_after_head")
    assert "handler abort_after_head failed after the response head was sent" in text
    assert "HTTPError 500" in text


# -- every mistake frees its connection slot ----------------------------------

ROWS = ["/plain", "/body-headers", "/swapped", "/str-status", "/json-bytes",
        "/json-object", "/bare-int", "/missing", "/missing-after-head",
        "/chunked-raise", "/length-raise", "/async"]


def test_each_mistake_answers_and_frees_its_slot(server):
    for path in ROWS:
        for i in range(MAX_CONN + 5):
            # (the client hangs up once it has the head: a slot the
            # server keeps after that is one it never frees)
            data, reset = fetch(server.port, path, head_only=True)
            assert data.startswith(b"HTTP/1.1 ") or (reset and not data), (path, i, data)
            assert not data.startswith(b"HTTP/1.1 503"), (path, i, data)
        r = get(server, "/hello")
        assert (r.status_code, r.text) == (200, "hello"), path


# -- registration -----------------------------------------------------------


def test_unknown_method_and_repeated_parameter_are_refused(server):
    refused = get(server, "/refused").json()
    assert refused["method"].startswith("unknown HTTP method 'GTE' for /typo")
    assert "extension=True" in refused["method"]
    assert refused["repeated"] == "parameter <id> twice in '/item/<id>/<id>'"
    assert refused["token"] == "not an HTTP method token: 'BREW COFFEE'"
    assert get(server, "/item/1/2").status_code == 404


def test_extension_method_is_served(server):
    r = httpx.request("PROPFIND", server.url + "/dav", timeout=10)
    assert (r.status_code, r.text) == (200, "propfind")


# -- Flask / microdot habits --------------------------------------------------


def test_method_shortcut_decorators(server):
    got = [httpx.request(m, server.url + "/verbs", timeout=10, content=b"x" if m == "POST"
                         else None).text for m in ("GET", "POST", "PUT", "PATCH", "DELETE")]
    assert got == ["get", "post x", "put", "patch", "delete"]


def test_abort_from_a_helper_the_handler_calls(server):
    assert get(server, "/find/known").json() == {"item": "known"}
    r = get(server, "/find/other")
    assert (r.status_code, r.text) == (404, "404 no item other\n")
    r = get(server, "/abort-default")
    assert (r.status_code, r.text) == (403, "403 Forbidden\n")


# -- debug ------------------------------------------------------------------


@pytest.mark.parametrize("runtime", ALL_RUNTIMES)
def test_debug_500_body_names_the_handler_and_type(start_app, runtime):
    app = start_app(APP, runtime, env={"AHTTP_OPTIONS": json.dumps({"debug": True})})
    r = httpx.get(app.url + "/json-bytes", timeout=10)
    assert r.status_code == 500
    assert ("GET /json-bytes: handler json_bytes returned dict: " in r.text
            and "bytes is not JSON serializable" in r.text), r.text


# -- lifecycle --------------------------------------------------------------


@pytest.mark.parametrize("runtime,mode", [(rt, m) for rt in ASYNC_RUNTIMES
                                          for m in ("run", "start")]
                         + [(rt, "start") for rt in SYNC_RUNTIMES])
def test_stop_then_start_again_serves(start_app, runtime, mode):
    # /stop calls app.stop() without await (a plain def handler on the
    # async server); the app then starts (or runs) again on the same port
    app = start_app(APP, runtime, env={"CONTRACT_MODE": mode})
    for run in (1, 2, 3):
        assert httpx.get(app.url + "/runs", timeout=10).text == str(run)
        assert httpx.get(app.url + "/stop", timeout=10).text == "stopping"
        deadline = time.monotonic() + 15
        while True:
            try:
                r = httpx.get(app.url + "/runs", timeout=5)
                if r.text == str(run + 1):
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, app.log()
            time.sleep(0.1)
        assert httpx.get(app.url + "/hello", timeout=10).text == "hello"
    assert app.alive()


# -- the API seen from the REPL or an editor ----------------------------------

API_CHECK = """
import sys
if sys.argv[-1] == "sync":
    from ahttp.sync import HTTPServer
else:
    from ahttp import HTTPServer
app = HTTPServer(max_connections=3, debug=True, min_free=0)
names = dir(app)
print([n for n in ("stop", "static", "mount", "url_for", "route", "add_route") if n not in names])
print(app.stop == app.stop, app.static == app.static, app.limits.max_connections, app.debug,
      app.limits.min_free, HTTPServer().limits.min_free)
try:
    HTTPServer(max_conections=3)
except TypeError:
    print("TypeError")
"""


@pytest.mark.parametrize("interp", ["cpython", "micropython"])
@pytest.mark.parametrize("variant", ["async", "sync"])
def test_app_methods_are_real_and_options_are_named(tmp_path, interp, variant):
    script = tmp_path / "api.py"
    script.write_text(API_CHECK)
    if interp == "cpython":
        cmd = [sys.executable, str(script), variant]
        env = dict(os.environ, PYTHONPATH=ROOT)
    else:
        cmd = [micropython_exe(), str(script), variant]
        paths = ([NO_ASYNCIO] if variant == "sync" else []) + [ROOT, ".frozen"]
        env = dict(os.environ, MICROPYPATH=":".join(paths))
    out = subprocess.run(cmd, env=env, capture_output=True, timeout=30)
    assert out.stdout.decode().split("\n")[:3] == ["[]", "True True 3 True 0 4096",
                                                       "TypeError"], out


def test_named_option_defaults_are_the_limits():
    import inspect
    if ROOT not in sys.path:
        sys.path.insert(0, ROOT)
    from ahttp._http import LIMITS
    from ahttp import HTTPServer
    from ahttp.sync import HTTPServer as SyncServer
    for cls in (HTTPServer, SyncServer):
        params = inspect.signature(cls.__init__).parameters
        for name, default in LIMITS:
            assert params[name].default == default, (cls, name)
    assert list(inspect.signature(HTTPServer.__init__).parameters)[1:] == \
        [name for name, _ in LIMITS] + ["debug", "log", "access_log", "backlog", "send_chunk"]
