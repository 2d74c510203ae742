"""Client text is never interned. On MicroPython, iterating a str or
indexing one character makes that character a permanent interned string
(qstr); a client sending ever new characters (there are a million code
points) would grow the heap until the board dies. So ahttp reads client
text through slices, find() and bytes only. This test sends text full of
characters the server has never seen through every place that parses
client text (request line, paths, route converters, query, cookies,
Last-Event-ID, WebSocket keys, multipart parameters and file names, static
paths) and requires the heap to stay put.
"""
import json

import pytest

from rawhttp import RawConnection

pytestmark = pytest.mark.timeout(120)

ROUNDS = 150
SLACK = 4096     # bytes; interning would add several KB per 100 rounds


def fresh(i, n=6):
    """n CJK characters no earlier round used (U+4E00 up)."""
    return "".join(chr(0x4E00 + i * n + k) for k in range(n))


def request(port, raw):
    with RawConnection(port, timeout=10) as c:
        c.send(raw)
        return c.read_response()


def requests_for(i):
    u = fresh(i)
    q = "".join("%%%02X" % b for b in u.encode())
    boundary = "b" + str(i)
    body = ('--%s\r\nContent-Disposition: form-data; name="n\\"%s"\r\n\r\nv%s\r\n'
            '--%s\r\nContent-Disposition: form-data; name="f"; filename="%s.txt"\r\n\r\nx\r\n'
            '--%s--\r\n' % (boundary, u, u, boundary, u, boundary)).encode()
    return [
        ("GET /%s HTTP/1.1\r\nHost: x\r\n\r\n" % u).encode(),                  # 404 path
        ("GET /json/%s HTTP/1.1\r\nHost: x\r\n\r\n" % q).encode(),             # int converter
        ("GET /static/%s/x HTTP/1.1\r\nHost: x\r\n\r\n" % q).encode(),         # static segment
        ("GET /text?%s=%s&a=%s HTTP/1.1\r\nHost: x\r\nCookie: c=\"%s\"; %s=1\r\n"
         "Last-Event-ID: %s\r\n\r\n" % (q, q, u, u, u, u)).encode(),           # args, cookies, id
        ("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: %s==\r\n\r\n"
         % (u * 4)[:22]).encode(),                                             # bad key: 400
        ("GET / HTTP/1.%s\r\nHost: x\r\n\r\n" % u[0]).encode(),                # bad version
        ("GET / HTTP/1.1\r\nHost: x\r\n%s: y\r\n\r\n" % u).encode(),           # bad header name
        ("POST /form HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; "
         "boundary=%s\r\nContent-Length: %d\r\n\r\n" % (boundary, len(body))).encode() + body,
    ]


def test_client_text_is_never_interned(start_app):
    server = start_app("tests/apps/robust_app.py", "micropython")
    mem = lambda: json.loads(request(server.port, b"GET /_mem HTTP/1.1\r\nHost: x\r\n\r\n").body)

    statuses = [request(server.port, raw).status for raw in requests_for(0)]
    assert statuses == [404, 404, 404, 200, 400, 400, 400, 200], statuses
    r = json.loads(request(server.port, requests_for(1)[3]).body)
    u = fresh(1)
    assert r["args"] == {u: u, "a": u} and r["cookies"] == {"c": u, u: "1"}
    assert r["last"] is None
    r = json.loads(request(server.port, requests_for(2)[7]).body)
    assert r == {"fields": {'n"' + fresh(2): "v" + fresh(2)}, "files": ["______.txt"]}

    for i in range(3, 13):                   # warm-up: lazy modules, caches
        for raw in requests_for(i):
            request(server.port, raw)
    before = mem()["alloc"]
    for i in range(13, 13 + ROUNDS):
        for raw in requests_for(i):
            request(server.port, raw)
    after = mem()["alloc"]
    assert server.alive(), server.log()[-2000:]
    assert after - before < SLACK, (before, after)
    print("heap %d -> %d after %d rounds of %d requests with new characters"
          % (before, after, ROUNDS, len(requests_for(0))))
