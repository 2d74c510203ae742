"""Autobahn-style table of WebSocket cases, run against both runtimes.

Each case names the Autobahn|Testsuite case it mirrors (1.x framing, 2.x
pings/pongs, 3.x reserved bits, 4.x opcodes, 5.x fragmentation, 6.x UTF-8,
7.x close handling, 9.x/10.x sizes and chunking), the raw client frames to
send and the exact events the server must answer with. A case that ends
open is closed normally afterwards (the server must echo 1000 and close
TCP); a case ending in ("close", code) must end with that code and TCP
closed once the client answers. permessage-deflate (12.x/13.x) is declined
at the handshake (see test_ws.py).
"""
import socket

import pytest

from test_ws import RawWS, launch, runtime, server  # noqa: F401 (fixtures)
from test_ws_unit import client_frame as F

TEXT, BIN, CONT, CLOSE, PING, PONG = 1, 2, 0, 8, 9, 10


def T(s):
    return ("text", s)


def B(b):
    return ("binary", b)


def P(b):
    return ("pong", b)


def C(code, reason=None):
    """A close frame; reason None: any reason (the server explains errors)."""
    return ("close", code, reason)


def same(got, expected):
    if expected[0] == "close" and expected[2] is None:
        return got[:2] == expected[:2]
    return got == expected


def bytewise(op, payload):
    """A message sent as one fragment per byte."""
    if isinstance(payload, str):
        payload = payload.encode()
    if not payload:
        return F(op, b"")
    frames = [F(op if i == 0 else CONT, payload[i:i + 1], fin=i == len(payload) - 1)
              for i in range(len(payload))]
    return b"".join(frames)


def close_payload(code, reason=b""):
    return code.to_bytes(2, "big") + reason


CASES = []


def case(cid, data, expected, step=None, client_closes=False):
    CASES.append((cid, data, expected, step, client_closes))


# 1.x Framing: text and binary, every length class, whole and chunked.
for n in (0, 125, 126, 127, 128, 65535, 65536):
    case("1.1 text %d" % n, F(TEXT, "*" * n), [T("*" * n)])
    case("1.2 binary %d" % n, F(BIN, b"\xfe" * n), [B(b"\xfe" * n)])
case("1.1.8 text 65536 in chunks of 997", F(TEXT, "*" * 65536), [T("*" * 65536)], step=997)
case("1.2.8 binary 65536 in chunks of 997", F(BIN, b"\xfe" * 65536), [B(b"\xfe" * 65536)],
     step=997)

# 2.x Pings and pongs.
case("2.1 empty ping", F(PING), [P(b"")])
case("2.2 ping with text payload", F(PING, "Hello, world!"), [P(b"Hello, world!")])
case("2.3 ping with binary payload", F(PING, b"\x00\xff\xfe\xfd\xfc\xfb\x00\xff"),
     [P(b"\x00\xff\xfe\xfd\xfc\xfb\x00\xff")])
case("2.4 ping of 125 bytes", F(PING, b"\xfe" * 125), [P(b"\xfe" * 125)])
case("2.5 ping of 126 bytes", F(PING, b"\xfe" * 126), [C(1002)])
case("2.6 ping of 125 bytes sent bytewise", F(PING, b"\xfe" * 125), [P(b"\xfe" * 125)], step=1)
case("2.7 unsolicited empty pong", F(PONG), [])
case("2.8 unsolicited pong with payload", F(PONG, "unsolicited"), [])
case("2.9 unsolicited pong, then ping", F(PONG, "x") + F(PING, "y"), [P(b"y")])
case("2.10 ten pings", b"".join(F(PING, "p%d" % i) for i in range(10)),
     [P(b"p%d" % i) for i in range(10)])
case("2.11 ten pings bytewise", b"".join(F(PING, "p%d" % i) for i in range(10)),
     [P(b"p%d" % i) for i in range(10)], step=1)

# 3.x Reserved bits (no extension was negotiated).
case("3.1 text with RSV=1", F(TEXT, "hi", rsv=1), [C(1002)])
case("3.2 echo, then text with RSV=2", F(TEXT, "ok") + F(TEXT, "hi", rsv=2) + F(PING),
     [T("ok"), C(1002)])
case("3.3 echo, then text with RSV=3, ping", F(TEXT, "ok") + F(TEXT, "hi", rsv=3) + F(PING),
     [T("ok"), C(1002)])
case("3.4 RSV=4 sent bytewise", F(TEXT, "ok") + F(TEXT, "hi", rsv=4) + F(PING),
     [T("ok"), C(1002)], step=1)
case("3.5 binary with RSV=5", F(BIN, b"\x00\xff", rsv=5), [C(1002)])
case("3.6 ping with RSV=6", F(PING, "p", rsv=6), [C(1002)])
case("3.7 close with RSV=7", F(CLOSE, close_payload(1000), rsv=7), [C(1002)])

# 4.x Reserved opcodes.
for op in (3, 4, 5, 6, 7):
    case("4.1 non-control opcode %d" % op, F(TEXT, "ok") + F(op, b"xyz") + F(PING),
         [T("ok"), C(1002)])
for op in (11, 12, 13, 14, 15):
    case("4.2 control opcode %d" % op, F(TEXT, "ok") + F(op, b"xyz") + F(PING),
         [T("ok"), C(1002)])

# 5.x Fragmentation.
case("5.1 fragmented ping", F(PING, "frag", fin=False) + F(CONT, "ment"), [C(1002)])
case("5.2 fragmented pong", F(PONG, "frag", fin=False) + F(CONT, "ment"), [C(1002)])
case("5.3 text in two fragments", F(TEXT, "frag", fin=False) + F(CONT, "ment"), [T("fragment")])
case("5.4 text in two fragments, bytewise",
     F(TEXT, "frag", fin=False) + F(CONT, "ment"), [T("fragment")], step=1)
case("5.6 ping between fragments", F(TEXT, "frag", fin=False) + F(PING, "p") + F(CONT, "ment"),
     [P(b"p"), T("fragment")])
case("5.7 ping between fragments, bytewise",
     F(TEXT, "frag", fin=False) + F(PING, "p") + F(CONT, "ment"), [P(b"p"), T("fragment")],
     step=1)
case("5.9 unfinished continuation without start",
     F(CONT, "x", fin=False) + F(TEXT, "y") + F(CONT, "z"), [C(1002)])
case("5.10 unfinished continuation without start, bytewise",
     F(CONT, "x", fin=False) + F(TEXT, "y") + F(CONT, "z"), [C(1002)], step=1)
case("5.12 final continuation without start", F(CONT, "x") + F(TEXT, "y"), [C(1002)])
case("5.15 message, then continuation of nothing",
     F(TEXT, "a", fin=False) + F(CONT, "b") + F(CONT, "c", fin=False) + F(TEXT, "d"),
     [T("ab"), C(1002)])
case("5.16 continuation, text, continuation",
     (F(CONT, "a", fin=False) + F(TEXT, "b", fin=False) + F(CONT, "c")) * 2, [C(1002)])
case("5.17 final continuation, text, continuation",
     (F(CONT, "a") + F(TEXT, "b", fin=False) + F(CONT, "c")) * 2, [C(1002)])
case("5.18 text inside unfinished text", F(TEXT, "a", fin=False) + F(TEXT, "b"), [C(1002)])
case("5.19 pings among five fragments",
     F(TEXT, "1", fin=False) + F(CONT, "2", fin=False) + F(PING, "a") + F(CONT, "3", fin=False)
     + F(CONT, "4", fin=False) + F(PING, "b") + F(CONT, "5"),
     [P(b"a"), P(b"b"), T("12345")])
case("5.20 pings among five fragments, bytewise",
     F(TEXT, "1", fin=False) + F(CONT, "2", fin=False) + F(PING, "a") + F(CONT, "3", fin=False)
     + F(CONT, "4", fin=False) + F(PING, "b") + F(CONT, "5"),
     [P(b"a"), P(b"b"), T("12345")], step=1)
case("5.x binary inside unfinished text", F(TEXT, "a", fin=False) + F(BIN, b"b"), [C(1002)])
case("5.x close between fragments", F(TEXT, "a", fin=False) + F(CLOSE, close_payload(1000)),
     [C(1000)], client_closes=True)

# 6.x UTF-8: each sequence as one frame and as one fragment per byte.
case("6.1.1 empty text", F(TEXT, b""), [T("")])
case("6.1.2 empty fragments", F(TEXT, b"", fin=False) + F(CONT, b"", fin=False) + F(CONT, b""),
     [T("")])
case("6.1.3 empty fragments, then text",
     F(TEXT, b"", fin=False) + F(CONT, b"", fin=False) + F(CONT, "middle", fin=False)
     + F(CONT, b""), [T("middle")])
HELLO = "Hello-µ@ßöäüàá-UTF-8!!"
case("6.2.1 valid text, one frame", F(TEXT, HELLO), [T(HELLO)])
for cut in range(1, len(HELLO.encode())):
    b = HELLO.encode()
    case("6.2.2 valid text split at byte %d" % cut,
         F(TEXT, b[:cut], fin=False) + F(CONT, b[cut:]), [T(HELLO)])
case("6.2.3 valid text, fragment per byte", bytewise(TEXT, HELLO), [T(HELLO)])
case("6.2.4 kosme, fragment per byte", bytewise(TEXT, "κόσμε"), [T("κόσμε")])
case("6.4.1 fail fast: valid, invalid, valid fragments",
     F(TEXT, "κόσμε", fin=False) + F(CONT, b"\xf4\x90\x80\x80", fin=False) + F(CONT, "edited"),
     [C(1007)])
case("6.4.2 fail fast: invalid code point split",
     F(TEXT, "κόσμε".encode() + b"\xf4", fin=False) + F(CONT, b"\x90\x80\x80", fin=False)
     + F(CONT, "edited"), [C(1007)])

VALID = [
    ("6.5 kosme", "κόσμε".encode()),
    ("6.7 first 1-byte", b"\x00"), ("6.7 first 2-byte", b"\xc2\x80"),
    ("6.7 first 3-byte", b"\xe0\xa0\x80"), ("6.7 first 4-byte", b"\xf0\x90\x80\x80"),
    ("6.9 last 1-byte", b"\x7f"), ("6.9 last 2-byte", b"\xdf\xbf"),
    ("6.9 last 3-byte", b"\xef\xbf\xbf"), ("6.9 last 4-byte", b"\xf4\x8f\xbf\xbf"),
    ("6.11 U+D7FF", b"\xed\x9f\xbf"), ("6.11 U+E000", b"\xee\x80\x80"),
    ("6.11 U+FFFD", b"\xef\xbf\xbd"),
    ("6.22 noncharacter U+FFFE", b"\xef\xbf\xbe"), ("6.22 noncharacter U+1FFFF", b"\xf0\x9f\xbf\xbf"),
    ("6.23 U+10FFFF", b"\xf4\x8f\xbf\xbf"),
]
INVALID = [
    ("6.3 kosme with surrogate", "κόσμε".encode() + b"\xed\xa0\x80edited"),
    ("6.8 5-byte sequence", b"\xf8\x88\x80\x80\x80"), ("6.8 6-byte sequence", b"\xfc\x84\x80\x80\x80\x80"),
    ("6.10 last 4-byte above U+10FFFF", b"\xf7\xbf\xbf\xbf"),
    ("6.10 last 5-byte", b"\xfb\xbf\xbf\xbf\xbf"), ("6.10 last 6-byte", b"\xfd\xbf\xbf\xbf\xbf\xbf"),
    ("6.11 U+110000", b"\xf4\x90\x80\x80"),
    ("6.12 lone continuation 0x80", b"\x80"), ("6.12 lone continuation 0xbf", b"\xbf"),
    ("6.12 two continuations", b"\x80\xbf"), ("6.12 all continuations", bytes(range(0x80, 0xc0))),
    ("6.13 lonely 2-byte starts", b"\xc0 \xc1 \xc2 \xdf "),
    ("6.13 lonely 3-byte starts", b"\xe0 \xe5 \xef "),
    ("6.13 lonely 4-byte starts", b"\xf0 \xf3 \xf7 "),
    ("6.14 2-byte missing last", b"\xc2"), ("6.14 3-byte missing last", b"\xe0\xa0"),
    ("6.14 4-byte missing last", b"\xf0\x90\x80"),
    ("6.15 concatenated incomplete", b"\xc0\xe0\x80\xf0\x80\x80\xdf\xef\xbf\xf7\xbf\xbf"),
    ("6.16 impossible 0xfe", b"\xfe"), ("6.16 impossible 0xff", b"\xff"),
    ("6.16 impossible 0xfefeffff", b"\xfe\xfe\xff\xff"),
    ("6.17 overlong slash 2-byte", b"\xc0\xaf"), ("6.17 overlong slash 3-byte", b"\xe0\x80\xaf"),
    ("6.17 overlong slash 4-byte", b"\xf0\x80\x80\xaf"),
    ("6.18 max overlong 2-byte", b"\xc1\xbf"), ("6.18 max overlong 3-byte", b"\xe0\x9f\xbf"),
    ("6.18 max overlong 4-byte", b"\xf0\x8f\xbf\xbf"),
    ("6.19 overlong NUL 2-byte", b"\xc0\x80"), ("6.19 overlong NUL 3-byte", b"\xe0\x80\x80"),
    ("6.19 overlong NUL 4-byte", b"\xf0\x80\x80\x80"),
    ("6.20 surrogate U+D800", b"\xed\xa0\x80"), ("6.20 surrogate U+DB7F", b"\xed\xad\xbf"),
    ("6.20 surrogate U+DB80", b"\xed\xae\x80"), ("6.20 surrogate U+DBFF", b"\xed\xaf\xbf"),
    ("6.20 surrogate U+DC00", b"\xed\xb0\x80"), ("6.20 surrogate U+DF80", b"\xed\xbe\x80"),
    ("6.20 surrogate U+DFFF", b"\xed\xbf\xbf"),
    ("6.21 surrogate pair", b"\xed\xa0\x80\xed\xb0\x80"),
    ("6.21 surrogate pair high", b"\xed\xaf\xbf\xed\xbf\xbf"),
]
for name, seq in VALID:
    case(name + ", one frame", F(TEXT, seq), [T(seq.decode())])
    case(name + ", fragment per byte", bytewise(TEXT, seq), [T(seq.decode())])
for name, seq in INVALID:
    case(name + ", one frame", F(TEXT, seq), [C(1007)])
    case(name + ", fragment per byte", bytewise(TEXT, seq), [C(1007)])

# 7.x Close handling.
case("7.1.1 echo, then close", F(TEXT, "Hello") + F(CLOSE, close_payload(1000)),
     [T("Hello"), C(1000)], client_closes=True)
case("7.1.2 close twice", F(CLOSE, close_payload(1000)) * 2, [C(1000)], client_closes=True)
case("7.1.3 ping after close", F(CLOSE, close_payload(1000)) + F(PING, "p"), [C(1000)],
     client_closes=True)
case("7.1.4 text after close", F(CLOSE, close_payload(1000)) + F(TEXT, "late"), [C(1000)],
     client_closes=True)
case("7.1.5 fragment, close, continuation",
     F(TEXT, "frag", fin=False) + F(CLOSE, close_payload(1000)) + F(CONT, "ment"), [C(1000)],
     client_closes=True)
case("7.1.6 large message, then close", F(TEXT, "BAsd7&jh23" * 6000)
     + F(CLOSE, close_payload(1000)), [T("BAsd7&jh23" * 6000), C(1000)], client_closes=True)
case("7.3.1 close with empty payload", F(CLOSE, b""), [C(1005, "")], client_closes=True)
case("7.3.2 close with 1-byte payload", F(CLOSE, b"\x03"), [C(1002)])
case("7.3.3 close with code only", F(CLOSE, close_payload(1000)), [C(1000, "")],
     client_closes=True)
case("7.3.4 close with code and reason", F(CLOSE, close_payload(1000, b"Hello World!")),
     [C(1000, "Hello World!")], client_closes=True)
case("7.3.5 close with 123-byte reason", F(CLOSE, close_payload(1000, b"*" * 123)),
     [C(1000, "*" * 123)], client_closes=True)
case("7.3.6 close with 124-byte reason", F(CLOSE, close_payload(1000, b"*" * 124)), [C(1002)])
case("7.5.1 close reason not UTF-8", F(CLOSE, close_payload(1000, b"\xce\xba\xe1\xbd\xb9\xcf"
                                                            b"\x83\xce\xbc\xce\xb5\xed\xa0\x80")),
     [C(1007)])
for code in (1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999):
    case("7.7 valid close code %d" % code, F(CLOSE, close_payload(code)), [C(code, "")],
         client_closes=True)
for code in (0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535):
    case("7.9 invalid close code %d" % code, F(CLOSE, close_payload(code)), [C(1002)])

# 9.x / 10.x: bigger messages, fragmented and in small TCP chunks.
case("9.1 text 64 KB in 16 fragments",
     b"".join(F(TEXT if i == 0 else CONT, "x" * 4096, fin=i == 15) for i in range(16)),
     [T("x" * 65536)])
case("9.2 binary 64 KB in 64 fragments",
     b"".join(F(BIN if i == 0 else CONT, b"\x01" * 1024, fin=i == 63) for i in range(64)),
     [B(b"\x01" * 65536)])
case("9.6 100 small messages at once", b"".join(F(TEXT, "m%d" % i) for i in range(100)),
     [T("m%d" % i) for i in range(100)])
case("10.1 text 64 KB in chunks of 1300", F(TEXT, "y" * 65536), [T("y" * 65536)], step=1300)


def send(ws, data, step):
    if step is None:
        ws.send_raw(data)
        return
    ws.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    for i in range(0, len(data), step):
        ws.send_raw(data[i:i + step])


@pytest.mark.parametrize("cid,data,expected,step,client_closes", CASES, ids=[c[0] for c in CASES])
def test_case(server, cid, data, expected, step, client_closes):
    ws = RawWS(server.port)
    try:
        send(ws, data, step)
        got = [ws.event() for _ in expected]
        assert len(got) == len(expected)
        assert all(same(g, e) for g, e in zip(got, expected)), got
        if expected and expected[-1][0] == "close":
            if not client_closes:
                ws.send_raw(F(CLOSE, close_payload(expected[-1][1])))
            assert ws.event() == ("eof",)
        else:
            assert ws.close_handshake() == [C(1000, ""), ("eof",)]
    finally:
        ws.shut()
