"""Routing over real sockets: path parameters and converters, static routes
before parameterised ones, 404/405 with Allow, OPTIONS, automatic HEAD,
stacked decorators, method lists and add_route/add_routes.
"""
import httpx
import pytest

from rawhttp import RawConnection, exchange, get

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(scope="module", params=["cpython", "micropython"])
def server(request, start_app_module):
    return start_app_module("tests/apps/basic.py", request.param)


@pytest.fixture(scope="module")
def client(server):
    with httpx.Client(base_url=server.url, timeout=10) as c:
        yield c


def allow_set(r):
    value = r.headers.get("allow")
    assert value is not None, "no Allow header on %d" % r.status_code
    return set(m.strip() for m in value.split(","))


# -- parameters --------------------------------------------------------------

def test_str_parameter(client):
    r = client.get("/users/alice")
    assert r.status_code == 200
    assert r.json() == {"user": "alice"}


def test_str_parameter_is_percent_decoded(client):
    assert client.get("/users/J%C3%BCrgen%20K").json() == {"user": "J\u00fcrgen K"}


def test_str_parameter_does_not_span_segments(client):
    assert client.get("/users/alice/extra").status_code == 404


def test_empty_str_parameter_does_not_match(client):
    assert client.get("/users/").status_code == 404


def test_int_parameter_is_converted(client):
    assert client.get("/items/42").json() == {"id": 42, "is_int": True}


def test_int_parameter_rejects_non_digits(client):
    for bad in ("abc", "4x", "4.5", "0x1f", ""):
        assert client.get("/items/" + bad).status_code == 404, bad


def test_int_parameter_rejects_unicode_digits(client):
    # "\u00b2" (superscript two) and "\u0661" pass str.isdigit() on CPython;
    # the first makes int() raise (a 500), the second becomes 1. A path
    # segment that is not ASCII digits does not match <int:...> -> 404.
    for bad in ("%C2%B2", "%D9%A1"):
        r = client.get("/items/" + bad)
        assert r.status_code == 404, (bad, r.status_code, r.text)


def test_path_parameter_takes_the_rest(client):
    assert client.get("/files/a/b/c.txt").json() == {"rest": "a/b/c.txt"}
    assert client.get("/files/single").json() == {"rest": "single"}


def test_path_parameter_needs_something(client):
    assert client.get("/files/").status_code == 404


def test_two_parameters(client):
    assert client.get("/pair/x/7").json() == {"a": "x", "b": 7}
    assert client.get("/pair/x/y").status_code == 404


def test_static_route_wins_over_parameter_declared_first(client):
    r = client.get("/users/me")
    assert r.status_code == 200
    assert r.text == "me (static route)"
    assert client.get("/users/mex").json() == {"user": "mex"}


# -- 404 / 405 / OPTIONS ---------------------------------------------------

def test_unknown_path_is_404(client):
    r = client.get("/no/such/path")
    assert r.status_code == 404
    assert r.headers.get("server")
    assert "content-length" in r.headers


def test_wrong_method_is_405_with_allow(client):
    r = client.delete("/things")
    assert r.status_code == 405
    assert allow_set(r) >= {"GET", "HEAD", "POST"}
    assert "DELETE" not in allow_set(r)


def test_405_on_parameterised_route(client):
    r = client.post("/users/bob")
    assert r.status_code == 405
    assert allow_set(r) >= {"GET", "HEAD"}


def test_unknown_method_on_known_path_is_405(client):
    r = client.request("BREW", "/things")
    assert r.status_code in (405, 501)
    if r.status_code == 405:
        assert "GET" in allow_set(r)


def test_options_lists_allowed_methods(client):
    r = client.options("/things")
    assert r.status_code in (200, 204)
    assert allow_set(r) >= {"GET", "HEAD", "POST", "OPTIONS"}
    assert r.content == b""


def test_options_on_unknown_path_is_404(client):
    assert client.options("/no/such/path").status_code == 404


def test_options_asterisk(server):
    r = RawConnection(server.port)
    with r as c:
        c.send(b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n")
        resp = c.read_response()
    assert resp.status in (200, 204)
    assert "GET" in resp.header("allow", "")


# -- HEAD ----------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/", "/dict", "/response", "/users/alice",
                                  "/response-big", "/static/index.html"])
def test_head_for_every_get_route(server, path):
    full = httpx.get(server.url + path)
    data = b"HEAD " + path.encode() + b" HTTP/1.1\r\nHost: x\r\n\r\n" + get("/n/5")
    responses, _ = exchange(server.port, data, 2, heads=[1, 0])
    head = responses[0]
    assert head.status == full.status_code
    assert head.body == b""
    assert head.header("content-length") == str(len(full.content))
    assert head.header("content-type") == full.headers["content-type"]
    # no body bytes leaked: the next pipelined response parses cleanly
    assert responses[1].body == b"5"


@pytest.mark.parametrize("path", ["/chunked", "/seed", "/raw-close"])
def test_head_on_streaming_route_sends_no_body(server, path):
    with RawConnection(server.port) as c:
        c.send(b"HEAD " + path.encode() + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        r = c.read_response(head=True)
        assert r.status == 200
        if r.header("transfer-encoding") is None and r.header("content-length") is None:
            # close-delimited: the server closes and nothing follows the head
            assert c.wait_closed(10)
            assert c.extra == b"", c.extra[:100]
        else:
            c.send(get("/n/1"))
            assert c.read_response().body == b"1"


def test_head_on_post_only_route_is_405(client):
    r = client.head("/echo-info")
    assert r.status_code == 405


def test_head_404(server):
    with RawConnection(server.port) as c:
        c.send(b"HEAD /nope HTTP/1.1\r\nHost: x\r\n\r\n" + get("/n/2"))
        assert c.read_response(head=True).status == 404
        assert c.read_response().body == b"2"


# -- decorators, method lists, add_route -------------------------------------

def test_stacked_decorators(client):
    assert client.get("/stack1").text == "GET /stack1"
    assert client.get("/stack2").text == "GET /stack2"
    assert client.post("/stack2").text == "POST /stack2"
    assert client.post("/stack1").status_code == 405


def test_method_list(client):
    for m in ("GET", "POST", "DELETE"):
        r = client.request(m, "/methods")
        assert r.status_code == 200
        assert r.text == m
    r = client.put("/methods")
    assert r.status_code == 405
    assert allow_set(r) >= {"GET", "POST", "DELETE"}


def test_separate_handlers_per_method(client):
    assert client.get("/things").text == "list of things"
    r = client.post("/things")
    assert r.status_code == 201 and r.text == "created a thing"


def test_add_route(client):
    assert client.get("/added/one").text == "added one"


def test_add_routes_with_list_of_routes(client):
    assert client.get("/added/two").text == "added two GET"
    assert client.put("/added/two").text == "added two PUT"
    assert client.get("/added/three/9").json() == {"added": 9}


def test_method_is_case_sensitive(server):
    # RFC 9110 9.1: method names are case-sensitive; "get" is not GET.
    with RawConnection(server.port) as c:
        c.send(b"get / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert c.read_response().status in (405, 501)


def test_query_string_does_not_affect_routing(client):
    assert client.get("/users/me?x=1").text == "me (static route)"
    assert client.get("/items/3?id=9").json()["id"] == 3


def test_absolute_form_target_is_routed_by_path(server):
    with RawConnection(server.port) as c:
        c.send(b"GET http://example.com/users/me HTTP/1.1\r\nHost: example.com\r\n\r\n")
        r = c.read_response()
    assert r.status == 200
    assert r.body == b"me (static route)"
