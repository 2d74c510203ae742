"""ahttp.sse_client: the stream parser (WHATWG event-stream rules, fed
whole, a byte at a time and in odd splits; limits), and EventStream
against a real ahttp Broadcaster on both runtimes: every event once, in
order, across a server-side drop, resumed with Last-Event-ID.

The unit tests below use no pytest feature: tests/mp_unit.py runs them
under MicroPython as well (MP_UNIT_MODULE=test_sse_client).
"""
import sys

try:
    import ahttp  # noqa: F401  (MicroPython: mp_unit.py set the path)
except ImportError:
    import os
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from ahttp._sse_parse import SSEParser, SSEParseError
from ahttp.sse_client import parse_url, parse_response_head, encode_request

MICROPYTHON = sys.implementation.name == "micropython"

# (stream bytes, expected [(event, id, data)], last_id, retry after the stream)
CASES = [
    (b"data: a\n\n", [("message", None, "a")], None, None),
    (b"data: one\ndata: two\r\ndata:three\rdata\n\n",
     [("message", None, "one\ntwo\nthree\n")], None, None),
    (b"event: reading\nid: 7\ndata: {\"t\":1}\n\n", [("reading", "7", '{"t":1}')], "7", None),
    (b": comment\nretry: 2500\nid: 3\n\ndata: x\n\n", [("message", "3", "x")], "3", 2500),
    (b"retry: 12a\ndata: y\n\n", [("message", None, "y")], None, None),
    (b"id: 5\x00\ndata: z\n\n", [("message", None, "z")], None, None),
    (b"event: e\n\ndata: after\n\n", [("message", None, "after")], None, None),
    (b"data:\n\n", [("message", None, "")], None, None),
    (b"data:  two spaces\n\n", [("message", None, " two spaces")], None, None),
    (b"\xef\xbb\xbfdata: bom\n\n", [("message", None, "bom")], None, None),
    (b"foo: bar\ndata: q\nid\n\n", [("message", "", "q")], "", None),
    (b"data: unfinished\n", [], None, None),
    (b"data: a\r\n\r\ndata: b\r\r", [("message", None, "a"), ("message", None, "b")],
     None, None),
]


def _run(chunks):
    p = SSEParser()
    out = []
    for c in chunks:
        out += [(e.event, e.id, e.data) for e in p.feed(c)]
    return p, out


def test_parser_cases_fed_whole():
    for stream, expected, last_id, retry in CASES:
        p, out = _run([stream])
        assert out == expected, (stream, out)
        assert p.last_id == last_id and p.retry == retry, stream


def test_parser_cases_fed_a_byte_at_a_time():
    for stream, expected, last_id, retry in CASES:
        p, out = _run([stream[i:i + 1] for i in range(len(stream))])
        assert out == expected, (stream, out)
        assert p.last_id == last_id and p.retry == retry, stream


def test_parser_cases_split_everywhere_in_two():
    for stream, expected, _, _ in CASES:
        for i in range(1, len(stream)):
            _, out = _run([stream[:i], stream[i:]])
            assert out == expected, (stream, i, out)


def test_parser_cr_then_lf_in_next_chunk_is_one_line_end():
    _, out = _run([b"data: a\r", b"\ndata: b\r", b"\n\r", b"\n"])
    assert out == [("message", None, "a\nb")]


def test_parser_event_ids_persist_and_events_carry_them():
    p, out = _run([b"id: 1\ndata: a\n\ndata: b\n\nid: 2\ndata: c\n\n"])
    assert out == [("message", "1", "a"), ("message", "1", "b"), ("message", "2", "c")]
    p.reset()
    assert p.last_id == "2"


def test_parser_refuses_a_long_line_while_buffering():
    p = SSEParser(max_line=16)
    p.feed(b"data: 0123456789")
    try:
        p.feed(b"abcdef")
    except SSEParseError:
        return
    raise AssertionError("no SSEParseError for a 22-byte line")


def test_parser_refuses_an_oversized_event():
    p = SSEParser(max_event=20)
    try:
        p.feed(b"data: 0123456789\ndata: 0123456789\n")
    except SSEParseError:
        return
    raise AssertionError("no SSEParseError for 24 bytes of data")


def test_parser_replaces_bad_utf8():
    _, out = _run([b"data: a\xffb\n\n"])
    assert out == [("message", None, "a\ufffdb")]


def test_parse_url_and_request():
    assert parse_url("http://h:81/feed?x=1") == ("h", 81, "/feed?x=1")
    assert parse_url("http://h") == ("h", 80, "/")
    assert parse_url("http://[::1]:90/a") == ("::1", 90, "/a")
    for bad in ("https://h/", "ftp://h", "http:///x"):
        try:
            parse_url(bad)
        except ValueError:
            continue
        raise AssertionError("accepted " + bad)
    req = encode_request("h", 81, "/f", "42")
    assert req.startswith(b"GET /f HTTP/1.1\r\nHost: h:81\r\n")
    assert b"\r\nLast-Event-ID: 42\r\n" in req and req.endswith(b"\r\n\r\n")
    assert parse_response_head(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream") == (
        200, {"content-type": "text/event-stream"})


if not MICROPYTHON:
    import json
    import os
    import subprocess
    import time
    import urllib.request

    import pytest
    from conftest import ROOT, TESTS, micropython_exe, runtime_cmd, runtime_env

    def test_sse_client_tests_pass_under_micropython():
        env = runtime_env("micropython")
        env["MP_UNIT_MODULE"] = "test_sse_client"
        proc = subprocess.run([micropython_exe(), TESTS + "/mp_unit.py"], env=env,
                              cwd=ROOT, capture_output=True, text=True, timeout=120)
        out = proc.stdout + proc.stderr
        assert proc.returncode == 0 and "ALL PASSED" in out and "FAIL" not in out, out

    def _get(app, path):
        with urllib.request.urlopen(app.url + path, timeout=10) as r:
            return json.loads(r.read())

    def _wait(pred, what, timeout=15):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if pred():
                return
            time.sleep(0.05)
        raise AssertionError("timed out waiting for " + what)

    def _follow(runtime, url, count, last=None, tmp_path=None):
        log = open(str(tmp_path / ("follow-%s.log" % runtime)), "w+")
        args = [url, str(count)] + ([last] if last else [])
        proc = subprocess.Popen(runtime_cmd(runtime) + [TESTS + "/apps/sse_follow.py"] + args,
                                stdout=log, stderr=subprocess.STDOUT,
                                env=runtime_env(runtime), cwd=ROOT)
        return proc, log

    def _lines(proc, log):
        try:
            proc.wait(30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(5)
        log.seek(0)
        return log.read().splitlines()

    def test_event_stream_gets_every_event_once_in_order_across_a_drop(
            runtime, start_app, tmp_path):
        app = start_app("tests/apps/sse_app.py", runtime)
        proc, log = _follow(runtime, app.url + "/feed", 60, tmp_path=tmp_path)
        try:
            _wait(lambda: _get(app, "/debug/stats")["subscribers"] == 1, "the follower")
            assert _get(app, "/pump?n=30")["last"] == 30
            _wait(lambda: _get(app, "/debug/stats")["max_behind"] == 0, "30 events sent")
            _get(app, "/debug/drop")      # the server ends the stream
            # published while the follower is away (it waits 200 ms): the
            # ring (64) holds them for its Last-Event-ID
            assert _get(app, "/pump?n=30")["last"] == 60
            lines = _lines(proc, log)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(5)
        assert lines[-1] == "done", lines
        events = [l.split(" ", 3) for l in lines[:-1]]
        assert [e[1] for e in events] == [str(i) for i in range(1, 61)], lines
        assert [e[3] for e in events] == [str(i) for i in range(30)] * 2
        assert {e[0] for e in events[:30]} == {"1"} and {e[0] for e in events[30:]} == {"2"}

    def test_event_stream_resumes_after_its_first_last_event_id(
            runtime, start_app, tmp_path):
        app = start_app("tests/apps/sse_app.py", runtime)
        assert _get(app, "/pump?n=20")["last"] == 20
        proc, log = _follow(runtime, app.url + "/feed", 8, last="12", tmp_path=tmp_path)
        lines = _lines(proc, log)
        assert [l.split(" ")[1] for l in lines[:-1]] == [str(i) for i in range(13, 21)], lines

    def test_event_stream_reads_the_fixed_sequence_field_by_field(
            runtime, start_app, tmp_path):
        app = start_app("tests/apps/sse_app.py", runtime)
        proc, log = _follow(runtime, app.url + "/fixed", 7, tmp_path=tmp_path)
        lines = _lines(proc, log)
        # (the server's dict order differs between runtimes)
        assert json.loads(lines[2].split(" ", 3)[3]) == {"t": 21.5, "ok": True}, lines
        lines[2] = lines[2].split(" {")[0]
        assert lines == [
            "1 7 greeting hello",
            "1 7 message line one|line two|line three|line four",
            "1 r-2 reading",
            "1 r-2 message [1,2,3]",
            "1 r-2 message with retry",
            "1 r-2 empty ",
            "1 9 message   leading spaces",
            "done"], lines

    def test_event_stream_refuses_a_response_that_is_not_a_stream(
            runtime, start_app, tmp_path):
        app = start_app("tests/apps/sse_app.py", runtime)
        proc, log = _follow(runtime, app.url + "/debug/stats", 1, tmp_path=tmp_path)
        out = "\n".join(_lines(proc, log))
        assert proc.returncode != 0 and "SSEClientError" in out and "not an event stream" in out, out
