"""Sans-IO WebSocket core (ahttp/_ws.py): handshake, framing, UTF-8, close.

Everything here runs without sockets. The parser is fed whole, one byte at a
time and followed by the start of the next frame; the UTF-8 and framing
checks are repeated under MicroPython, whose decoder is laxer than CPython's.
"""
import os
import struct
import subprocess

import sys

import pytest

from conftest import ROOT, micropython_exe, runtime_env

if ROOT not in sys.path:
    sys.path.insert(0, ROOT)      # the package from this checkout

import ahttp._ws as _ws  # noqa: E402
from ahttp._ws import ProtocolError  # noqa: E402

MASK = b"\x37\xfa\x21\x3d"
OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0, 1, 2, 8, 9, 10


def client_frame(opcode, payload=b"", fin=True, mask=MASK, rsv=0, length=None):
    """A frame as a client sends it (masked unless mask=None)."""
    if isinstance(payload, str):
        payload = payload.encode()
    n = len(payload) if length is None else length
    b0 = (0x80 if fin else 0) | rsv << 4 | opcode
    m = 0x80 if mask else 0
    if n < 126:
        head = struct.pack("!BB", b0, m | n)
    elif n < 65536:
        head = struct.pack("!BBH", b0, m | 126, n)
    else:
        head = struct.pack("!BBQ", b0, m | 127, n)
    if mask:
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        head += mask
    return head + payload


def joined(frame):
    """A frame with its payload as one bytearray (big ones come in pieces)."""
    if frame is None:
        return None
    fin, opcode, payload = frame
    if isinstance(payload, list):
        payload = bytearray(b"".join(payload))
    return (fin, opcode, payload)


def failed(proto, data):
    """Feed `data` whole; the event of the peer's first violation: the
    Protocol answers it itself (our close frame queued, close_received
    False: the peer's close is still to come)."""
    events = feed_all(proto, data)
    assert events and events[-1][0] == _ws.CLOSE and not proto.close_received, events
    return events[-1]


def feed_all(proto, data, step=None):
    """Feed `data` (whole or `step` bytes at a time); return all events."""
    events = []
    chunks = [data] if step is None else [data[i:i + step] for i in range(0, len(data), step)]
    for chunk in chunks:
        proto.feed(chunk)
        while True:
            ev = proto.next_event()
            if ev is None:
                break
            events.append(ev)
    return events


# -- handshake ---------------------------------------------------------------

GOOD = {
    "host": "x", "upgrade": "websocket", "connection": "keep-alive, Upgrade",
    "sec-websocket-version": "13", "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
}


def test_accept_key_matches_rfc_example():
    assert _ws.accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def test_valid_request_returns_key():
    assert _ws.check_request("GET", "HTTP/1.1", GOOD) == GOOD["sec-websocket-key"]


@pytest.mark.parametrize("method,version,change,status", [
    ("POST", "HTTP/1.1", {}, 400),
    ("GET", "HTTP/1.0", {}, 400),
    ("GET", "HTTP/1.1", {"upgrade": None}, 426),
    ("GET", "HTTP/1.1", {"upgrade": "h2c"}, 426),
    ("GET", "HTTP/1.1", {"connection": "keep-alive"}, 400),
    ("GET", "HTTP/1.1", {"connection": None}, 400),
    ("GET", "HTTP/1.1", {"sec-websocket-version": "8"}, 426),
    ("GET", "HTTP/1.1", {"sec-websocket-version": None}, 426),
    ("GET", "HTTP/1.1", {"sec-websocket-key": None}, 400),
    ("GET", "HTTP/1.1", {"sec-websocket-key": "short=="}, 400),
    ("GET", "HTTP/1.1", {"sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ"}, 400),
    ("GET", "HTTP/1.1", {"sec-websocket-key": "dGhlIHNhbXBsZSBub25j!Q=="}, 400),
])
def test_bad_upgrade_request_is_refused_with_status(method, version, change, status):
    headers = dict(GOOD)
    for k, v in change.items():
        if v is None:
            headers.pop(k)
        else:
            headers[k] = v
    with pytest.raises(_ws.HandshakeError) as info:
        _ws.check_request(method, version, headers)
    assert info.value.status == status
    assert info.value.message
    if status == 426 and "sec-websocket-version" in change:
        assert ("Sec-WebSocket-Version", "13") in info.value.headers


def test_accept_response_bytes_are_exact():
    assert _ws.encode_accept("dGhlIHNhbXBsZSBub25jZQ==", "chat") == (
        b"HTTP/1.1 101 Switching Protocols\r\n"
        b"Upgrade: websocket\r\n"
        b"Connection: Upgrade\r\n"
        b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
        b"Sec-WebSocket-Protocol: chat\r\n"
        b"\r\n")


def test_accept_response_never_accepts_extensions():
    assert b"Extensions" not in _ws.encode_accept(GOOD["sec-websocket-key"])


@pytest.mark.parametrize("offered,supported,chosen", [
    ("chat, superchat", ["superchat", "chat"], "superchat"),
    ("chat", ["other"], None),
    (None, ["chat"], None),
    ("chat", None, None),
    ("a,b ,c", ["c"], "c"),
])
def test_subprotocol_is_the_servers_first_choice_the_client_offered(offered, supported, chosen):
    assert _ws.select_subprotocol(offered, supported) == chosen


# -- frame encoding ----------------------------------------------------------

@pytest.mark.parametrize("length,head", [
    (0, b"\x82\x00"),
    (125, b"\x82\x7d"),
    (126, b"\x82\x7e\x00\x7e"),
    (65535, b"\x82\x7e\xff\xff"),
    (65536, b"\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00"),
])
def test_header_uses_7_16_and_64_bit_lengths(length, head):
    assert _ws.encode_header(OP_BINARY, length) == head


def test_text_message_encodes_as_one_unmasked_frame():
    assert _ws.Protocol().encode_message("hé") == (b"\x81\x03h\xc3\xa9", None)


def test_big_message_is_not_copied_to_join_header_and_payload():
    payload = b"x" * 100000
    head, body = _ws.Protocol().encode_message(payload)
    assert head == b"\x82\x7f" + struct.pack("!Q", 100000) and body is payload


def test_close_frame_carries_code_and_reason():
    assert _ws.encode_close(1000, "bye") == b"\x88\x05\x03\xe8bye"
    assert _ws.encode_close(None) == b"\x88\x00"
    with pytest.raises(ValueError):
        _ws.encode_close(1000, "x" * 124)


@pytest.mark.parametrize("n", [0, 1, 3, 4, 5, 255, 256, 257, 1000, 70000])
def test_mask_round_trips_at_every_length(n):
    data = bytes((i * 7 + 3) & 255 for i in range(n))
    expected = bytes(b ^ MASK[i % 4] for i, b in enumerate(data))
    assert bytes(_ws.apply_mask(bytearray(data), MASK)) == expected


# -- frame parsing -------------------------------------------------------------

SIZES = [0, 1, 125, 126, 511, 512, 513, 65535, 65536, 200000]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("step", [None, 1, 1000])
def test_parser_returns_frames_fed_whole_bytewise_and_chunked(size, step):
    if step == 1 and size > 1000:
        step = 997
    payload = bytes(i & 255 for i in range(size))
    tail = client_frame(OP_TEXT, b"next")
    data = client_frame(OP_BINARY, payload) + tail[:3]
    parser = _ws.FrameParser(max_frame_size=None)
    frames = []
    for i in range(0, len(data), step or len(data)):
        parser.feed(data[i:i + (step or len(data))])
        frame = joined(parser.next_frame())
        if frame is not None:
            frames.append(frame)
    assert frames == [(True, OP_BINARY, bytearray(payload))]
    assert parser.next_frame() is None
    parser.feed(tail[3:])
    assert parser.next_frame() == (True, OP_TEXT, bytearray(b"next"))


def test_parser_needs_more_reports_missing_bytes():
    data = client_frame(OP_BINARY, b"x" * 1000)
    parser = _ws.FrameParser()
    assert parser.wanted() == 2
    parser.feed(data[:4])
    assert parser.next_frame() is None
    parser.feed(data[4:10])
    assert parser.next_frame() is None
    assert parser.wanted() == len(data) - 10
    parser.feed(data[10:])
    assert joined(parser.next_frame())[2] == b"x" * 1000


PARSE_ERRORS = [
    ("unmasked frame", client_frame(OP_TEXT, "hi", mask=None), 1002),
    ("rsv1", client_frame(OP_TEXT, "hi", rsv=4), 1002),
    ("rsv2", client_frame(OP_TEXT, "hi", rsv=2), 1002),
    ("rsv3", client_frame(OP_TEXT, "hi", rsv=1), 1002),
    ("opcode 3", client_frame(3), 1002),
    ("opcode 7", client_frame(7), 1002),
    ("opcode 11", client_frame(11), 1002),
    ("opcode 15", client_frame(15), 1002),
    ("fragmented ping", client_frame(OP_PING, fin=False), 1002),
    ("ping of 126 bytes", client_frame(OP_PING, b"x" * 126), 1002),
    ("close of 126 bytes", client_frame(OP_CLOSE, b"\x03\xe8" + b"x" * 124), 1002),
    ("64-bit length with MSB", b"\x82\xff\x80" + b"\x00" * 7 + MASK, 1002),
    ("frame over max_frame_size", client_frame(OP_BINARY, length=2000), 1009),
]


@pytest.mark.parametrize("name,data,code", PARSE_ERRORS, ids=[c[0] for c in PARSE_ERRORS])
def test_parser_rejects_bad_header_before_the_payload(name, data, code):
    parser = _ws.FrameParser(max_frame_size=1000)
    parser.feed(data[:14])          # the header alone decides
    with pytest.raises(ProtocolError) as info:
        parser.next_frame()
    assert info.value.code == code


# -- message assembly ------------------------------------------------------------

def test_fragmented_text_with_interleaved_ping_is_reassembled():
    data = (client_frame(OP_TEXT, "Hel", fin=False)
            + client_frame(OP_PING, "p")
            + client_frame(OP_CONT, "lo ", fin=False)
            + client_frame(OP_CONT, "wörld"))
    for step in (None, 1):
        events = feed_all(_ws.Protocol(), data, step)
        assert events == [(_ws.PING, b"p"), (_ws.MESSAGE, "Hello wörld")]


def test_fragmented_binary_with_empty_fragments():
    data = (client_frame(OP_BINARY, b"", fin=False)
            + client_frame(OP_CONT, b"\x00\xff", fin=False)
            + client_frame(OP_CONT, b""))
    assert feed_all(_ws.Protocol(), data) == [(_ws.MESSAGE, b"\x00\xff")]


def test_character_split_across_fragments_is_valid():
    text = "κόσμε€𝄞".encode()
    for cut in range(1, len(text)):
        data = (client_frame(OP_TEXT, text[:cut], fin=False)
                + client_frame(OP_CONT, text[cut:]))
        assert feed_all(_ws.Protocol(), data) == [(_ws.MESSAGE, "κόσμε€𝄞")]


ASSEMBLY_ERRORS = [
    ("continuation without start", client_frame(OP_CONT, "x"), 1002),
    ("text inside fragmented text",
     client_frame(OP_TEXT, "a", fin=False) + client_frame(OP_TEXT, "b"), 1002),
    ("binary inside fragmented text",
     client_frame(OP_TEXT, "a", fin=False) + client_frame(OP_BINARY, "b"), 1002),
    ("invalid UTF-8 text", client_frame(OP_TEXT, b"\xce\xba\xff"), 1007),
    ("invalid UTF-8 in the second fragment",
     client_frame(OP_TEXT, "ok", fin=False) + client_frame(OP_CONT, b"\xed\xa0\x80"), 1007),
    ("truncated character at the end of a message",
     client_frame(OP_TEXT, b"a\xe2\x82", fin=False) + client_frame(OP_CONT, b""), 1007),
    ("message over max_message_size in fragments",
     client_frame(OP_BINARY, b"x" * 600, fin=False)
     + client_frame(OP_CONT, length=600), 1009),
    ("close with 1-byte payload", client_frame(OP_CLOSE, b"\x03"), 1002),
    ("close with invalid UTF-8 reason", client_frame(OP_CLOSE, b"\x03\xe8\xff"), 1007),
]


@pytest.mark.parametrize("name,data,code", ASSEMBLY_ERRORS, ids=[c[0] for c in ASSEMBLY_ERRORS])
def test_protocol_violation_maps_to_close_code(name, data, code):
    proto = _ws.Protocol(max_message_size=1000)
    event = failed(proto, data)
    assert event[1] == code and event[2]        # a reason saying what broke
    frame = proto.data_to_send()
    assert frame == b"\x88" + bytes((2 + len(event[2].encode()),)) + struct.pack(
        "!H", code) + event[2].encode()
    assert proto.data_to_send() == b""           # taken
    assert proto.close_sent and proto.fail(ProtocolError(1011, "x"))[1] == 1011
    assert proto.data_to_send() == b""           # one close frame only


def test_invalid_utf8_prefix_fails_before_the_message_ends():
    proto = _ws.Protocol()
    assert failed(proto, client_frame(OP_TEXT, b"ok\xed\xa0", fin=False))[1] == 1007


@pytest.mark.parametrize("code,valid", [
    (0, False), (999, False), (1000, True), (1001, True), (1002, True), (1003, True),
    (1004, False), (1005, False), (1006, False), (1007, True), (1011, True),
    (1014, True), (1015, False), (1016, False), (1100, False), (2000, False),
    (2999, False), (3000, True), (4999, True), (5000, False), (65535, False),
])
def test_close_code_validity(code, valid):
    payload = struct.pack("!H", code)
    if valid:
        assert _ws.parse_close(payload) == (code, "")
    else:
        with pytest.raises(ProtocolError) as info:
            _ws.parse_close(payload)
        assert info.value.code == 1002


def test_close_is_echoed_with_code_and_reason():
    proto = _ws.Protocol()
    assert feed_all(proto, client_frame(OP_CLOSE, b"\x0b\xb8bye")) == [(_ws.CLOSE, 3000, "bye")]
    assert proto.close_received and proto.close_sent
    assert proto.data_to_send() == b"\x88\x05\x0b\xb8bye"
    assert proto.data_to_send() == b""


def test_empty_close_is_answered_with_empty_close():
    proto = _ws.Protocol()
    assert feed_all(proto, client_frame(OP_CLOSE)) == [(_ws.CLOSE, 1005, "")]
    assert proto.data_to_send() == b"\x88\x00"


def test_the_peers_close_answering_ours_is_not_echoed():
    proto = _ws.Protocol()
    assert proto.close_frame(4001, "bye") == b"\x88\x05\x0f\xa1bye"
    assert feed_all(proto, client_frame(OP_CLOSE, b"\x0f\xa1")) == [(_ws.CLOSE, 4001, "")]
    assert proto.data_to_send() == b""


def test_each_ping_is_answered_with_its_pong_in_order():
    proto = _ws.Protocol()
    data = client_frame(OP_PING, b"a") + client_frame(OP_TEXT, "t") + client_frame(OP_PING, b"")
    assert feed_all(proto, data, step=1) == [(_ws.PING, b"a"), (_ws.MESSAGE, "t"),
                                             (_ws.PING, b"")]
    assert proto.data_to_send() == b"\x8a\x01a\x8a\x00"
    assert feed_all(proto, client_frame(OP_PONG, b"x")) == [(_ws.PONG, b"x")]
    assert proto.data_to_send() == b""


@pytest.mark.parametrize("exc,code,reason", [
    (None, 1000, ""), (ValueError("bug"), 1011, "internal error"),
    (MemoryError(), 1011, "out of memory")])
def test_a_socket_left_open_is_closed_with_the_protocols_code(exc, code, reason):
    proto = _ws.Protocol()
    assert proto._ended(exc) == (_ws.CLOSE, code, reason)
    assert proto.data_to_send() == _ws.encode_close(code, reason)
    assert proto._ended(True) == (_ws.CLOSE, 1001, "going away")
    assert proto.data_to_send() == b""           # a close went already


def test_going_away_is_1001_once():
    # (the server's stop(): _ended(True))
    proto = _ws.Protocol()
    assert proto._ended(True) == (_ws.CLOSE, 1001, "going away")
    assert proto.data_to_send() == b"\x88\x0c\x03\xe9going away"
    assert proto._ended(None) == (_ws.CLOSE, 1000, "")
    assert proto.data_to_send() == b""           # ours went already


def test_a_lost_connection_is_1006_locally():
    assert _ws.Protocol().abort() == (_ws.CLOSE, 1006, "connection lost")
    assert _ws.Protocol().abort(True) == (_ws.CLOSE, 1006, "keepalive ping timeout")


def test_a_client_protocol_masks_its_answers():
    # (ahttp.testing's client: the same answers, masked)
    proto = _ws.Protocol(require_mask=False)
    proto.mask = MASK
    assert feed_all(proto, _ws.encode_frame(OP_PING, b"hi")) == [(_ws.PING, b"hi")]
    assert proto.data_to_send() == _ws.encode_frame(OP_PONG, b"hi", mask=MASK)


def test_frames_after_close_are_ignored():
    proto = _ws.Protocol()
    data = client_frame(OP_CLOSE, b"\x03\xe8") + client_frame(OP_TEXT, "late")
    assert feed_all(proto, data) == [(_ws.CLOSE, 1000, "")]


# -- UTF-8, on both runtimes ---------------------------------------------------------

UTF8_CASES = [
    b"", b"hello", "κόσμε".encode(), "€𝄞".encode(), b"\xf4\x8f\xbf\xbf", b"\xef\xbf\xbf",
    b"\xc0\xaf", b"\xc1\xbf", b"\xe0\x80\xaf", b"\xe0\x9f\xbf", b"\xf0\x80\x80\xaf",
    b"\xf0\x8f\xbf\xbf", b"\xed\xa0\x80", b"\xed\xbf\xbf", b"\xf4\x90\x80\x80",
    b"\xf5\x80\x80\x80", b"\xf8\x88\x80\x80\x80", b"\xfe", b"\xff", b"\x80", b"a\xbfb",
    b"\xc3", b"\xe2\x82", b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited",
]

# Run the same checks inside MicroPython: its str() decoder alone accepts
# overlong forms and surrogates.
_MP_SCRIPT = r"""
import ahttp._ws as _ws
import sys
cases = %r
for data in cases:
    try:
        _ws.decode_utf8(data); whole = 1
    except _ws.ProtocolError:
        whole = 0
    split = []
    for cut in range(len(data) + 1):
        v = _ws.Utf8Validator()
        try:
            v.feed(data[:cut], False); v.feed(data[cut:], True); split.append(1)
        except _ws.ProtocolError:
            split.append(0)
    print(whole, ''.join(str(s) for s in split))
"""


def expected_utf8(data):
    try:
        data.decode("utf-8")
        return 1
    except UnicodeDecodeError:
        return 0


@pytest.mark.parametrize("data", UTF8_CASES)
def test_utf8_check_agrees_with_cpython_whole_and_split(data):
    ok = expected_utf8(data)
    if ok:
        assert _ws.decode_utf8(data) == data.decode()
    else:
        with pytest.raises(ProtocolError):
            _ws.decode_utf8(data)
    for cut in range(len(data) + 1):
        v = _ws.Utf8Validator()
        try:
            v.feed(data[:cut], False)
            v.feed(data[cut:], True)
            got = 1
        except ProtocolError:
            got = 0
        assert got == ok, (data, cut)


def test_utf8_check_agrees_with_cpython_under_micropython():
    out = subprocess.run([micropython_exe(), "-c", _MP_SCRIPT % (UTF8_CASES,)],
                         env=runtime_env("micropython"), capture_output=True,
                         timeout=60, cwd=ROOT)
    assert out.returncode == 0, out.stderr.decode() + out.stdout.decode()
    lines = out.stdout.decode().split()
    assert len(lines) == 2 * len(UTF8_CASES)
    for i, data in enumerate(UTF8_CASES):
        ok = str(expected_utf8(data))
        assert lines[2 * i] == ok, data
        assert lines[2 * i + 1] == ok * (len(data) + 1), data


_MP_FRAMES = r"""
import ahttp._ws as _ws
import struct
mask = b"\x37\xfa\x21\x3d"
def frame(op, payload, fin=True):
    n = len(payload)
    b0 = (0x80 if fin else 0) | op
    if n < 126: head = struct.pack("!BB", b0, 0x80 | n)
    elif n < 65536: head = struct.pack("!BBH", b0, 0xfe, n)
    else: head = struct.pack("!BBQ", b0, 0xff, n)
    return head + mask + bytes(_ws.apply_mask(bytearray(payload), mask))
for size in (0, 125, 126, 600, 65535, 65536):
    payload = bytes(i & 255 for i in range(size))
    data = frame(2, payload) + frame(1, "é".encode(), False) + frame(9, b"p") + frame(0, b"x")
    for step in (len(data), 1000, 7):
        p = _ws.Protocol(max_message_size=None)
        ev = []
        for i in range(0, len(data), step):
            p.feed(data[i:i + step])
            while True:
                e = p.next_event()
                if e is None: break
                ev.append(e)
        assert ev == [(1, payload), (2, b"p"), (1, "éx")], (size, step)
print("frames ok")
"""


def test_parser_works_under_micropython():
    out = subprocess.run([micropython_exe(), "-c", _MP_FRAMES], env=runtime_env("micropython"),
                         capture_output=True, timeout=60, cwd=ROOT)
    assert out.stdout.strip() == b"frames ok", out.stderr.decode() + out.stdout.decode()


def test_a_big_frame_is_received_into_one_block():
    # One bytearray for the whole payload, filled as reads come (nothing
    # long-lived between the reads: the heap keeps its big free blocks).
    payload = bytes(i & 255 for i in range(20000))
    data = client_frame(OP_BINARY, payload)
    head = len(data) - len(payload)
    parser = _ws.FrameParser(max_frame_size=None)
    parser.feed(data[:5000])
    assert parser.next_frame() is None
    assert type(parser._whole) is bytearray and len(parser._whole) == len(payload)
    assert parser._block is parser._whole       # CPython: no in-place bytes
    assert parser.buffered() == 5000 - head
    for i in range(5000, len(data), 3333):
        parser.feed(data[i:i + 3333])
    assert parser.next_frame() == (True, OP_BINARY, bytearray(payload))
    assert parser.buffered() == 0


_MP_IN_PLACE = r"""
import gc
import ahttp._ws as _ws
import ahttp._ws_cold   # loaded by the first text frame that waits: not per message
mask = b"\x37\xfa\x21\x3d"
def frame(op, payload):
    head = bytes((0x80 | op, 0xfe, len(payload) >> 8, len(payload) & 255))
    return head + mask + bytes(_ws.apply_mask(bytearray(payload), mask))
text = "é" * 8192 + "x"
blob = bytes(i * 7 & 255 for i in range(16385))
for op, want in ((1, text), (2, blob)):
    data = frame(op, want.encode() if op == 1 else want)
    p = _ws.Protocol(max_message_size=None)
    gc.collect()
    before = gc.mem_alloc()
    for i in range(0, len(data), 1000):
        p.feed(data[i:i + 1000])
        ev = p.next_event()
    gc.collect()
    grown = gc.mem_alloc() - before
    msg = ev[1]
    # one block of the message's size (and the parser's small objects), no copy
    assert grown < 16385 + 1024, grown
    assert type(msg) is type(want) and msg == want and len(msg) == len(want)
    # the cached hash is right: dict lookups and == against a fresh copy
    fresh = want[:8000] + want[8000:]
    assert hash(msg) == hash(fresh) and {fresh: 1}.get(msg) == 1 and msg == fresh
    print(op, grown)
print("in place ok", _ws._HEADER is not None)
"""


def test_a_big_message_is_handed_over_in_the_block_it_came_in_under_micropython():
    # The payload is received into the bytes object handed over (the str is
    # made of its data without a copy): one block of the message's size,
    # not two (_ws._probe).
    out = subprocess.run([micropython_exe(), "-c", _MP_IN_PLACE], env=runtime_env("micropython"),
                         capture_output=True, timeout=60, cwd=ROOT)
    assert out.stdout.strip().endswith(b"in place ok True"), out.stderr.decode() + out.stdout.decode()


# -- after a protocol error -------------------------------------------------------

def test_after_an_error_frames_are_skipped_unbuffered_until_the_close_reply():
    proto = _ws.Protocol(max_message_size=1000)
    big = client_frame(OP_BINARY, b"z" * 300000)
    assert failed(proto, big[:20]) == (_ws.CLOSE, 1009, "frame too big")
    assert proto.data_to_send() == b"\x88\x0f\x03\xf1frame too big"
    events = feed_all(proto, big[20:] + client_frame(OP_PING) + client_frame(OP_CLOSE, b"\x03\xf1"),
                      step=65536)
    assert events == [(_ws.CLOSE, 1009, "frame too big")]
    assert proto.parser.buffered() < 65536


def test_room_is_exactly_the_missing_payload_and_reads_into_it_make_the_frame():
    # What a driver reads into room() never takes bytes of the next frame.
    proto = _ws.Protocol(max_message_size=None)
    payload = os.urandom(50000)
    data = client_frame(OP_BINARY, payload) + client_frame(OP_TEXT, "next")
    assert proto.parser.room() is None
    assert feed_all(proto, data[:3000]) == []
    got = 3000
    while True:
        room = proto.parser.room()
        if room is None:
            break
        assert len(room) == len(data) - len(client_frame(OP_TEXT, "next")) - got
        k = min(len(room), 7001)
        room[:k] = data[got:got + k]
        proto.parser.filled(k)
        got += k
    assert feed_all(proto, data[got:]) == [(_ws.MESSAGE, payload), (_ws.MESSAGE, "next")]


@pytest.mark.parametrize("piece,step", [(1, 5), (3, 1000), (100, 7), (512, 4096), (4096, 333)])
def test_pieces_mode_hands_out_each_frame_in_bounded_pieces(piece, step):
    # Masked frames fed in steps that cut anywhere: every piece is at most
    # `piece` bytes, unmasked right (the mask turned to its offset), text
    # pieces end on whole characters, a ping between fragments comes out
    # between them, and the pieces join to the messages sent.
    proto = _ws.Protocol(max_message_size=None)
    data = os.urandom(3001)
    text = "aé€𝄞" * 300
    stream = (client_frame(OP_BINARY, data) + client_frame(OP_TEXT, text[:500].encode(), fin=False)
              + client_frame(9, b"p") + client_frame(0, text[500:].encode())
              + client_frame(OP_TEXT, "") + client_frame(OP_TEXT, "z"))
    events = []
    proto.begin(piece)          # each message: the driver's receive_piece()
    for i in range(0, len(stream), step):
        proto.feed(stream[i:i + step])
        while True:
            ev = proto.next_event()
            if ev is None:
                break
            events.append(ev)
            if ev[0] == _ws.MESSAGE and ev[2]:
                proto.begin(piece)
    assert (_ws.PING, b"p") in events
    got, messages = [], []
    for ev in events:
        if ev[0] != _ws.MESSAGE:
            continue
        assert len(ev) == 3
        # (text: up to 3 bytes of a character cut at the last piece's end
        # come first)
        if isinstance(ev[1], str):
            assert len(ev[1].encode()) <= piece + 3
        else:
            assert len(ev[1]) <= piece
        got.append(ev[1])
        if ev[2]:
            messages.append(got[0][:0].join(got))
            got = []
    assert messages == [data, text, "", "z"]


def test_whole_messages_again_after_the_last_piece_and_not_before():
    proto = _ws.Protocol(max_message_size=None)
    proto.begin(10)
    events = feed_all(proto, client_frame(OP_BINARY, b"x" * 25) + client_frame(OP_TEXT, "whole"))
    assert events == [(_ws.MESSAGE, b"x" * 10, False), (_ws.MESSAGE, b"x" * 10, False),
                      (_ws.MESSAGE, b"x" * 5, True), (_ws.MESSAGE, "whole")]
    proto.begin(10)
    proto.feed(client_frame(OP_TEXT, "y" * 15))
    assert proto.next_event() == (_ws.MESSAGE, "y" * 10, False)   # not the last
    with pytest.raises(RuntimeError):
        proto.begin(0)


@pytest.mark.parametrize("received", [4, 1000, 69999])
def test_failing_mid_frame_skips_the_rest_of_it(received):
    # fail() from outside the parser (a handler raised, no memory for the
    # next payload) while a frame is half in: its remaining payload is
    # skipped, never parsed as frames, and the peer's close is found.
    proto = _ws.Protocol(max_message_size=None)
    big = client_frame(OP_BINARY, bytes(range(256)) * 273 + b"\x88" * 112)  # 70000 B
    assert feed_all(proto, client_frame(OP_TEXT, "hi") + big[:received]) == [(_ws.MESSAGE, "hi")]
    assert proto.fail(ProtocolError(1011, "internal error")) == (_ws.CLOSE, 1011, "internal error")
    assert proto.data_to_send() == b"\x88\x10\x03\xf3internal error"
    events = feed_all(proto, big[received:] + client_frame(OP_CLOSE, b"\x03\xf3"), step=7000)
    assert events == [(_ws.CLOSE, 1011, "internal error")]


def test_the_refused_frame_is_not_taken_for_the_close_reply():
    proto = _ws.Protocol()
    assert failed(proto, client_frame(OP_CLOSE, b"\x03\xe8", fin=False))[1] == 1002
    assert feed_all(proto, b"") == []
    assert feed_all(proto, client_frame(OP_CLOSE, b"\x03\xea")) == [
        (_ws.CLOSE, 1002, "fragmented control frame")]


def test_big_text_is_sent_encoded_in_pieces():
    text = "é" * 10000
    head, body = _ws.Protocol().encode_message(text)
    assert head == b"\x81\x7e" + struct.pack("!H", 20000) and body == text.encode()
    assert b"".join(_ws.pieces(body)) == text.encode()
    assert max(len(p) for p in _ws.pieces(body)) <= 4096


def test_big_binary_is_sent_in_pieces_without_copies():
    data = os.urandom(10000)
    head, body = _ws.Protocol().encode_message(data)
    assert head == b"\x82\x7e" + struct.pack("!H", 10000) and body is data
    assert [len(p) for p in _ws.pieces(body)] == [508, 4096, 4096, 1300]
    assert all(type(p) is memoryview and p.obj is data for p in _ws.pieces(body))


# -- a message the heap cannot hold; UTF-8 checked as a frame comes in ---------------

def test_a_message_that_cannot_be_allocated_is_refused_1009_and_dropped():
    # MemoryError anywhere in taking a message in (here: the parser, as
    # when its block cannot be had) is a 1009, not a handler error (1011),
    # and the fragments held so far are let go.
    proto = _ws.Protocol(max_message_size=None)
    assert feed_all(proto, client_frame(OP_BINARY, b"a" * 100, fin=False)) == []
    assert proto._parts

    def no_memory():
        raise MemoryError("memory allocation failed")
    proto.parser.next_frame = no_memory
    assert proto.next_event() == (_ws.CLOSE, 1009, "message too big")
    assert proto.data_to_send() == b"\x88\x11\x03\xf1message too big"
    assert proto._parts is None


@pytest.mark.parametrize("op,piece", [(OP_TEXT, "é😀"), (OP_BINARY, b"\x01\x02\x03")])
def test_small_fragments_are_merged_as_they_come(op, piece):
    # 1000 fragments of a few bytes are held as a few objects, not 1000
    proto = _ws.Protocol(max_message_size=None)
    frames = b"".join(client_frame(op if i == 0 else OP_CONT, piece, fin=False)
                      for i in range(1000))
    assert feed_all(proto, frames) == []
    assert len(proto._parts) <= 2
    events = feed_all(proto, client_frame(OP_CONT, piece))
    assert events == [(_ws.MESSAGE, piece * 1001)]
    assert type(events[0][1]) is type(piece)


@pytest.mark.parametrize("fragmented", [False, True])
def test_invalid_utf8_fails_before_the_frame_ends(fragmented):
    # Autobahn 6.4.3: the bytes that make the text invalid arrive, the rest
    # of the frame does not: 1007 now, not when (if ever) the frame ends.
    part1, part2, part3 = "κόσμε".encode(), b"\xf4\x90\x80\x80", b"edited"
    proto = _ws.Protocol()
    data = client_frame(OP_TEXT, part1 + part2 + part3)
    if fragmented:
        data = client_frame(OP_TEXT, b"ok", fin=False) + client_frame(OP_CONT, part1 + part2 + part3)
    assert feed_all(proto, data[:-len(part3 + part2)]) == []
    assert failed(proto, data[-len(part3 + part2):-len(part3)])[1] == 1007


@pytest.mark.parametrize("size", [100, 5000])
def test_valid_utf8_checked_as_it_comes_is_received_whole(size):
    # checked in every cut, in the receive buffer (100) and in a big
    # frame's block (5000), four-byte characters cut anywhere
    text = ("κ😀é" * size)[:size]
    for step in (1, 3, 7, 513):
        proto = _ws.Protocol()
        events = feed_all(proto, client_frame(OP_TEXT, text), step=step)
        assert events == [(_ws.MESSAGE, text)]
