"""Boards -> MQTT broker -> relays -> SSE clients, with a real mosquitto.

The board is tests/apps/mqtt_board.py (MQTTPublisher: umqtt.simple on the
MicroPython unix port, aiomqtt on CPython); the relays are
examples/relay.py (CPython); the clients are ahttp.sse_client.EventStream
in this process. The broker runs on a free 127.0.0.1 port with a
generated config and is stopped after each test.

Needs the Debian package `mosquitto` (scripts/bootstrap.sh installs it),
aiomqtt (requirements-dev.txt) and micropython-lib's umqtt.simple
(tools/get_umqtt.py, run here when missing): without them the tests fail
and say which is missing.
"""
import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request

import pytest

from conftest import ROOT, free_port, wait_port
sys.path.insert(0, ROOT)
from ahttp._mqtt_msg import parse_message, encode_message, topic_matches, BadMessage
from ahttp.sse_client import EventStream

TOPIC = "ahttp/board1/events"
MPLIB = os.path.join(ROOT, ".venv", "mplib")


def _mosquitto_exe():
    exe = shutil.which("mosquitto") or (
        "/usr/sbin/mosquitto" if os.path.exists("/usr/sbin/mosquitto") else None)
    if exe is None:
        pytest.fail("mosquitto is not installed: these tests need a real MQTT broker "
                    "(apt-get install -y mosquitto; scripts/bootstrap.sh does it)")
    return exe


class Broker:
    def __init__(self, tmp_path):
        self.exe = _mosquitto_exe()
        self.port = free_port()
        self.conf = str(tmp_path / "mosquitto.conf")
        with open(self.conf, "w") as f:
            f.write("listener %d 127.0.0.1\nallow_anonymous true\npersistence false\n"
                    "log_dest stdout\n" % self.port)
        self.log_path = str(tmp_path / "mosquitto.log")
        self.proc = None

    def start(self):
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([self.exe, "-c", self.conf], stdout=log,
                                     stderr=subprocess.STDOUT)
        log.close()
        wait_port("127.0.0.1", self.port, self.proc, 10, lambda: open(self.log_path).read())

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


@pytest.fixture
def broker(tmp_path):
    b = Broker(tmp_path)
    b.start()
    yield b
    b.stop()


@pytest.fixture(scope="module")
def umqtt_path():
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        "get_umqtt", os.path.join(ROOT, "tools", "get_umqtt.py"))
    g = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(g)
    try:
        g.main(MPLIB)
    except Exception as e:
        pytest.fail("umqtt.simple is missing from %s and could not be fetched (%r): "
                    "run python tools/get_umqtt.py" % (MPLIB, e))
    return MPLIB


def _get(url, timeout=10):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return json.loads(r.read())


def _wait(pred, what, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if pred():
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


def _board(start_app, runtime, broker, umqtt_path, queue=32):
    return start_app("tests/apps/mqtt_board.py", runtime, extra_path=[umqtt_path],
                     env={"MQTT_PORT": str(broker.port), "MQTT_TOPIC": TOPIC,
                          "MQTT_QUEUE": str(queue)})


def _relay(start_app, broker, extra=()):
    r = start_app("examples/relay.py", "cpython", args=list(extra),
                  env={"RELAY_BROKER_PORT": str(broker.port),
                       "RELAY_TOPICS": "ahttp/+/events"})
    _wait(lambda: _get(r.url + "/stats")["connected"], "the relay's broker connection")
    return r


async def _collect(urls, last_id, out, stop_at):
    stream = EventStream(urls, retry=100, timeout=10, max_reconnects=40)
    try:
        async for ev in stream:
            data = json.loads(ev.data) if ev.data[:1] == "{" else ev.data
            out.append((int(ev.id), ev.event, data, stream.port))
            if int(ev.id) >= stop_at:
                break
    finally:
        stream.close()


def _subscribers(relay):
    t = _get(relay.url + "/stats")["topics"].get(TOPIC)
    return t["subscribers"] if t else 0


# -- the message and topic rules (no broker) ---------------------------------

def test_message_round_trip_and_malformed_payloads_refused():
    assert parse_message(encode_message(7, {"t": 1}, "reading")) == (7, {"t": 1}, "reading")
    assert parse_message(b'{"id": 3, "data": "x"}') == (3, "x", None)
    for bad, why in [(b"not json", "not JSON"), (b"[1, 2]", "not a JSON object"),
                     (b'{"data": 1}', "no positive integer id"),
                     (b'{"id": "5", "data": 1}', "no positive integer id"),
                     (b'{"id": true, "data": 1}', "no positive integer id"),
                     (b'{"id": 0, "data": 1}', "no positive integer id"),
                     (b'{"id": 5}', "no data"),
                     (b'{"id": 5, "data": 1, "event": "a\\nb"}', "one-line"),
                     (b'{"id": 5, "data": "' + b"x" * 5000 + b'"}', "oversized")]:
        with pytest.raises(BadMessage, match=why):
            parse_message(bad, max_payload=4096)


def test_topic_filters():
    assert topic_matches("a/+/c", "a/b/c") and not topic_matches("a/+/c", "a/b/d")
    assert topic_matches("a/#", "a/b/c") and topic_matches("a/#", "a")
    assert not topic_matches("a/+", "a/b/c") and topic_matches("a/b", "a/b")


# -- end to end ----------------------------------------------------------------

@pytest.mark.parametrize("board_runtime", ["micropython", "cpython"])
def test_every_client_of_every_relay_gets_every_event_once_across_a_relay_kill(
        start_app, broker, umqtt_path, board_runtime):
    """1,000 events at 50/s from the board; 3 relays x 20 clients; relay 0
    is killed after ~300 events and its clients resume on the others."""
    board = _board(start_app, board_runtime, broker, umqtt_path)
    _wait(lambda: _get(board.url + "/stats")["connected"], "the board's broker connection")
    relays = [_relay(start_app, broker) for _ in range(3)]
    path = "/events/" + TOPIC
    first = _get(board.url + "/stats")["last_id"] + 1     # from the clock
    n, per_relay = 1000, 20
    clients = 3 * per_relay
    results = [[] for _ in range(clients)]

    async def main():
        tasks = []
        for i in range(clients):
            mine = relays[i // per_relay]
            urls = [mine.url + path] + [r.url + path for r in relays if r is not mine]
            tasks.append(asyncio.ensure_future(
                _collect(urls, None, results[i], first + n - 1)))
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, lambda: _wait(
            lambda: all(_subscribers(r) == per_relay for r in relays),
            "%d subscribers" % clients))
        await loop.run_in_executor(None, _get, board.url + "/pump?n=%d&rate=50" % n)
        await loop.run_in_executor(None, lambda: _wait(
            lambda: _get(relays[0].url + "/stats")["forwarded"] >= 300, "300 events"))
        relays[0].stop()
        await asyncio.wait_for(asyncio.gather(*tasks), 60)

    asyncio.run(main())
    assert first > 10 ** 12, first
    want = list(range(first, first + n))
    for i, got in enumerate(results):
        assert [g[0] for g in got] == want, (i, [g[0] for g in got])
        assert [g[2]["i"] for g in got] == list(range(n)) and {g[1] for g in got} == {"reading"}
    moved = [got for got in results[:per_relay]]
    for got in moved:      # the killed relay's clients ended on another one
        assert got[0][3] == relays[0].port and got[-1][3] != relays[0].port
    stats = _get(board.url + "/stats")
    assert stats["sent"] == n and stats["dropped"] == 0, stats


def test_broker_outage_board_keeps_serving_and_everything_reconnects(
        start_app, broker, umqtt_path):
    """The broker stops for 5 s while the board (MicroPython) publishes:
    its HTTP and local stream go on, then publishing resumes and the relay
    reconnects; the relay's client sees increasing ids, none twice."""
    board = _board(start_app, "micropython", broker, umqtt_path, queue=32)
    _wait(lambda: _get(board.url + "/stats")["connected"], "the board's broker connection")
    relay = _relay(start_app, broker)
    n = 400
    first = _get(board.url + "/stats")["last_id"] + 1
    end = first + n - 1
    local, remote = [], []

    async def main():
        loop = asyncio.get_running_loop()
        t1 = asyncio.ensure_future(_collect([board.url + "/events"], None, local, end))
        t2 = asyncio.ensure_future(_collect([relay.url + "/events/" + TOPIC], None, remote, end))
        await loop.run_in_executor(None, lambda: _wait(
            lambda: _get(board.url + "/stats")["subscribers"] == 1
            and _subscribers(relay) == 1, "both streams"))
        await loop.run_in_executor(None, _get, board.url + "/pump?n=%d&rate=50" % n)
        await asyncio.sleep(1)
        broker.stop()
        during = []
        for _ in range(10):             # 5 s without a broker
            await asyncio.sleep(0.5)
            s = await loop.run_in_executor(None, _get, board.url + "/stats", 2)
            during.append((s["pumped"], s["connected"]))
        count_during = len(local)
        await loop.run_in_executor(None, broker.start)
        await asyncio.wait_for(asyncio.gather(t1, t2), 40)
        return during, count_during

    during, count_during = asyncio.run(main())
    assert not any(c for _, c in during[2:]), during        # it noticed
    assert during[-1][0] > during[0][0], during              # and kept publishing
    assert count_during > 50 + len(during)                   # local stream went on
    assert [g[0] for g in local] == list(range(first, end + 1))
    ids = [g[0] for g in remote]
    assert ids == sorted(set(ids)) and ids[-1] == end, ids   # in order, none twice
    b = _get(board.url + "/stats")
    r = _get(relay.url + "/stats")
    assert b["connects"] >= 2 and b["pending"] == 0, b
    assert r["connects"] >= 2 and r["connected"], r


@pytest.mark.parametrize("board_runtime", ["micropython", "cpython"])
def test_a_restarted_board_is_followed_by_the_relay_without_restarting_it(
        start_app, broker, umqtt_path, board_runtime):
    """The board's ids start from the clock, so after a restart they are
    above the old ones: the relay (not restarted) forwards the new run's
    events to its client, which stayed connected, in order."""
    relay = _relay(start_app, broker)
    runs, got = [], []
    n = 20

    async def main():
        loop = asyncio.get_running_loop()
        t = None
        for run in range(2):
            board = await loop.run_in_executor(
                None, _board, start_app, board_runtime, broker, umqtt_path)
            await loop.run_in_executor(None, lambda: _wait(
                lambda: _get(board.url + "/stats")["connected"], "the board's broker"))
            first = (await loop.run_in_executor(None, _get, board.url + "/stats"))["last_id"] + 1
            runs.append(first)
            if t is None:
                t = asyncio.ensure_future(_collect(
                    [relay.url + "/events/" + TOPIC], None, got, 10 ** 18))
                await loop.run_in_executor(None, lambda: _wait(
                    lambda: _subscribers(relay) == 1, "the stream"))
            await loop.run_in_executor(None, _get, board.url + "/pump?n=%d&rate=50" % n)
            await loop.run_in_executor(None, lambda: _wait(
                lambda: len(got) >= n * (run + 1), "run %d's events at the client" % run))
            board.stop()                 # the restart: a new process, ids anew
        t.cancel()

    asyncio.run(main())
    assert runs[1] > runs[0] + n, runs
    want = list(range(runs[0], runs[0] + n)) + list(range(runs[1], runs[1] + n))
    assert [g[0] for g in got] == want
    assert [g[2]["i"] for g in got] == list(range(n)) * 2
    stats = _get(relay.url + "/stats")
    assert stats["forwarded"] == 2 * n and stats["malformed"] == 0, stats


def test_malformed_and_oversized_payloads_are_dropped_with_a_log_line(
        start_app, broker):
    relay = _relay(start_app, broker, ["--max-payload", "1024"])
    bad = [b"not json", b"[1]", b'{"data": 1}', b'{"id": "2", "data": 1}',
           b'{"id": 2, "data": 1, "event": "x\\ny"}',
           b'{"id": 2, "data": "' + b"x" * 2000 + b'"}']
    got = []

    async def main():
        import aiomqtt
        loop = asyncio.get_running_loop()
        t = asyncio.ensure_future(_collect([relay.url + "/events/" + TOPIC], None, got, 3))
        await loop.run_in_executor(None, lambda: _wait(
            lambda: _subscribers(relay) == 1, "the stream"))
        async with aiomqtt.Client("127.0.0.1", broker.port) as c:
            await c.publish(TOPIC, encode_message(1, "first"))
            for payload in bad:
                await c.publish(TOPIC, payload)
            await c.publish(TOPIC, encode_message(1, "again"))    # not above 1: stale
            await c.publish(TOPIC, encode_message(3, "third"))
        await asyncio.wait_for(t, 15)

    asyncio.run(main())
    assert [(g[0], g[2]) for g in got] == [(1, "first"), (3, "third")]
    stats = _get(relay.url + "/stats")
    assert stats["malformed"] == len(bad) and stats["stale"] == 1, stats
    log = relay.log()
    for why in ("not JSON", "not a JSON object", "no positive integer id",
                "event is not a one-line string",
                "oversized: 2"):
        assert "relay: dropped a message on %s: %s" % (TOPIC, why) in log, log
    assert relay.alive()
