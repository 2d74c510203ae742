"""Exact wire bytes of the sans-IO SSE core (ahttp/_sse.py) and the
broadcaster core (ahttp/_broadcast.py), table-driven.

No pytest imports and no CPython-only modules: the same file runs under
MicroPython (`micropython tests/test_sse_unit.py`, see test_sse.py).
"""
try:
    import ahttp  # noqa: F401  (MicroPython: MICROPYPATH has the repo)
except ImportError:
    import os
    import sys
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from ahttp._http import encode_head
from ahttp._sse import (SSEError, encode_comment, encode_event, encode_stream_head,
                        last_event_id, stream_headers)
from ahttp._broadcast import BroadcastCore, Full, Lagged, parse_int_id, set_nodelay

# (kwargs of encode_event, exact bytes)
EVENT_CASES = [
    ({"data": "hello"}, b"data: hello\n\n"),
    ({"data": ""}, b"data\n\n"),
    ({"data": "a\nb"}, b"data: a\ndata: b\n\n"),
    ({"data": "a\r\nb"}, b"data: a\ndata: b\n\n"),
    ({"data": "a\rb"}, b"data: a\ndata: b\n\n"),
    ({"data": "a\r\rb"}, b"data: a\ndata\ndata: b\n\n"),
    ({"data": "a\n"}, b"data: a\ndata\n\n"),
    ({"data": "\n"}, b"data\ndata\n\n"),
    ({"data": " lead"}, b"data:  lead\n\n"),
    ({"data": "x: y"}, b"data: x: y\n\n"),
    ({"data": "caf\u00e9"}, "data: caf\u00e9\n\n".encode()),
    ({"data": b"raw\nbytes"}, b"data: raw\ndata: bytes\n\n"),
    ({"data": [1, 2, 3]}, b"data: [1,2,3]\n\n"),
    ({"data": {"t": 21.5}}, b'data: {"t":21.5}\n\n'),
    ({"data": {"s": "a\nb"}}, b'data: {"s":"a\\nb"}\n\n'),
    ({"data": 42}, b"data: 42\n\n"),
    ({"data": True}, b"data: true\n\n"),
    ({"data": "hi", "event": "greeting"}, b"event: greeting\ndata: hi\n\n"),
    ({"data": "hi", "id": 7}, b"id: 7\ndata: hi\n\n"),
    ({"data": "hi", "id": "abc-1"}, b"id: abc-1\ndata: hi\n\n"),
    ({"data": "hi", "id": ""}, b"id\ndata: hi\n\n"),
    ({"data": "hi", "retry": 3000}, b"retry: 3000\ndata: hi\n\n"),
    ({"retry": 0}, b"retry: 0\n\n"),
    ({"id": 5}, b"id: 5\n\n"),
    ({"data": "hello", "event": "greeting", "id": 7, "retry": 10},
     b"event: greeting\nid: 7\nretry: 10\ndata: hello\n\n"),
    # the shapes a broadcaster publishes most (encoded by one format)
    ({"data": "caf\u00e9", "id": 3}, "id: 3\ndata: caf\u00e9\n\n".encode()),
    ({"data": "hi", "event": "reading", "id": 12},
     b"event: reading\nid: 12\ndata: hi\n\n"),
    ({"data": {"t": 21.5}, "event": "reading", "id": 12},
     b'event: reading\nid: 12\ndata: {"t":21.5}\n\n'),
    ({"data": [1], "id": 4}, b"id: 4\ndata: [1]\n\n"),
    ({"data": b"raw", "id": 4}, b"id: 4\ndata: raw\n\n"),
    ({"data": "", "id": 4}, b"id: 4\ndata\n\n"),
    ({"data": "a\nb", "id": 4}, b"id: 4\ndata: a\ndata: b\n\n"),
    ({"data": "hi", "id": True}, b"id: True\ndata: hi\n\n"),
    ({"data": "hi", "id": 0}, b"id: 0\ndata: hi\n\n"),
]

# (kwargs, exception type) for fields that cannot go on the wire
BAD_EVENT_CASES = [
    ({"data": "x", "event": "a\nb"}, SSEError),
    ({"data": "x", "event": "a\nb", "id": 1}, SSEError),
    ({"data": "x", "event": "a\rb"}, SSEError),
    ({"data": "x", "id": "1\n2"}, SSEError),
    ({"data": "x", "id": "1\r"}, SSEError),
    ({"data": "x", "id": "a\x00b"}, SSEError),
    ({"data": "x", "retry": -1}, SSEError),
    ({"data": "x", "retry": 1.5}, SSEError),
    ({"data": "x", "retry": "10"}, SSEError),
    ({"data": "x", "retry": True}, SSEError),
    ({}, SSEError),
]

COMMENT_CASES = [
    ("", b":\n\n"),
    ("ping", b": ping\n\n"),
    ("a\nb", b": a\n: b\n\n"),
    ("a\r\nb", b": a\n: b\n\n"),
]


def raises(exc_type, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except exc_type as e:
        return e
    raise AssertionError("did not raise %s" % exc_type.__name__)


def test_encode_event_exact_bytes():
    for kwargs, expected in EVENT_CASES:
        got = encode_event(**kwargs)
        assert got == expected, (kwargs, got, expected)


def test_encode_event_refuses_unencodable_fields():
    for kwargs, exc in BAD_EVENT_CASES:
        e = raises(exc, encode_event, **kwargs)
        assert isinstance(e, ValueError)       # SSEError is a ValueError
        assert str(e)


def test_error_names_the_bad_field():
    assert "event" in str(raises(SSEError, encode_event, "x", event="a\nb"))
    assert "id" in str(raises(SSEError, encode_event, "x", id="a\nb"))
    assert "NUL" in str(raises(SSEError, encode_event, "x", id="a\x00"))


def test_encode_comment_exact_bytes():
    for text, expected in COMMENT_CASES:
        got = encode_comment(text)
        assert got == expected, (text, got, expected)


def test_stream_head_is_close_delimited_event_stream():
    head = encode_stream_head()
    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    assert head.endswith(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    assert b"Content-Type: text/event-stream" in lines
    assert b"Cache-Control: no-cache" in lines
    assert b"Connection: close" in lines
    assert b"X-Accel-Buffering: no" in lines
    assert b"content-length" not in head.lower()
    assert b"transfer-encoding" not in head.lower()


def test_stream_head_constant_is_what_encode_head_builds():
    # the stream head without extra headers is a constant (no allocation
    # per stream): it must be the bytes the general builder makes
    head = encode_stream_head()
    assert head == encode_head(200, stream_headers())
    assert encode_stream_head() is head
    assert encode_stream_head([]) is head


def test_stream_head_extra_headers_in_order():
    head = encode_stream_head([("Access-Control-Allow-Origin", "*"), ("X-A", "1")])
    assert b"\r\nAccess-Control-Allow-Origin: *\r\nX-A: 1\r\n\r\n" in head


class _Req:
    def __init__(self, headers):
        self.headers = headers


def test_last_event_id_from_request_header():
    assert last_event_id(None) is None
    assert last_event_id(_Req({})) is None
    assert last_event_id(_Req({"last-event-id": "41"})) == "41"


def test_parse_int_id():
    for value, expected in [("7", 7), (" 12 ", 12), ("0", 0), ("", None),
                            ("x1", None), ("-1", None), ("1.5", None),
                            (None, None), ("9" * 30, None)]:
        assert parse_int_id(value) == expected, value


def _drain(core, sub):
    out = []
    while True:
        b = core.take(sub)
        if b is None:
            return out
        out.append(b)


def test_broadcast_ids_are_consecutive_and_encoded_once():
    core = BroadcastCore(ring=4)
    a = core.subscribe()
    b = core.subscribe()
    assert core.publish("x") == 1
    assert core.publish({"v": 2}, event="r") == 2
    got_a = _drain(core, a)
    got_b = _drain(core, b)
    assert got_a == [b"id: 1\ndata: x\n\n", b'event: r\nid: 2\ndata: {"v":2}\n\n']
    assert got_a[0] is got_b[0]               # one encoding shared by all
    assert core.take(a) is None


def test_broadcast_new_subscriber_gets_only_live_events():
    core = BroadcastCore(ring=4)
    core.publish("old")
    sub = core.subscribe()
    assert core.take(sub) is None
    core.publish("new")
    assert _drain(core, sub) == [b"id: 2\ndata: new\n\n"]


def test_broadcast_resume_after_last_event_id_no_gap_no_duplicate():
    core = BroadcastCore(ring=8)
    for i in range(1, 6):
        core.publish(str(i))
    sub = core.subscribe("3")
    assert _drain(core, sub) == [b"id: 4\ndata: 4\n\n", b"id: 5\ndata: 5\n\n"]
    sub = core.subscribe("5")
    assert _drain(core, sub) == []


def test_broadcast_resume_past_the_ring_gets_skipped_marker():
    core = BroadcastCore(ring=3)
    for i in range(1, 11):
        core.publish(str(i))                  # ring holds 8, 9, 10
    sub = core.subscribe("2")
    got = _drain(core, sub)
    assert got[0] == b'event: skipped\ndata: {"missed":5,"next":8}\n\n'
    assert got[1:] == [b"id: 8\ndata: 8\n\n", b"id: 9\ndata: 9\n\n",
                       b"id: 10\ndata: 10\n\n"]


def test_broadcast_unknown_or_future_id_replays_the_ring():
    for header in ("junk", "999"):
        core = BroadcastCore(ring=2)
        for i in range(1, 4):
            core.publish(str(i))
        sub = core.subscribe(header)
        assert _drain(core, sub) == [b"id: 2\ndata: 2\n\n", b"id: 3\ndata: 3\n\n"]


def test_broadcast_slow_subscriber_skips_and_never_blocks_publish():
    core = BroadcastCore(ring=4)
    slow = core.subscribe()
    fast = core.subscribe()
    for i in range(1, 11):
        core.publish(str(i))
        assert core.take(fast) == ("id: %d\ndata: %d\n\n" % (i, i)).encode()
    got = _drain(core, slow)
    assert got[0] == b'event: skipped\ndata: {"missed":6,"next":7}\n\n'
    assert got[1:] == [("id: %d\ndata: %d\n\n" % (i, i)).encode()
                       for i in range(7, 11)]


def test_broadcast_skip_without_marker_when_gap_event_is_none():
    core = BroadcastCore(ring=2, gap_event=None)
    sub = core.subscribe()
    for i in range(1, 6):
        core.publish(str(i))
    assert _drain(core, sub) == [b"id: 4\ndata: 4\n\n", b"id: 5\ndata: 5\n\n"]


def test_broadcast_drop_policy_raises_lagged():
    core = BroadcastCore(ring=2, on_lag="drop")
    sub = core.subscribe()
    for i in range(3):
        core.publish("x")
    e = raises(Lagged, core.take, sub)
    assert isinstance(e, OSError)


def test_broadcast_subscriber_limit():
    core = BroadcastCore(max_subscribers=2)
    a = core.subscribe()
    core.subscribe()
    raises(Full, core.subscribe)
    core.unsubscribe(a)
    core.unsubscribe(a)                       # twice is harmless
    core.subscribe()


def test_broadcast_first_id_and_heartbeat_generation():
    core = BroadcastCore(ring=2, first_id=1000)
    sub = core.subscribe()
    assert core.publish("a") == 1000
    assert core.oldest_id() == 1000
    assert not core.take_ping(sub)
    core.heartbeat()
    assert core.take_ping(sub)
    assert not core.take_ping(sub)


def test_broadcast_wake_called_on_publish_and_close():
    woke = []

    class Core(BroadcastCore):
        def _wake(self):
            woke.append(1)

    core = Core()
    sub = core.subscribe()
    core.publish("a")
    core.disconnect_all()
    assert sub.dropped
    core.close()
    assert len(woke) == 3
    raises(OSError, core.publish, "b")
    raises(OSError, core.subscribe)


def test_broadcast_ring_memory_is_bounded():
    core = BroadcastCore(ring=5)
    for i in range(1000):
        core.publish("x" * 10)
    assert len(core._ring) == 5
    assert core.oldest_id() == 996 and core.last_id == 1000


def run_all():
    names = sorted(k for k in globals() if k.startswith("test_"))
    for name in names:
        globals()[name]()
    print("ok", len(names))




class _Sock:
    def __init__(self):
        self.opts = []

    def setsockopt(self, level, name, value):
        self.opts.append((level, name, value))


class _Obj:
    pass


def test_set_nodelay_finds_the_socket_of_each_driver():
    # MicroPython asyncio: server Stream._s (asyncio stream) .s (socket)
    mp = _Obj()
    mp._s = _Obj()
    mp._s.s = _Sock()
    # sync driver: Connection.s
    sync = _Obj()
    sync.s = _Sock()
    # CPython asyncio: server Stream._s (StreamWriter) get_extra_info("socket")
    cpy = _Obj()
    cpy._s = _Obj()
    cpy_sock = _Sock()
    cpy._s.get_extra_info = lambda name: cpy_sock if name == "socket" else None
    set_nodelay(mp, False)
    set_nodelay(sync, False)
    set_nodelay(cpy, True)
    assert mp._s.s.opts == [(6, 1, 0)]
    assert sync.s.opts == [(6, 1, 0)]
    assert cpy_sock.opts == [(6, 1, 1)]
    set_nodelay(_Obj(), False)       # nothing to set (in-memory stream): no error


def test_broadcast_nodelay_defaults_on():
    b = BroadcastCore(ring=4)
    assert b.nodelay is True


if __name__ == "__main__":
    run_all()


def test_broadcast_publish_with_source_ids_keeps_them():
    core = BroadcastCore(ring=4)
    sub = core.subscribe()
    assert core.publish("a", id=100) == 100
    assert core.publish("b", id=101) == 101
    assert core.publish("c") == 102           # then on from there
    assert _drain(core, sub) == [b"id: 100\ndata: a\n\n", b"id: 101\ndata: b\n\n",
                                 b"id: 102\ndata: c\n\n"]


def test_broadcast_source_ids_may_skip_and_take_steps_over_the_gap():
    core = BroadcastCore(ring=8)
    for i in (1, 2, 3):
        core.publish(str(i), id=i)
    sub = core.subscribe()
    core.publish("7", id=7)                   # 4..6 never reached this server
    core.publish("8", id=8)
    assert _drain(core, sub) == [b"id: 7\ndata: 7\n\n", b"id: 8\ndata: 8\n\n"]
    sub = core.subscribe("2")                 # the ring: 3, then 7, 8
    assert _drain(core, sub) == [b"id: 3\ndata: 3\n\n", b"id: 7\ndata: 7\n\n",
                                 b"id: 8\ndata: 8\n\n"]
    core.publish("30", id=30)                 # a gap wider than the ring
    sub = core.subscribe("8")
    assert _drain(core, sub) == [b"id: 30\ndata: 30\n\n"]


def test_broadcast_source_id_must_grow():
    core = BroadcastCore(ring=4)
    core.publish("a", id=5)
    for bad in (5, 4, "6", True, 6.0):
        try:
            core.publish("x", id=bad)
        except ValueError as e:
            assert "above 5" in str(e), e
            continue
        raise AssertionError("accepted id %r" % (bad,))
    assert core.last_id == 5


def test_broadcast_source_ids_resume_after_an_id_seen_on_another_server():
    core = BroadcastCore(ring=4)
    core.source_ids = True
    for i in range(1, 4):
        core.publish(str(i), id=i)
    sub = core.subscribe("5")                 # another relay already sent 4, 5
    assert _drain(core, sub) == []
    core.publish("4", id=4)
    core.publish("5", id=5)
    assert _drain(core, sub) == []
    core.publish("6", id=6)
    assert _drain(core, sub) == [b"id: 6\ndata: 6\n\n"]
    sub = core.subscribe("junk")              # not an id: the ring, as before
    assert len(_drain(core, sub)) == 4
