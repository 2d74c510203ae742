"""WebSocket server (ahttp.ws) against strict clients, on both runtimes.

The `websockets` client checks everything the server sends; `wsproto` over a
raw socket lets a test send bytes no polite client would (see also
test_ws_cases.py for the Autobahn-style table). One server per runtime and
module keeps the suite fast; the MicroPython small-heap server runs the
compiled package at a heap where about 80 KB stay free after import.
"""
import collections
import os
import socket
import subprocess
import sys
import threading
import time

import pytest
import websockets
from websockets.sync.client import connect
from wsproto import ConnectionType, WSConnection
from wsproto.events import (AcceptConnection, BytesMessage, CloseConnection, Message,
                            Ping, Pong, RejectConnection, RejectData, Request, TextMessage)

from conftest import (ROOT, AppProcess, base_runtime, free_port, micropython_exe,
                      runtime_cmd, runtime_env, wait_port)
from test_ws_unit import client_frame

APP = os.path.join(ROOT, "tests", "apps", "ws_app.py")
MB = 1024 * 1024
TIMEOUT = 10.0


# -- servers -----------------------------------------------------------------

@pytest.fixture(scope="module", params=["cpython", "micropython"])
def runtime(request):
    return request.param


def launch(runtime, tmp_dir, env=None, heapsize=None, extra_path=()):
    port = free_port()
    e = runtime_env(runtime, extra_path)
    e["AHTTP_PORT"] = str(port)
    e["AHTTP_HOST"] = "127.0.0.1"
    e.update(env or {})
    log_path = os.path.join(str(tmp_dir), "ws-server-%s-%d.log" % (runtime, port))
    with open(log_path, "wb") as logf:
        proc = subprocess.Popen(runtime_cmd(runtime, heapsize) + [APP], stdout=logf,
                                stderr=subprocess.STDOUT, env=e, cwd=os.path.dirname(APP))
    app = AppProcess(proc, "127.0.0.1", port, log_path)
    try:
        wait_port("127.0.0.1", port, proc, 20.0, app.log)
    except Exception:
        app.stop()
        raise
    return app


@pytest.fixture(scope="session")
def mpy_package(tmp_path_factory):
    """ahttp compiled with mpy-cross: what a board runs (no compiler peak)."""
    out = tmp_path_factory.mktemp("mpy")
    pkg = out / "ahttp"
    pkg.mkdir()
    cross = os.path.join(os.path.dirname(micropython_exe()), "mpy-cross")
    for name in os.listdir(os.path.join(ROOT, "ahttp")):
        if name.endswith(".py"):
            subprocess.run([cross, "-o", str(pkg / (name[:-3] + ".mpy")),
                            os.path.join(ROOT, "ahttp", name)], check=True)
    return str(out)


@pytest.fixture(scope="module")
def server(runtime, tmp_path_factory):
    """The main server: big enough for 1 MB (CPython) / 64 KB (MicroPython)."""
    limit = 2 * MB if base_runtime(runtime) == "cpython" else 70000
    app = launch(runtime, tmp_path_factory.mktemp("ws"), {"AHTTP_WS_MAX": str(limit)})
    yield app
    app.stop()


SMALL_LIMIT = 20000
# MicroPython: the compiled package leaves ~145 KB free at this heap on the
# 64-bit unix port (where loaded bytecode lives in the heap too). The echo
# handler (`async for message in ws`) still holds the last 16 KB message
# while the next one arrives: two 16 KB blocks at once, each received in
# place (_ws._probe: the bytes or str handed over is the block the
# payload came in). Passes from 144k (3 of 3 runs; 136k fails); from 160k
# while each message was copied out of its receive block, 192k before the
# app's setup collected its garbage as it went (ahttp._compat).
SMALL_HEAP = "160k"


@pytest.fixture(scope="module")
def small_server(runtime, tmp_path_factory, mpy_package):
    """A server with max_message_size=20000, and a small heap on MicroPython."""
    if base_runtime(runtime) == "micropython":
        app = launch(runtime, tmp_path_factory.mktemp("ws"), {"AHTTP_WS_MAX": str(SMALL_LIMIT)},
                     heapsize=SMALL_HEAP, extra_path=[mpy_package])
    else:
        app = launch(runtime, tmp_path_factory.mktemp("ws"), {"AHTTP_WS_MAX": str(SMALL_LIMIT)})
    yield app
    app.stop()


def ws_url(app, path="/echo"):
    return "ws://127.0.0.1:%d%s" % (app.port, path)


def closes(app):
    """{"route code reason": count} of the handlers that have ended."""
    import httpx
    return httpx.get(app.url + "/closes", timeout=TIMEOUT).json()


def wait_closes(app, key, count):
    """Poll (bounded) until `count` handlers ended as `key`; return the count."""
    import time
    for _ in range(100):
        n = closes(app).get(key, 0)
        if n >= count:
            return n
        time.sleep(0.05)
    return closes(app).get(key, 0)


# -- a raw client: wsproto parses, the test chooses the bytes -------------------

class RawWS:
    """wsproto client over a blocking socket. `events()` yields simplified
    tuples: ("text", str), ("binary", bytes), ("ping", b), ("pong", b),
    ("close", code, reason), ("eof",), ("reset",)."""

    def __init__(self, port, path="/echo", subprotocols=(), extensions=(), headers=()):
        self.sock = socket.create_connection(("127.0.0.1", port), TIMEOUT)
        self.sock.settimeout(TIMEOUT)
        self.conn = WSConnection(ConnectionType.CLIENT)
        self.queue = collections.deque()
        self.parts = []
        self.closed = False
        req = Request(host="127.0.0.1:%d" % port, target=path, subprotocols=list(subprotocols),
                      extensions=list(extensions), extra_headers=list(headers))
        self.sock.sendall(self.conn.send(req))
        self.accept = None
        self.reject = None
        while self.accept is None and self.reject is None:
            if not self._fill():
                raise AssertionError("connection closed during the handshake")

    def _fill(self):
        try:
            data = self.sock.recv(65536)
        except ConnectionResetError:
            self.queue.append(("reset",))
            self.closed = True
            return False
        if not data:
            self.queue.append(("eof",))
            self.closed = True
            return False
        self.conn.receive_data(data)
        for ev in self.conn.events():
            if isinstance(ev, AcceptConnection):
                self.accept = ev
            elif isinstance(ev, RejectConnection):
                self.reject = ev
            elif isinstance(ev, RejectData):
                pass
            elif isinstance(ev, Message):
                self.parts.append(ev.data)
                if ev.message_finished:
                    kind = "text" if isinstance(ev, TextMessage) else "binary"
                    data_ = ("" if kind == "text" else b"").join(self.parts)
                    self.parts = []
                    self.queue.append((kind, data_))
            elif isinstance(ev, Ping):
                self.queue.append(("ping", bytes(ev.payload)))
            elif isinstance(ev, Pong):
                self.queue.append(("pong", bytes(ev.payload)))
            elif isinstance(ev, CloseConnection):
                self.queue.append(("close", ev.code, ev.reason or ""))
        return True

    def event(self):
        while not self.queue:
            if self.closed:
                return ("eof",)
            self._fill()
        return self.queue.popleft()

    def send_raw(self, data):
        self.sock.sendall(data)

    def send(self, message):
        self.sock.sendall(client_frame(1 if isinstance(message, str) else 2, message))

    def close_handshake(self, code=1000, reason=""):
        """Send a close frame; return the server's answer and what follows."""
        self.sock.sendall(client_frame(8, code.to_bytes(2, "big") + reason.encode()))
        return [self.event(), self.event()]

    def shut(self):
        self.sock.close()


# -- handshake -----------------------------------------------------------------

def http_upgrade(port, path="/echo", drop=(), **override):
    headers = {"Host": "127.0.0.1", "Upgrade": "websocket", "Connection": "Upgrade",
               "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}
    for name in drop:
        headers.pop(name)
    headers.update({k.replace("_", "-"): v for k, v in override.items()})
    head = "GET %s HTTP/1.1\r\n%s\r\n" % (path, "".join("%s: %s\r\n" % kv for kv in headers.items()))
    return read_response(port, head.encode())


def read_response(port, data):
    """Send `data`; return one response head and its Content-Length body."""
    with socket.create_connection(("127.0.0.1", port), TIMEOUT) as s:
        s.settimeout(TIMEOUT)
        s.sendall(data)
        buf = b""
        while b"\r\n\r\n" not in buf:
            chunk = s.recv(4096)
            if not chunk:
                return buf
            buf += chunk
        head, _, body = buf.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(body) < length:
            chunk = s.recv(4096)
            if not chunk:
                break
            body += chunk
        return head + b"\r\n\r\n" + body


def test_handshake_answers_101_with_accept_key(server):
    out = http_upgrade(server.port)
    head = out.split(b"\r\n\r\n")[0]
    assert head.startswith(b"HTTP/1.1 101 ")
    assert b"\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" in head


@pytest.mark.parametrize("drop,override,status,header", [
    (("Upgrade",), {}, 426, b"Upgrade: websocket"),
    ((), {"Upgrade": "h2c"}, 426, b"Upgrade: websocket"),
    ((), {"Connection": "keep-alive"}, 400, None),
    ((), {"Sec-WebSocket-Version": "8"}, 426, b"Sec-WebSocket-Version: 13"),
    (("Sec-WebSocket-Key",), {}, 400, None),
    ((), {"Sec-WebSocket-Key": "not-base64"}, 400, None),
])
def test_bad_handshake_gets_status_and_reason(server, drop, override, status, header):
    out = http_upgrade(server.port, drop=drop, **override)
    assert out.startswith(b"HTTP/1.1 %d " % status), out[:200]
    head, _, body = out.partition(b"\r\n\r\n")
    assert body.strip()                       # the reason, as text
    if header:
        assert header in head


def test_origin_check_refuses_with_403(server):
    assert http_upgrade(server.port, "/origin", Origin="http://evil.example").startswith(
        b"HTTP/1.1 403 ")
    with connect(ws_url(server, "/origin"), origin="http://good.example",
                 open_timeout=TIMEOUT) as ws:
        assert ws.recv(TIMEOUT) == "welcome"


def test_subprotocol_is_negotiated(server):
    with connect(ws_url(server, "/proto"), subprotocols=["chat", "superchat"],
                 open_timeout=TIMEOUT) as ws:
        assert ws.subprotocol == "superchat"
        assert ws.recv(TIMEOUT) == "superchat"
    with connect(ws_url(server, "/proto"), open_timeout=TIMEOUT) as ws:
        assert ws.subprotocol is None
        assert ws.recv(TIMEOUT) == "None"


def test_permessage_deflate_offer_is_declined(server):
    # websockets offers permessage-deflate by default and checks the answer.
    with connect(ws_url(server), open_timeout=TIMEOUT) as ws:
        assert "Sec-WebSocket-Extensions" not in ws.response.headers
        ws.send("not compressed")
        assert ws.recv(TIMEOUT) == "not compressed"


# -- echo ------------------------------------------------------------------------

def sizes(runtime):
    if base_runtime(runtime) == "cpython":
        return [0, 125, 126, 65535, 65536, MB]
    return [0, 125, 126, 65535, 65536]


def test_echo_text_and_binary_of_every_length_class(server, runtime):
    with connect(ws_url(server), max_size=None, open_timeout=TIMEOUT) as ws:
        for n in sizes(runtime):
            text = "".join(chr(0x41 + i % 26) for i in range(n))
            ws.send(text)
            assert ws.recv(TIMEOUT) == text
            data = bytes(i & 255 for i in range(n))
            ws.send(data)
            assert ws.recv(TIMEOUT) == data


def echo_16k_messages(app):
    text = "é" * 8192                        # 16 KB of UTF-8
    data = os.urandom(16384)
    with connect(ws_url(app), max_size=None, open_timeout=TIMEOUT) as ws:
        for _ in range(10):
            ws.send(text)
            assert ws.recv(TIMEOUT) == text
            ws.send(data)
            assert ws.recv(TIMEOUT) == data


def test_echo_16k_messages_within_a_small_heap(small_server):
    echo_16k_messages(small_server)


# With the package and the app in a ROMFS image (code in flash, as on a
# board with ROMFS). Two 16 KB blocks at once make this one depend on how
# the heap happens to be cut up. With 4 KB reads (2026-12-01, 6-12 runs per
# size) it passed at 104k and from 116k on, failed at 96-100k and, for one
# version of the app, at 108-112k every time (CI once failed at 112k).
# With 512-byte reads and the rest of a payload read into its block
# (ws._READ_SIZE): from 100k, and from 108k in each of three layouts (two
# apps changed on purpose; 104k failed in those). The test keeps a margin.
# (A run out of memory ends in a 1011 close, see the test after the next.)
ROMFS_SMALL_HEAP = "128k"


def test_echo_16k_messages_from_romfs(start_app):
    app = start_app(APP, "micropython-romfs", heapsize=ROMFS_SMALL_HEAP,
                    env={"AHTTP_WS_MAX": str(SMALL_LIMIT)})
    echo_16k_messages(app)
    assert app.alive()


# A handler that holds one message at a time (tests/apps/ws_small.py: the
# echo is `await ws.send(await ws.receive())`, one route), from ROMFS: one
# 16 KB block at a time besides the server. Passed from 78k, or from 84k
# after a change to ahttp.ws's code moved where small objects land, with
# 4 KB reads; from 76k (12 of 12) with 512-byte reads (2026-12-01); 72k
# fails. 120k before payloads were received in place (_ws._probe). Run
# with a margin, as above.
SMALL_APP = os.path.join(ROOT, "tests", "apps", "ws_small.py")
ONE_AT_A_TIME_HEAP = "92k"


def test_echo_16k_messages_one_at_a_time_from_romfs(start_app):
    app = start_app(SMALL_APP, "micropython-romfs", heapsize=ONE_AT_A_TIME_HEAP)
    echo_16k_messages(app)
    assert app.alive()


def test_messages_bigger_than_the_free_heap_go_through_in_pieces_at_68k(start_app):
    # The same 16 KB messages near 64k (where the whole-message echo app
    # runs out of memory, see below), relayed by receive_piece/send_piece.
    # The 200 KB message's edge moves with the heap's layout at import, not
    # only with its size: measured with exact heap sizes besides the image,
    # it passed from 64.25k, from 65k once a 44-byte function was added to
    # ahttp/__init__.py, and from about 66k (one failure seen at 66.5k)
    # with the handler-contract code; 68k keeps a margin.
    app = start_app(os.path.join(ROOT, "tests", "apps", "ws_pieces_small.py"),
                    "micropython-romfs", heapsize="68k")
    echo_16k_messages(app)
    with connect(ws_url(app), max_size=None, open_timeout=TIMEOUT) as ws:
        big = os.urandom(200000)
        ws.send(big)
        assert ws.recv(TIMEOUT) == big
    assert app.alive()
    assert "MemoryError" not in app.log()


def test_a_message_too_big_for_the_free_heap_closes_1009_and_the_server_goes_on(start_app):
    # At 64k the one-at-a-time app has ~14 KB free: a 16 KB message cannot
    # be received, though it is under max_message_size. The core refuses it
    # like one over the limit, 1009 "message too big" (the peer learns the
    # message is too big for this server, not that it failed: 1011), skips
    # the rest of it, and the server serves the next client.
    app = start_app(SMALL_APP, "micropython-romfs", heapsize="64k")
    for _ in range(3):
        with connect(ws_url(app), open_timeout=TIMEOUT) as ws:
            ws.send("small")
            assert ws.recv(TIMEOUT) == "small"
            ws.send(os.urandom(16384))
            with pytest.raises(websockets.ConnectionClosed) as info:
                ws.recv(TIMEOUT)
            assert (info.value.rcvd.code, info.value.rcvd.reason) == (1009, "message too big")
    with connect(ws_url(app), open_timeout=TIMEOUT) as ws:
        ws.send("still here")
        assert ws.recv(TIMEOUT) == "still here"
    assert app.alive()


def test_senders_and_receivers_in_several_tasks_take_turns(server):
    # /race: two tasks send 4 x 30 KB each at once (pieces with a yield
    # between them on MicroPython: interleaved frames would be garbage
    # here), then two tasks receive 11 messages at once: each message
    # whole, once, in order.
    with connect(ws_url(server, "/race"), max_size=None, open_timeout=TIMEOUT) as ws:
        got = [ws.recv(TIMEOUT) for _ in range(8)]
        assert sorted(got) == ["a" * 30000] * 4 + ["b" * 30000] * 4
        for i in range(11):
            ws.send("m%d" % i)
        assert ws.recv(TIMEOUT) == " ".join("m%d" % i for i in range(11))
    assert wait_closes(server, "race 1000 ", 1) == 1


def test_fragmented_messages_are_reassembled(server):
    with connect(ws_url(server), open_timeout=TIMEOUT) as ws:
        ws.send(["frag", "mented ", "", "tëxt"])
        assert ws.recv(TIMEOUT) == "fragmented tëxt"
        ws.send([b"\x00" * 1000, b"\x01" * 3000])
        assert ws.recv(TIMEOUT) == b"\x00" * 1000 + b"\x01" * 3000


def test_pings_between_fragments_are_answered_in_order(server):
    ws = RawWS(server.port)
    ws.send_raw(client_frame(1, "one ", fin=False) + client_frame(9, b"p1")
                + client_frame(0, "two ", fin=False) + client_frame(9, b"p2")
                + client_frame(0, "three"))
    assert [ws.event() for _ in range(3)] == [("pong", b"p1"), ("pong", b"p2"),
                                              ("text", "one two three")]
    assert ws.close_handshake() == [("close", 1000, ""), ("eof",)]


def test_client_ping_gets_pong_from_websockets_client(server):
    with connect(ws_url(server), open_timeout=TIMEOUT) as ws:
        for i in range(5):
            assert ws.ping(b"n%d" % i).wait(TIMEOUT)
        ws.send("after pings")
        assert ws.recv(TIMEOUT) == "after pings"


def test_server_ping_is_answered_by_client_and_consumed(server):
    ws = RawWS(server.port, "/ping")
    assert ws.event() == ("ping", b"hello")
    ws.send_raw(client_frame(10, b"hello"))
    ws.send("still here")
    assert ws.event() == ("text", "still here")
    assert ws.close_handshake() == [("close", 1000, ""), ("eof",)]


# -- closing ------------------------------------------------------------------------

def test_client_close_is_echoed_with_code_and_reason(server):
    ws = RawWS(server.port)
    assert ws.close_handshake(4321, "done here") == [("close", 4321, "done here"), ("eof",)]


def test_server_close_sends_code_and_reason(server):
    with connect(ws_url(server, "/close"), open_timeout=TIMEOUT) as ws:
        ws.send("go")
        with pytest.raises(websockets.ConnectionClosed) as info:
            ws.recv(TIMEOUT)
        assert info.value.rcvd.code == 4001 and info.value.rcvd.reason == "bye"


@pytest.mark.parametrize("query,code,reason", [
    ("", 1000, ""),
    ("?raise=ValueError", 1011, "internal error"),
    ("?raise=MemoryError", 1011, "out of memory"),
])
def test_a_socket_the_handler_leaves_open_is_closed_with_a_close_frame(server, query, code, reason):
    # The handler returns (or raises) without closing: the server closes
    # the WebSocket properly, not by dropping the TCP connection, then
    # keeps serving. The raw client checks the bytes: a close frame, and
    # the TCP close only after the client's answer.
    ws = RawWS(server.port, "/leave" + query)
    ws.send("hi")
    assert ws.event() == ("text", "got hi")
    assert ws.event() == ("close", code, reason)
    ws.send_raw(client_frame(8, code.to_bytes(2, "big")))
    assert ws.event() == ("eof",)
    with connect(ws_url(server), open_timeout=TIMEOUT) as ws:
        ws.send("still serving")
        assert ws.recv(TIMEOUT) == "still serving"
    if query:
        assert ("pretend the heap is full" if "Memory" in query else "a handler bug") in server.log()


@pytest.mark.async_only("stop() of the async server; the sync one closes its handler threads' sockets")
def test_server_stop_closes_websockets_with_1001(runtime, tmp_path):
    app = launch(runtime, tmp_path)
    try:
        socks = [RawWS(app.port) for _ in range(3)]
        for i, ws in enumerate(socks):
            ws.send("hello %d" % i)
            assert ws.event() == ("text", "hello %d" % i)
        import httpx
        assert httpx.get(app.url + "/stop", timeout=TIMEOUT).text == "stopping"
        for ws in socks:
            assert ws.event() == ("close", 1001, "going away")
            assert ws.event() in (("eof",), ("reset",))
        assert app.proc.wait(TIMEOUT) == 0, app.log()
        assert "EVENT stop returned" in app.log()
    finally:
        app.stop()


def test_a_big_message_in_many_small_pieces_and_the_next_one_behind_it(server):
    # The payload arrives in 100 pieces (each a separate read, most of
    # them straight into the message's block) and the next message rides
    # with the last piece: both come back whole and in order.
    ws = RawWS(server.port)
    payload = os.urandom(60000)
    frame = client_frame(2, payload)
    step = len(frame) // 100 + 1
    for i in range(0, len(frame) - step, step):
        ws.send_raw(frame[i:i + step])
        time.sleep(0.003)
    ws.send_raw(frame[i + step:] + client_frame(1, "after"))
    assert ws.event() == ("binary", payload)
    assert ws.event() == ("text", "after")
    assert ws.close_handshake() == [("close", 1000, ""), ("eof",)]


@pytest.mark.parametrize("size", [17, 1000, 1023, 4096])
def test_messages_relayed_in_pieces_come_back_whole(server, size):
    # Text split inside characters, binary, several frames, empty: each
    # echoed piece by piece comes back as the message sent.
    text = "é€𝄞x" * 3000                     # 30 KB of 1-4 byte characters
    data = os.urandom(50000)
    with connect(ws_url(server, "/pieces?size=%d" % size), max_size=None,
                 open_timeout=TIMEOUT) as ws:
        for message in (text, data, "", b"", "a", ["frag", "mented ", "tëxt"]):
            ws.send(message)
            want = "".join(message) if isinstance(message, list) else message
            assert ws.recv(TIMEOUT) == want
        ws.ping(b"between")
        ws.send(text)
        assert ws.recv(TIMEOUT) == text
    assert wait_closes(server, "pieces 1000 ", 1) >= 1


def test_receive_in_the_middle_of_a_message_in_pieces_is_refused(server):
    with connect(ws_url(server, "/pieces?size=100&mix=1"), open_timeout=TIMEOUT) as ws:
        ws.send("x" * 1000)
        assert ws.recv(TIMEOUT) == "RuntimeError"
        assert ws.recv(TIMEOUT) == "x" * 1000


def test_a_handler_that_raises_mid_message_skips_the_rest_of_it(server):
    # The handler raises while a 60 KB message is arriving (in pieces, with
    # pauses): the server's close frame comes first, the rest of the
    # message is skipped, not parsed as frames, and the client's close
    # frame after it is recognised.
    ws = RawWS(server.port, "/leave?raise=ValueError")
    frame = client_frame(2, os.urandom(60000))
    ws.send_raw(client_frame(1, "hi") + frame[:5000])
    assert ws.event() == ("text", "got hi")
    assert ws.event() == ("close", 1011, "internal error")
    for i in range(5000, len(frame), 20000):
        ws.send_raw(frame[i:i + 20000])
        time.sleep(0.05)
    ws.send_raw(client_frame(8, b"\x03\xf3"))
    # the answer is recognised: the server closes at once, not after its
    # close_timeout (5 s) of waiting for a close frame it missed
    ws.sock.settimeout(3.0)
    assert ws.event() == ("eof",)


@pytest.mark.async_only("a second task sends while the handler waits in receive()")
def test_send_from_another_task_while_receive_waits(server):
    ws = RawWS(server.port, "/push")
    ws.send("a")
    ws.send("b")
    ws.send("stop")
    got = []
    while True:
        ev = ws.event()
        if ev[0] == "close":
            break
        got.append(ev)
    assert ev[1] == 1000
    texts = [e[1] for e in got]
    ticks = [t for t in texts if t.startswith("tick ")]
    assert ticks == ["tick %d" % i for i in range(len(ticks))]
    assert [t for t in texts if t.startswith("echo ")] == ["echo a", "echo b"]
    ws.send_raw(client_frame(8, b"\x03\xe8"))
    assert ws.event() == ("eof",)


# -- violations and limits ------------------------------------------------------------

@pytest.mark.parametrize("name,data,code", [
    ("unmasked", client_frame(1, "hi", mask=None), 1002),
    ("rsv1 without extension", client_frame(1, "hi", rsv=4), 1002),
    ("reserved opcode", client_frame(5, b""), 1002),
    ("ping over 125 bytes", client_frame(9, b"x" * 126), 1002),
    ("fragmented close", client_frame(8, b"\x03\xe8", fin=False), 1002),
    ("continuation without start", client_frame(0, "x"), 1002),
    ("bad UTF-8", client_frame(1, b"\xc0\xaf"), 1007),
    ("bad UTF-8 across fragments", client_frame(1, b"\xe2\x82", fin=False)
     + client_frame(0, b"\x28"), 1007),
    ("close code 1005", client_frame(8, b"\x03\xed"), 1002),
    ("close code 999", client_frame(8, b"\x03\xe7"), 1002),
])
def test_protocol_violation_closes_with_code(server, name, data, code):
    ws = RawWS(server.port)
    ws.send("ok")
    assert ws.event() == ("text", "ok")
    ws.send_raw(data)
    assert ws.event()[:2] == ("close", code)
    ws.send_raw(client_frame(8, code.to_bytes(2, "big")))      # the client's answer
    assert ws.event() == ("eof",)


def test_oversize_message_closes_1009_without_buffering_it(small_server):
    # A 1 MB binary frame: refused from its header, skipped unbuffered.
    ws = RawWS(small_server.port)
    payload = os.urandom(MB)
    sender = threading.Thread(target=lambda: _send_quietly(ws, client_frame(2, payload)))
    sender.start()
    assert ws.event()[:2] == ("close", 1009)
    sender.join(TIMEOUT)
    ws.sock.sendall(client_frame(8, b"\x03\xe8"))
    assert ws.event() == ("eof",)
    # Still serving, limits intact.
    with connect(ws_url(small_server), open_timeout=TIMEOUT) as c:
        c.send("x" * SMALL_LIMIT)
        assert c.recv(TIMEOUT) == "x" * SMALL_LIMIT


def _send_quietly(ws, data):
    try:
        ws.sock.sendall(data)
    except OSError:
        pass


def test_oversize_fragmented_message_closes_1009(small_server):
    ws = RawWS(small_server.port)
    chunk = b"x" * 8000
    ws.send_raw(client_frame(2, chunk, fin=False) + client_frame(0, chunk, fin=False)
                + client_frame(0, chunk))
    assert ws.event()[:2] == ("close", 1009)
    ws.send_raw(client_frame(8, b"\x03\xe8"))
    assert ws.event() == ("eof",)


def test_websockets_client_sees_1009_for_oversize(small_server):
    with connect(ws_url(small_server), max_size=None, open_timeout=TIMEOUT) as ws:
        ws.send(b"y" * (SMALL_LIMIT + 1))
        with pytest.raises(websockets.ConnectionClosed) as info:
            ws.recv(TIMEOUT)
        assert info.value.rcvd.code == 1009


# -- dead and vanishing peers -------------------------------------------------------------

def test_abrupt_disconnects_leave_the_server_serving(server):
    # Mid-header, mid-payload, right after the handshake, with RST.
    key = "echo 1006 connection lost"
    before = closes(server).get(key, 0)
    cuts = [client_frame(2, b"z" * 1000)[:1], client_frame(2, b"z" * 1000)[:500], b""]
    for cut in cuts:
        ws = RawWS(server.port)
        if cut:
            ws.send_raw(cut)
        ws.shut()
    ws = RawWS(server.port)
    ws.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    ws.send_raw(client_frame(1, "abc", fin=False))
    ws.shut()                                   # RST
    with connect(ws_url(server), open_timeout=TIMEOUT) as c:
        c.send("alive")
        assert c.recv(TIMEOUT) == "alive"
    assert wait_closes(server, key, before + 4) == before + 4


@pytest.mark.async_only("keepalive pings come from a background task")
def test_keepalive_drops_a_peer_that_never_answers_pings(server):
    key = "keepalive 1006 keepalive ping timeout"
    before = closes(server).get(key, 0)
    ws = RawWS(server.port, "/keepalive")
    events = []
    while True:                                # bounded by the socket timeout
        ev = ws.event()
        events.append(ev)
        if ev[0] in ("eof", "reset", "close"):
            break
    assert events[0] == ("ping", b"keepalive")
    assert events[-1] in (("eof",), ("reset",))
    assert wait_closes(server, key, before + 1) == before + 1


@pytest.mark.async_only("keepalive pings come from a background task")
def test_keepalive_keeps_a_live_peer(server):
    with connect(ws_url(server, "/keepalive"), open_timeout=TIMEOUT) as ws:
        for i in range(3):
            ws.send("m%d" % i)                 # the client answers pings itself
            assert ws.recv(TIMEOUT) == "m%d" % i
            ws.ping().wait(TIMEOUT)


def test_many_connections_in_a_row(server):
    for i in range(20):
        with connect(ws_url(server), open_timeout=TIMEOUT, compression=None) as ws:
            ws.send(str(i))
            assert ws.recv(TIMEOUT) == str(i)
