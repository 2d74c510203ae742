"""Static files: MIME types, index files, pre-compressed .gz variants,
ETag / Last-Modified revalidation (304), single byte ranges (206/416), HEAD,
and the guarantee that no URL reads outside the mounted directory.

tests/apps/www holds the files; big.bin (200 KB) is generated at setup.
"""
import gzip
import json
import os
import time

import httpx
import pytest

from rawhttp import RawConnection, exchange, get

pytestmark = pytest.mark.timeout(60)

HERE = os.path.dirname(os.path.abspath(__file__))
WWW = os.path.join(HERE, "apps", "www")
MAX_AGE = 600


def www(name):
    with open(os.path.join(WWW, name), "rb") as f:
        return f.read()


@pytest.fixture(scope="module", params=["cpython", "micropython"])
def server(request, start_app_module, www_big):
    return start_app_module("tests/apps/basic.py", request.param,
                            env={"AHTTP_STATIC_OPTIONS": json.dumps({"max_age": MAX_AGE})})


@pytest.fixture(scope="module")
def client(server):
    with httpx.Client(base_url=server.url, timeout=10) as c:
        yield c


def raw_get(server, path, headers=(), method="GET"):
    data = ("%s %s HTTP/1.1\r\nHost: x\r\n" % (method, path)
            + "".join("%s: %s\r\n" % h for h in headers) + "\r\n").encode("latin-1")
    with RawConnection(server.port) as c:
        c.send(data)
        return c.read_response(head=(method == "HEAD"))


def media_type(value):
    return value.split(";")[0].strip().lower()


# -- files and MIME types --------------------------------------------------

MIME = [
    ("index.html", ("text/html",)),
    ("style.css", ("text/css",)),
    ("app.js", ("text/javascript", "application/javascript")),
    ("data.json", ("application/json",)),
    ("logo.png", ("image/png",)),
    ("icon.svg", ("image/svg+xml",)),
    ("readme.txt", ("text/plain",)),
    ("blob.unknownext", ("application/octet-stream",)),
]


@pytest.mark.parametrize("name,types", MIME, ids=[m[0] for m in MIME])
def test_file_with_mime_type(client, name, types):
    r = client.get("/static/" + name)
    assert r.status_code == 200
    assert r.content == www(name)
    assert media_type(r.headers["content-type"]) in types
    assert r.headers["content-length"] == str(len(www(name)))


def test_big_binary_file(client, www_big):
    r = client.get("/static/big.bin")
    assert r.status_code == 200
    assert r.headers["content-length"] == str(len(www_big))
    assert r.content == www_big


def test_percent_encoded_file_name(client):
    r = client.get("/static/with%20space.txt")
    assert r.status_code == 200
    assert r.content == www("with space.txt")


def test_file_in_subdirectory(client):
    assert client.get("/static/sub/file.txt").content == www("sub/file.txt")


def test_missing_file_is_404(client):
    assert client.get("/static/missing.txt").status_code == 404
    assert client.get("/static/sub/missing/deeper.txt").status_code == 404


def test_file_name_as_directory_is_404(client):
    assert client.get("/static/readme.txt/more").status_code == 404


@pytest.mark.parametrize("path", ["/static/readme.txt/", "/static/sub/file.txt/",
                                  "/static/readme.txt//", "/static/data.txt/"])
def test_file_name_with_a_trailing_slash_is_404(client, path):
    # "file.txt/" names a directory that does not exist, not the file (nor
    # its .gz variant)
    r = client.get(path, headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 404
    assert client.get(path.rstrip("/")).status_code == 200


def test_cache_control_max_age_option(client):
    r = client.get("/static/style.css")
    assert "max-age=%d" % MAX_AGE in r.headers.get("cache-control", "")


def test_post_to_static_file_is_405(client):
    r = client.post("/static/readme.txt", content=b"x")
    assert r.status_code == 405
    assert "GET" in r.headers.get("allow", "")


# -- index files and directories -------------------------------------------

def test_index_file_for_mount_root(client):
    r = client.get("/static/")
    assert r.status_code == 200
    assert r.content == www("index.html")
    assert media_type(r.headers["content-type"]) == "text/html"


def test_index_file_in_subdirectory(client):
    r = client.get("/static/docs/")
    assert r.status_code == 200
    assert r.content == www("docs/index.html")


@pytest.mark.parametrize("path,slashed", [("/static", "/static/"),
                                          ("/static/docs", "/static/docs/")])
def test_directory_without_slash(client, path, slashed):
    # Redirecting to the slash-terminated URL (nginx, Apache) keeps relative
    # links in the index page right; serving the index directly is also OK.
    r = client.get(path)
    if r.status_code in (301, 302, 307, 308):
        assert r.headers["location"] in (slashed, "http://x" + slashed) or \
            r.headers["location"].endswith(slashed)
        assert client.get(path, follow_redirects=True).status_code == 200
    else:
        assert r.status_code == 200


def test_directory_without_index_is_404(client):
    r = client.get("/static/sub/")
    assert r.status_code == 404
    assert b"file.txt" not in r.content   # no directory listing


# -- pre-compressed variants -------------------------------------------------

def test_gz_variant_served_when_client_accepts_gzip(server):
    r = raw_get(server, "/static/data.txt", [("Accept-Encoding", "gzip, deflate")])
    assert r.status == 200
    assert r.header("content-encoding") == "gzip"
    assert r.body == www("data.txt.gz")
    assert gzip.decompress(r.body) == www("data.txt")
    assert media_type(r.header("content-type")) == "text/plain"
    assert "accept-encoding" in r.header("vary", "").lower()


def test_plain_file_served_without_accept_encoding(server):
    r = raw_get(server, "/static/data.txt")
    assert r.status == 200
    assert r.header("content-encoding") is None
    assert r.body == www("data.txt")
    assert "accept-encoding" in r.header("vary", "").lower()


@pytest.mark.parametrize("ae,gz", [("gzip;q=0", False), ("identity", False),
                                   ("br, gzip;q=0.5", True), ("GZIP", True),
                                   ("deflate, br", False)])
def test_accept_encoding_variants(server, ae, gz):
    r = raw_get(server, "/static/data.txt", [("Accept-Encoding", ae)])
    assert r.status == 200
    assert (r.header("content-encoding") == "gzip") == gz
    assert r.body == (www("data.txt.gz") if gz else www("data.txt"))


def test_gz_and_plain_have_different_etags(server):
    plain = raw_get(server, "/static/data.txt")
    gz = raw_get(server, "/static/data.txt", [("Accept-Encoding", "gzip")])
    assert plain.header("etag") and gz.header("etag")
    assert plain.header("etag") != gz.header("etag")


def test_httpx_decodes_gz_variant(client):
    r = client.get("/static/data.txt")   # httpx sends Accept-Encoding: gzip
    assert r.content == www("data.txt")


# -- revalidation --------------------------------------------------------------

def test_etag_if_none_match_gives_304(server):
    r = raw_get(server, "/static/style.css")
    etag = r.header("etag")
    assert etag and etag.startswith(('"', 'W/"'))
    r2 = raw_get(server, "/static/style.css", [("If-None-Match", etag)])
    assert r2.status == 304
    assert r2.body == b""
    assert r2.header("etag") == etag
    assert r2.header("transfer-encoding") is None


def test_if_none_match_list_and_weak(server):
    etag = raw_get(server, "/static/style.css").header("etag")
    strong = etag[2:] if etag.startswith("W/") else etag
    assert raw_get(server, "/static/style.css",
                   [("If-None-Match", '"nope", ' + etag)]).status == 304
    # If-None-Match uses the weak comparison (RFC 9110 13.1.2)
    assert raw_get(server, "/static/style.css",
                   [("If-None-Match", "W/" + strong)]).status == 304
    assert raw_get(server, "/static/style.css", [("If-None-Match", "*")]).status == 304


def test_if_none_match_mismatch_gives_200(server):
    r = raw_get(server, "/static/style.css", [("If-None-Match", '"something-else"')])
    assert r.status == 200
    assert r.body == www("style.css")


def test_304_keeps_connection_usable(server):
    etag = raw_get(server, "/static/style.css").header("etag")
    data = get("/static/style.css", headers=[("If-None-Match", etag)]) + get("/n/3")
    responses, _ = exchange(server.port, data, 2)
    assert responses[0].status == 304
    assert responses[1].body == b"3"


def test_last_modified_and_if_modified_since(server):
    r = raw_get(server, "/static/readme.txt")
    lm = r.header("last-modified")
    assert lm and lm.endswith(" GMT")
    mtime = os.stat(os.path.join(WWW, "readme.txt")).st_mtime
    assert lm == time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(int(mtime)))
    assert raw_get(server, "/static/readme.txt", [("If-Modified-Since", lm)]).status == 304
    later = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(int(mtime) + 86400))
    assert raw_get(server, "/static/readme.txt", [("If-Modified-Since", later)]).status == 304
    earlier = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(int(mtime) - 86400))
    r2 = raw_get(server, "/static/readme.txt", [("If-Modified-Since", earlier)])
    assert r2.status == 200 and r2.body == www("readme.txt")


def test_invalid_if_modified_since_is_ignored(server):
    r = raw_get(server, "/static/readme.txt", [("If-Modified-Since", "yesterday-ish")])
    assert r.status == 200


def test_if_none_match_takes_precedence_over_if_modified_since(server):
    lm = raw_get(server, "/static/readme.txt").header("last-modified")
    r = raw_get(server, "/static/readme.txt",
                [("If-None-Match", '"other"'), ("If-Modified-Since", lm)])
    assert r.status == 200


# -- ranges --------------------------------------------------------------------

def content_range(r):
    return r.header("content-range")


def test_accept_ranges_advertised(server):
    assert raw_get(server, "/static/big.bin").header("accept-ranges") == "bytes"


@pytest.mark.parametrize("spec,start,end", [
    ("0-99", 0, 99),
    ("1000-1999", 1000, 1999),
    ("204000-", 204000, 204799),
    ("-500", 204300, 204799),
    ("204700-999999", 204700, 204799),
    ("0-0", 0, 0),
    ("-999999", 0, 204799),
])
def test_single_range_is_206(server, www_big, spec, start, end):
    r = raw_get(server, "/static/big.bin", [("Range", "bytes=" + spec)])
    assert r.status == 206
    assert content_range(r) == "bytes %d-%d/%d" % (start, end, len(www_big))
    assert r.header("content-length") == str(end - start + 1)
    assert r.body == www_big[start:end + 1]


@pytest.mark.parametrize("spec", ["204800-", "300000-400000", "-0"])
def test_unsatisfiable_range_is_416(server, www_big, spec):
    r = raw_get(server, "/static/big.bin", [("Range", "bytes=" + spec)])
    assert r.status == 416
    assert content_range(r) == "bytes */%d" % len(www_big)


@pytest.mark.parametrize("value", ["bytes=abc", "items=0-5", "bytes=5-2", "bytes=--3"])
def test_invalid_range_is_ignored(server, www_big, value):
    # RFC 9110 14.2: a recipient ignores a Range it cannot parse.
    r = raw_get(server, "/static/big.bin", [("Range", value)])
    assert r.status == 200
    assert r.body == www_big


def test_multiple_ranges_served_whole_or_partially(server, www_big):
    r = raw_get(server, "/static/big.bin", [("Range", "bytes=0-9,20-29")])
    assert r.status in (200, 206)
    if r.status == 200:
        assert r.body == www_big


def test_if_range_with_matching_etag_gives_206(server, www_big):
    etag = raw_get(server, "/static/big.bin").header("etag")
    r = raw_get(server, "/static/big.bin", [("Range", "bytes=10-19"), ("If-Range", etag)])
    assert r.status == 206
    assert r.body == www_big[10:20]


def test_if_range_with_stale_etag_gives_whole_file(server, www_big):
    r = raw_get(server, "/static/big.bin", [("Range", "bytes=10-19"), ("If-Range", '"stale"')])
    assert r.status == 200
    assert r.body == www_big


def test_range_then_pipelined_request(server, www_big):
    data = get("/static/big.bin", headers=[("Range", "bytes=5-9")]) + get("/n/1")
    responses, _ = exchange(server.port, data, 2)
    assert responses[0].body == www_big[5:10]
    assert responses[1].body == b"1"


# -- HEAD ------------------------------------------------------------------------

def test_head_of_static_file(server, www_big):
    data = (b"HEAD /static/big.bin HTTP/1.1\r\nHost: x\r\n\r\n" + get("/n/2"))
    responses, _ = exchange(server.port, data, 2, heads=[1, 0])
    r = responses[0]
    assert r.status == 200
    assert r.header("content-length") == str(len(www_big))
    assert r.header("etag")
    assert responses[1].body == b"2"


def test_head_with_range(server):
    data = (b"HEAD /static/big.bin HTTP/1.1\r\nHost: x\r\nRange: bytes=0-9\r\n\r\n"
            + get("/n/4"))
    responses, _ = exchange(server.port, data, 2, heads=[1, 0])
    assert responses[0].status == 206
    assert responses[0].header("content-length") == "10"
    assert responses[1].body == b"4"


def test_head_of_gz_variant(server):
    data = (b"HEAD /static/data.txt HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n"
            + get("/n/6"))
    responses, _ = exchange(server.port, data, 2, heads=[1, 0])
    assert responses[0].header("content-encoding") == "gzip"
    assert responses[0].header("content-length") == str(len(www("data.txt.gz")))
    assert responses[1].body == b"6"


# -- nothing outside the root --------------------------------------------------

TRAVERSAL = [
    "/static/../secret.txt",
    "/static/../basic.py",
    "/static/%2e%2e/secret.txt",
    "/static/%2E%2E/secret.txt",
    "/static/.%2e/secret.txt",
    "/static/..%2fsecret.txt",
    "/static/%2e%2e%2fsecret.txt",
    "/static/%2e%2e%2f%2e%2e%2fapps%2fsecret.txt",
    "/static/docs/../../secret.txt",
    "/static/docs/%2e%2e/%2e%2e/secret.txt",
    "/static/sub/..%2f..%2fsecret.txt",
    "/static/..%5csecret.txt",
    "/static/..\\secret.txt",
    "/static//etc/passwd",
    "/static/%2fetc%2fpasswd",
    "/static/%2f%2e%2e%2fsecret.txt",
    "/static/....//secret.txt",
    "/static/%252e%252e/secret.txt",
    "/static/index.html%00.txt",
    "/static/%00",
    "/static/.hidden",
    "/static/%2ehidden",
    "/static/.gitignore",
    "/static/sub/../.hidden",
    "/static/./.hidden",
]


@pytest.mark.parametrize("path", TRAVERSAL)
def test_path_traversal_never_leaves_root(server, path):
    r = raw_get(server, path)
    assert r.status in (400, 403, 404), (r.status, r.body[:200])
    for leak in (b"TOP-SECRET", b"HIDDEN-FILE", b"root:", b"HTTPServer(", b"big.bin"):
        assert leak not in r.body


def test_target_without_leading_slash_is_400(server):
    with RawConnection(server.port) as c:
        c.send(b"GET ../secret.txt HTTP/1.1\r\nHost: x\r\n\r\n")
        assert c.read_response().status == 400


def test_absolute_form_traversal(server):
    with RawConnection(server.port) as c:
        c.send(b"GET http://x/static/../secret.txt HTTP/1.1\r\nHost: x\r\n\r\n")
        r = c.read_response()
    assert r.status in (400, 403, 404)
    assert b"TOP-SECRET" not in r.body


def test_server_still_serves_after_traversal_attempts(client):
    assert client.get("/static/readme.txt").content == www("readme.txt")


# -- a mount at the root, beside routes ------------------------------------------

@pytest.fixture(scope="module", params=["cpython", "micropython"])
def root_server(request, start_app_module, www_big):
    return start_app_module("tests/apps/basic.py", request.param,
                            env={"AHTTP_ROOT_STATIC": "1"})


def test_root_mount_serves_files_and_routes_win(root_server):
    with httpx.Client(base_url=root_server.url, timeout=10) as c:
        assert c.get("/style.css").content == www("style.css")
        assert c.get("/docs/").content == www("docs/index.html")
        assert c.get("/users/me").text == "me (static route)"
        assert c.get("/users/bob").json() == {"user": "bob"}
        assert c.get("/dict").json()["a"] == 1
        assert c.get("/missing.txt").status_code == 404
        r = raw_get(root_server, "/../secret.txt")
        assert r.status in (400, 403, 404) and b"TOP-SECRET" not in r.body
