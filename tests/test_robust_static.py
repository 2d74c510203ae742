"""Static files under attack: path traversal in every encoding, symlinks
out of the root, directories without an index, very long paths. The
server answers 400/404 (never a file outside the root, never a listing)
and keeps serving.

The root is a copy of tests/apps/robust_www in a temporary directory, next
to a secret file the root must never expose, with symlinks added:
out.txt -> ../secret.txt, up -> .. (a directory link out of the root) and
in.txt -> a.txt (inside the root).
"""
import os
import shutil

import pytest

from conftest import TESTS
from rawhttp import RawConnection

pytestmark = pytest.mark.timeout(120)

SECRET = b"TOPSECRET-do-not-serve"


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    base = tmp_path_factory.mktemp("static-root")
    www = base / "www"
    shutil.copytree(os.path.join(TESTS, "apps", "robust_www"), str(www))
    (base / "secret.txt").write_bytes(SECRET)
    (www / ".hidden").write_bytes(SECRET)
    os.symlink("../secret.txt", str(www / "out.txt"))
    os.symlink("..", str(www / "up"))
    os.symlink("a.txt", str(www / "in.txt"))
    return str(www)


@pytest.fixture(scope="module", params=["cpython", "micropython"])
def server(request, start_app_module, root):
    return start_app_module("tests/apps/robust_app.py", request.param,
                            env={"ROBUST_WWW": root})


def fetch(port, target, host="x"):
    with RawConnection(port, timeout=10) as c:
        c.send(("GET %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (target, host)).encode("latin-1"))
        return c.read_response()


TRAVERSALS = [
    "/static/../secret.txt", "/static/../../secret.txt", "/static/sub/../../secret.txt",
    "/static/%2e%2e/secret.txt", "/static/%2E%2E/secret.txt", "/static/%2e%2e%2fsecret.txt",
    "/static/..%2fsecret.txt", "/static/..%2Fsecret.txt", "/static/.%2e/secret.txt",
    "/static/%2e./secret.txt", "/static/sub%2f..%2f..%2fsecret.txt",
    "/static/%252e%252e/secret.txt", "/static/%252e%252e%252fsecret.txt",
    "/static/..%5csecret.txt", "/static/..\\secret.txt", "/static/%5c..%5csecret.txt",
    "/static/%c0%ae%c0%ae/secret.txt", "/static/..%c0%afsecret.txt",
    "/static/%e0%80%ae%e0%80%ae/secret.txt", "/static/..%u2216secret.txt",
    "/static/..;/secret.txt", "/static/...//secret.txt", "/static/....//secret.txt",
    "/static//../secret.txt", "/static/./../secret.txt", "/static/%00../secret.txt",
    "/static/a.txt%00../../secret.txt", "/static/.hidden", "/static/%2ehidden",
    "/static/c:/secret.txt", "/static/C:%5csecret.txt",
    "/static/%2fetc%2fpasswd", "/static//etc/passwd", "/static/../../../../etc/passwd",
    "/static/up/www/../secret.txt",
    "http://x/static/../secret.txt", "http://x/static/%2e%2e/secret.txt",
]


def test_path_traversal_in_every_encoding_is_refused(server):
    wrong = []
    for target in TRAVERSALS:
        r = fetch(server.port, target)
        if r.status not in (400, 404) or SECRET in r.body:
            wrong.append("%s -> %d %r" % (target, r.status, r.body[:60]))
    assert not wrong, "\n".join(wrong)
    assert fetch(server.port, "/static/a.txt").body == b"plain text file\n"
    assert server.alive()


def test_symlink_out_of_the_root_is_refused(server):
    # CPython checks os.path.realpath; MicroPython has no os.path (nor
    # lstat/realpath): see docs/robustness.md for what it does.
    for target in ("/static/out.txt", "/static/up/secret.txt"):
        r = fetch(server.port, target)
        assert r.status == 404 and SECRET not in r.body, (target, r)


def test_symlink_inside_the_root_is_harmless(server):
    r = fetch(server.port, "/static/in.txt")
    assert r.status in (200, 404)
    assert SECRET not in r.body


def test_directory_without_index_is_404_without_listing(server):
    r = fetch(server.port, "/static/noindex/")
    assert r.status == 404 and b"file.txt" not in r.body
    r = fetch(server.port, "/static/noindex")
    assert r.status == 301 and r.header("location") == "/static/noindex/"
    r = fetch(server.port, "/static/sub/")
    assert r.status == 200 and r.body == b"sub index\n"


def test_very_long_paths(server):
    cases = [("/static/" + "a" * 1000, 404),            # segment over NAME_MAX
             ("/static/" + "sub/" * 400, 404),          # deep nesting
             ("/static/" + "%61" * 600, 404),           # long once decoded
             ("/static/" + "a/" * 1200, 414),           # over max_request_line
             ("/static/" + "x" * 5000, 414)]
    for target, status in cases:
        r = fetch(server.port, target)
        assert r.status == status, (target[:40], len(target), r)
    assert fetch(server.port, "/static/a.txt").status == 200
    assert server.alive()
