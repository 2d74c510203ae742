"""Property-based tests of the sans-IO parsers: the HTTP request head and
body framing (RecvBuffer.next_head, parse_head, body_framing,
ChunkedDecoder, Request's target decoding) and the WebSocket frame parser.

What they prove, for arbitrary bytes, valid requests and mutated valid
requests:
- nothing escapes but the parser's own error (HTTPError / ProtocolError);
- bytes held while waiting for more stay within the configured limits;
- a stream split anywhere gives the same events as the stream fed whole.
The invariants themselves live in fuzz/targets.py, shared with the
coverage-guided harness (fuzz/run.py). Pure CPython; the same drivers run
under MicroPython in test_parsers_hold_under_micropython.
"""
import json
import os
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import ROOT, micropython_exe, runtime_env

sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "fuzz"))
from targets import (check_http_split, check_ws_split, default_limits,  # noqa: E402
                     drive_http, drive_ws, small_limits, split_every)
from ahttp import _ws  # noqa: E402

pytestmark = pytest.mark.timeout(240)

EXAMPLES = int(os.getenv("ROBUST_EXAMPLES", "300"))
FAST = settings(max_examples=EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# -- strategies: valid requests ------------------------------------------------

TOKEN_CHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
tokens = st.text(TOKEN_CHARS, min_size=1, max_size=12)
path_chars = "abcdefghijklmnopqrstuvwxyz0123456789-._~/"
paths = st.builds(lambda p, q: "/" + p + ("?" + q if q else ""),
                  st.text(path_chars, max_size=20),
                  st.lists(st.sampled_from(["a", "b=", "=", "&", "%20", "+", "x%C3%A9", "y"]),
                           max_size=6).map("".join))
values = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7e), max_size=20).map(str.strip)
methods = st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "X-CUSTOM"])


@st.composite
def requests(draw, max_body=64):
    method = draw(methods)
    version = draw(st.sampled_from(["HTTP/1.1", "HTTP/1.0"]))
    lines = ["%s %s %s" % (method, draw(paths), version)]
    if version == "HTTP/1.1" or draw(st.booleans()):
        lines.append("Host: %s" % draw(st.text("abcdefghij.:0123456789", min_size=1, max_size=15)))
    names = draw(st.lists(tokens.filter(lambda n: n.lower() not in (
        "host", "content-length", "transfer-encoding")), max_size=3))
    for n in names:
        lines.append("%s: %s" % (n, draw(values)))
    body = draw(st.binary(max_size=max_body))
    framing = draw(st.sampled_from(["none", "length", "chunked"]))
    if framing == "none":
        body = b""
    wire_body = body
    if framing == "length":
        lines.append("Content-Length: %d" % len(body))
    elif framing == "chunked":
        lines.append("Transfer-Encoding: chunked")
        sizes = draw(st.lists(st.integers(1, 20), max_size=4))
        parts, pos = [], 0
        for s in sizes:
            piece = body[pos:pos + s]
            if not piece:
                break
            ext = draw(st.sampled_from(["", ";a=b", ";x"]))
            parts.append(b"%x%s\r\n%s\r\n" % (len(piece), ext.encode(), piece))
            pos += len(piece)
        if pos < len(body):
            parts.append(b"%x\r\n%s\r\n" % (len(body) - pos, body[pos:]))
        trailer = draw(st.sampled_from([b"", b"X-Trailer: t\r\n"]))
        wire_body = b"".join(parts) + b"0\r\n" + trailer + b"\r\n"
    head = ("\r\n".join(lines) + "\r\n\r\n").encode()
    return head + wire_body, body


@st.composite
def pipelines(draw):
    """Two or three valid requests back to back (keep-alive pipelining)."""
    reqs = draw(st.lists(requests(), min_size=1, max_size=3))
    return b"".join(r[0] for r in reqs), [r[1] for r in reqs]


@st.composite
def mutated(draw):
    """A valid pipeline with a few bytes flipped, inserted or removed."""
    data = bytearray(draw(pipelines())[0])
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "insert", "delete", "dup"]))
        i = draw(st.integers(0, max(0, len(data) - 1)))
        if op == "flip" and data:
            data[i] = draw(st.sampled_from(
                [0, 9, 10, 13, 32, 0x7f, 0x80, 0xff, ord(":"), ord("%"), ord(";"),
                 draw(st.integers(0, 255))]))
        elif op == "insert":
            data[i:i] = draw(st.sampled_from(
                [b"\r\n", b"\n", b"\r", b" ", b"\x00", b"\t", b"Content-Length: 5\r\n",
                 b"Transfer-Encoding: chunked\r\n", b"%", b"%zz", b"\xc3", b"-1", b"ffffffffff"]))
        elif op == "delete" and data:
            del data[i:i + draw(st.integers(1, 3))]
        elif op == "dup" and data:
            j = draw(st.integers(i, len(data)))
            data[j:j] = data[i:j]
    return bytes(data)


def cut_points(draw, n):
    if n < 2:
        return []
    return sorted(set(draw(st.lists(st.integers(1, n - 1), max_size=6))))


# -- HTTP properties ------------------------------------------------------------

@FAST
@given(st.binary(max_size=600), st.booleans())
def test_arbitrary_bytes_raise_only_http_errors(data, small):
    limits = small_limits() if small else default_limits()
    drive_http([data], limits)
    drive_http([data[i:i + 1] for i in range(len(data))], limits)


@FAST
@given(st.data())
def test_arbitrary_bytes_split_anywhere_same_outcome(data):
    blob = data.draw(st.binary(max_size=400))
    cuts = cut_points(data.draw, len(blob))
    check_http_split(blob, small_limits(), cuts)


@settings(max_examples=max(50, EXAMPLES // 3), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(pipelines())
def test_valid_requests_split_at_every_byte_boundary_parse_the_same(pipe):
    data, bodies = pipe
    limits = default_limits()
    whole = drive_http([data], limits)
    assert [e for e in whole if e[0] == "error"] == [], whole
    assert sum(1 for e in whole if e[0] == "end") == len(bodies)
    got = [e[1] for e in whole if e[0] == "body"]
    assert got == [b for b in bodies if b]
    for i in range(1, len(data)):
        assert drive_http([data[:i], data[i:]], limits) == whole, i
    assert drive_http([data[i:i + 1] for i in range(len(data))], limits) == whole


@FAST
@given(mutated(), st.data())
def test_mutated_requests_raise_only_http_errors_and_split_the_same(blob, data):
    cuts = cut_points(data.draw, len(blob))
    check_http_split(blob, default_limits(), cuts)
    check_http_split(blob, small_limits(), cuts)


@FAST
@given(st.integers(1, 64), st.sampled_from([b"A", b"GET /", b"X-H: ", b"GET / HTTP/1.1\r\nX: "]))
def test_endless_head_is_refused_within_max_head(step, prefix):
    # A head that never ends: the error comes before max_head + one read
    # of bytes is buffered, whatever the read size (a header line where the
    # request line belongs cannot become one: 400 at once).
    limits = default_limits()
    data = prefix + b"a" * 9000
    events = drive_http([data[i:i + step] for i in range(0, len(data), step)], limits)
    want = (400,) if prefix == b"X-H: " else (414, 431)
    assert events[-1][0] == "error" and events[-1][1] in want, events


@FAST
@given(st.integers(1, 32), st.integers(1, 300))
def test_endless_chunk_line_is_refused(step, n):
    head = b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    data = head + b"1;" + b"e" * (n + 300)
    events = drive_http([data[i:i + step] for i in range(0, len(data), step)],
                        default_limits())
    assert events[-1] == ("error", 400), events


def test_parser_memory_stays_bounded_on_a_megabyte_of_hostile_input():
    # tracemalloc: peak allocation while 1 MB of never-ending head, header
    # lines and chunk extensions arrive in 1 KB reads.
    import tracemalloc
    limits = default_limits()
    head = b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    cases = [b"G" * (1 << 20), b"GET / HTTP/1.1\r\nX: " + b"v" * (1 << 20),
             head + b"1;" + b"e" * (1 << 20), head + b"1\r\nA\r\n" * (1 << 17)]
    for data in cases:
        pieces = [data[i:i + 1024] for i in range(0, len(data), 1024)]
        tracemalloc.start()
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        events = drive_http(pieces, limits, record=False)
        peak = tracemalloc.get_traced_memory()[1] - before
        tracemalloc.stop()
        assert events[-1][0] == "error", events[-3:]
        # a few copies of max_head (4 KB) plus one read, never the megabyte
        assert peak < 64 * 1024, (data[:40], peak)


# -- known hostile inputs, one per rule ----------------------------------------

SMUGGLING_HEADS = [
    b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0x5\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n",
]


@pytest.mark.parametrize("head", SMUGGLING_HEADS)
def test_ambiguous_framing_never_yields_a_body_length(head):
    events = drive_http([head + b"0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"],
                        default_limits())
    assert events[-1][0] == "error" and events[-1][1] in (400, 413, 501), events
    assert not any(e[0] == "head" and e[1][1] == "/smuggled" for e in events)


def test_first_line_longer_than_max_request_line_is_refused_whole_or_split():
    # The request line is too long: a 414 whether its LF arrived in the
    # same read or not (split, the limit is noticed before the LF).
    limits = small_limits()
    data = b"GET /" + b"a" * 80 + b" HTTP/1.1\r\nHost: x\r\n"
    assert drive_http([data[:70], data[70:]], limits) == [("error", 414)]
    assert drive_http([data], limits) == [("error", 414)]


@pytest.mark.parametrize("limits", [small_limits(), default_limits()], ids=["small", "default"])
def test_request_line_of_exactly_max_request_line_is_accepted_when_split_after_cr(limits):
    # A request line of exactly max_request_line bytes is within the limit;
    # a read that ends between its CR and LF must not change that.
    n = limits.max_request_line
    line = b"GET /" + b"a" * (n - len("GET / HTTP/1.1")) + b" HTTP/1.1"
    assert len(line) == n
    data = line + b"\r\nHost: x\r\n\r\n"
    whole = drive_http([data], limits)
    assert whole[-1] == ("end",), whole
    assert drive_http([data[:n + 1], data[n + 1:]], limits) == whole


@pytest.mark.parametrize("target,last", [
    ("?a=b", ("error", 400)), ("?", ("error", 400)), ("#frag", ("error", 400)),
    ("%", ("error", 400)), ("http:/x", ("error", 400)), ("//x", ("end",))])
def test_odd_targets_raise_only_http_errors(target, last):
    # Request() decodes the target; anything odd must be a 400, not a crash.
    data = ("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % target).encode()
    events = drive_http([data], default_limits())
    assert events[-1] == last, events


# -- WebSocket properties --------------------------------------------------------

def frame(opcode, payload, fin=True, mask=b"\x01\x02\x03\x04"):
    return _ws.encode_frame(opcode, payload, fin=fin, mask=mask)


@st.composite
def ws_streams(draw):
    """Valid client frame sequences: text/binary messages, fragmented ones
    with pings in between, pongs, and a close at the end (sometimes)."""
    out = []
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["text", "binary", "frag", "ping", "pong"]))
        mask = draw(st.binary(min_size=4, max_size=4))
        if kind == "text":
            out.append(frame(1, draw(st.text(max_size=40)).encode(), mask=mask))
        elif kind == "binary":
            out.append(frame(2, draw(st.binary(max_size=200)), mask=mask))
        elif kind == "frag":
            parts = draw(st.lists(st.binary(max_size=30), min_size=2, max_size=4))
            for i, p in enumerate(parts):
                op = 2 if i == 0 else 0
                out.append(frame(op, p, fin=i == len(parts) - 1, mask=mask))
                if i == 0 and draw(st.booleans()):
                    out.append(frame(9, b"mid", mask=mask))
        elif kind == "ping":
            out.append(frame(9, draw(st.binary(max_size=125)), mask=mask))
        else:
            out.append(frame(10, draw(st.binary(max_size=125)), mask=mask))
    if draw(st.booleans()):
        out.append(_ws.encode_close(1000, "bye", mask=b"abcd"))
    return b"".join(out)


@FAST
@given(st.binary(max_size=500), st.data())
def test_ws_arbitrary_bytes_raise_only_protocol_errors_and_split_the_same(blob, data):
    cuts = cut_points(data.draw, len(blob))
    check_ws_split(blob, cuts, max_message=256)
    check_ws_split(blob, cuts, max_message=64, max_frame=16)


@settings(max_examples=max(50, EXAMPLES // 3), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(ws_streams())
def test_ws_valid_frames_split_at_every_byte_boundary_parse_the_same(stream):
    whole = drive_ws([stream], max_message=1024)
    assert not [e for e in whole if e[0] == "error"], whole
    for i in range(1, len(stream)):
        assert drive_ws([stream[:i], stream[i:]], max_message=1024) == whole, i
    assert drive_ws([stream[i:i + 1] for i in range(len(stream))], max_message=1024) == whole


@FAST
@given(ws_streams(), st.data())
def test_ws_mutated_frames_raise_only_protocol_errors(stream, data):
    b = bytearray(stream)
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(b) - 1))
        b[i] = data.draw(st.integers(0, 255))
    cuts = cut_points(data.draw, len(b))
    check_ws_split(bytes(b), cuts, max_message=128)


@pytest.mark.parametrize("length", [126 * 1024, 1 << 40, (1 << 63) - 1])
def test_ws_huge_declared_length_is_refused_before_buffering(length):
    # A header announcing a huge frame, then a trickle of payload: refused
    # from the header, nothing of the payload is kept.
    hdr = _ws.encode_header(2, length, mask=b"abcd")
    events = drive_ws([hdr] + [b"x" * 1024] * 64, max_message=4096)
    assert events[0] == ("error", 1009), events[:3]


# -- the same drivers under MicroPython ------------------------------------------

MP_SCRIPT = r"""
import sys, json
sys.path.insert(0, FUZZ)
import targets
cases = json.loads(open(CASES).read())
n = 0
for kind, hexdata, cuts in cases:
    data = bytes.fromhex(hexdata)
    if kind == "http":
        r = targets.check_http_split(data, targets.default_limits(), cuts)
        targets.check_http_split(data, targets.small_limits(), cuts)
    else:
        r = targets.check_ws_split(data, cuts, 256)
    n += 1
print("OK", n)
"""


def test_parsers_hold_under_micropython(tmp_path):
    # A few hundred generated streams (valid, mutated, random), each fed
    # whole and split, through the same drivers on MicroPython: its str,
    # bytes and re differ from CPython's, so the invariants are checked
    # there too.
    import random
    rnd = random.Random(20240)
    cases = []
    samples = []

    @settings(max_examples=120, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(pipelines(), mutated(), ws_streams())
    def collect(p, m, w):
        samples.append((p[0], m, w))
    collect()
    for p, m, w in samples:
        for kind, data in (("http", p), ("http", m), ("ws", w)):
            cuts = sorted(set(rnd.randrange(1, len(data)) for _ in range(3))) if len(data) > 1 else []
            cases.append((kind, data.hex(), cuts))
    for _ in range(60):
        blob = bytes(rnd.randrange(256) for _ in range(rnd.randrange(200)))
        cases.append(("http", blob.hex(), [len(blob) // 2] if len(blob) > 1 else []))
        cases.append(("ws", blob.hex(), [len(blob) // 3] if len(blob) > 2 else []))
    path = tmp_path / "cases.json"
    path.write_text(json.dumps(cases))
    script = tmp_path / "mp_fuzz.py"
    script.write_text("FUZZ = %r\nCASES = %r\n" % (os.path.join(ROOT, "fuzz"), str(path))
                      + MP_SCRIPT)
    r = subprocess.run([micropython_exe(), str(script)], capture_output=True, text=True,
                       timeout=180, env=runtime_env("micropython"), cwd=str(tmp_path))
    assert r.returncode == 0 and ("OK %d" % len(cases)) in r.stdout, r.stdout[-3000:] + r.stderr[-3000:]


def test_fuzz_harness_runs_for_a_bounded_time(tmp_path):
    # fuzz/run.py, the coverage-guided harness (atheris when installed),
    # on the WebSocket target for a few seconds: it must run and pass.
    r = subprocess.run([sys.executable, os.path.join(ROOT, "fuzz", "run.py"), "--seconds", "6",
                        "--target", "ws", "--artifacts", str(tmp_path)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert "ws " in r.stdout and ", OK" in r.stdout, r.stdout[-2000:]


def test_frames_after_a_close_are_judged_whole_however_the_bytes_come():
    # (found by the fuzz harness) after the peer's close frame, a text frame
    # with invalid UTF-8 and then a reserved opcode: read whole, the text
    # frame is ignored (nothing may follow a close) and the opcode is a
    # 1002; read 4 bytes at a time, the partial text frame's early UTF-8
    # check answered 1007 instead
    def frame(op, payload, mask=b"\x01\x02\x03\x04"):
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        return bytes([0x80 | op, 0x80 | len(payload)]) + mask + masked
    stream = (frame(8, b"\x03\xe8by\x01") + frame(1, b"\xff\xfe\xfd\xfc\xfb\xfa")
              + frame(3, b""))
    want = [("close", 1000, "by\x01"), ("error", 1002)]
    assert drive_ws([stream], 125, None) == want
    for size in range(1, 9):
        assert drive_ws(split_every(stream, size), 125, None) == want, size
