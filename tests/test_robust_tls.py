"""TLS on both runtimes with a self-signed certificate made here (openssl
CLI; MicroPython's Mbed TLS build wants DER, CPython PEM). HTTPS works; a
plain-HTTP client on the TLS port, a TLS client on the plain port and a
truncated handshake all fail cleanly, and the server goes on serving.
"""
import json
import os
import socket
import ssl
import subprocess
import time

import pytest

from rawhttp import RawConnection, get

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def cert(tmp_path_factory):
    d = tmp_path_factory.mktemp("tls")
    key, crt = str(d / "key.pem"), str(d / "cert.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", crt,
                    "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    subprocess.run(["openssl", "x509", "-in", crt, "-outform", "DER", "-out", str(d / "cert.der")],
                   check=True, capture_output=True, timeout=60)
    subprocess.run(["openssl", "ec", "-in", key, "-outform", "DER", "-out", str(d / "key.der")],
                   check=True, capture_output=True, timeout=60)
    return {"pem": (crt, key), "der": (str(d / "cert.der"), str(d / "key.der"))}


@pytest.fixture(scope="module", params=["cpython", "micropython"])
def servers(request, start_app_module, cert):
    c, k = cert["pem" if request.param == "cpython" else "der"]
    tls = start_app_module("tests/apps/robust_app.py", request.param,
                           env={"ROBUST_CERT": c, "ROBUST_KEY": k})
    plain = start_app_module("tests/apps/robust_app.py", request.param)
    return tls, plain


def client_ctx(cert):
    ctx = ssl.create_default_context(cafile=cert["pem"][0])
    ctx.check_hostname = False
    return ctx


def https_get(port, cert, path="/", count=1):
    """`count` requests on one TLS connection (keep-alive); the bodies."""
    raw = socket.create_connection(("127.0.0.1", port), 10)
    s = client_ctx(cert).wrap_socket(raw, server_hostname="127.0.0.1")
    bodies = []
    try:
        buf = b""
        for _ in range(count):
            s.sendall(get(path))
            while b"\r\n\r\n" not in buf:
                buf += s.recv(4096)
            head, _, buf = buf.partition(b"\r\n\r\n")
            n = int([ln.split(b":")[1] for ln in head.split(b"\r\n")
                     if ln.lower().startswith(b"content-length:")][0])
            while len(buf) < n:
                buf += s.recv(4096)
            assert head.startswith(b"HTTP/1.1 200 "), head
            bodies.append(buf[:n])
            buf = buf[n:]
    finally:
        s.close()
    return bodies


def closes_cleanly(s, limit=15):
    """Read until EOF/reset within `limit` seconds; True if it ended."""
    s.settimeout(limit)
    try:
        while s.recv(4096):
            pass
    except socket.timeout:
        return False
    except OSError:
        pass
    return True


def test_https_serves_on_both_runtimes(servers, cert):
    tls, _ = servers
    assert https_get(tls.port, cert, "/", count=3) == [b"hello"] * 3
    assert b"robust index" in https_get(tls.port, cert, "/static/")[0]


def test_plain_http_on_the_tls_port_fails_cleanly(servers, cert):
    tls, _ = servers
    for _ in range(3):
        s = socket.create_connection(("127.0.0.1", tls.port), 10)
        try:
            s.sendall(get("/"))
            assert closes_cleanly(s), "the server kept a plain-HTTP client on the TLS port"
        finally:
            s.close()
    assert tls.alive(), tls.log()[-2000:]
    assert https_get(tls.port, cert) == [b"hello"]


def test_truncated_handshake_does_not_hurt_the_server(servers, cert):
    tls, _ = servers
    hello = bytes.fromhex("16030100c8010000c40303") + b"\x11" * 40
    held = []
    try:
        for _ in range(5):       # half a ClientHello, then silence
            s = socket.create_connection(("127.0.0.1", tls.port), 10)
            s.sendall(hello)
            held.append(s)
        assert https_get(tls.port, cert) == [b"hello"]
    finally:
        for s in held:
            s.close()
    assert tls.alive()
    assert https_get(tls.port, cert) == [b"hello"]


def test_tls_client_on_the_plain_port_fails_cleanly(servers, cert):
    _, plain = servers
    for _ in range(3):
        raw = socket.create_connection(("127.0.0.1", plain.port), 10)
        with pytest.raises((ssl.SSLError, OSError)):
            s = client_ctx(cert).wrap_socket(raw, server_hostname="127.0.0.1")
            s.close()
        raw.close()
    assert plain.alive(), plain.log()[-2000:]
    with RawConnection(plain.port) as c:
        c.send(get("/"))
        assert c.read_response().body == b"hello"


def test_failed_handshakes_leak_no_sockets(servers, cert):
    # Plain-HTTP clients that leave again: every server-side socket of
    # theirs is closed (no CLOSE-WAIT descriptors pile up in the server).
    tls, _ = servers
    fd_dir = "/proc/%d/fd" % tls.proc.pid
    https_get(tls.port, cert)
    time.sleep(0.5)
    before = len(os.listdir(fd_dir))
    for _ in range(10):
        s = socket.create_connection(("127.0.0.1", tls.port), 10)
        s.sendall(get("/"))
        time.sleep(0.05)
        s.close()
    deadline = time.monotonic() + 15
    while True:
        after = len(os.listdir(fd_dir))
        if after <= before or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert after <= before, "%d descriptors before, %d after 10 failed handshakes" % (before, after)
    assert https_get(tls.port, cert) == [b"hello"]


def test_detached_sse_streams_over_tls_give_their_sockets_back(servers, cert):
    # Broadcaster(detach=True) (a stream as usual on CPython): the stream
    # closes its own socket, TCP included, when its client is gone.
    tls, _ = servers
    fd_dir = "/proc/%d/fd" % tls.proc.pid

    def open_stream():
        raw = socket.create_connection(("127.0.0.1", tls.port), 10)
        s = client_ctx(cert).wrap_socket(raw, server_hostname="127.0.0.1")
        s.sendall(get("/feed"))
        buf = b""
        while b"\r\n\r\n" not in buf:
            buf += s.recv(4096)
        assert buf.startswith(b"HTTP/1.1 200 "), buf
        return s, buf

    def subscribers():
        return json.loads(https_get(tls.port, cert, "/feed?publish=1")[0])["subscribers"]

    def until_none_left():
        deadline = time.monotonic() + 15     # heartbeats every 0.5 s find them
        while subscribers():
            assert time.monotonic() < deadline, tls.log()[-2000:]
            time.sleep(0.2)

    s, _ = open_stream()          # the first stream makes the broadcaster
    s.close()
    until_none_left()
    before = len(os.listdir(fd_dir))
    streams = [open_stream() for _ in range(5)]
    assert subscribers() == 5
    for s, buf in streams:        # every stream gets the events published
        while buf.count(b"data: tick") < 1:
            buf += s.recv(4096)
        s.close()
    until_none_left()
    # (CPython's asyncio closes a transport's socket a loop turn after the
    # stream ends: a few seconds to give every descriptor back)
    deadline = time.monotonic() + 5
    while len(os.listdir(fd_dir)) > before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(os.listdir(fd_dir)) <= before, tls.log()[-2000:]
    assert https_get(tls.port, cert, "/")[0] == b"hello"

