"""The sensor dashboard fed through a relay, in a real browser.

The board (examples/sensor_feed.py on the MicroPython unix port, umqtt)
publishes to a real mosquitto; a relay (examples/relay.py --www
examples/sensor_www --replay 60) serves the page and the feed; the page is
pointed at the relay by its one setting (?feed=/events/<topic>). It must
show at once the readings the relay already had (replayed from its ring,
with the board's ids), then live ones, none missed or repeated. Needs
mosquitto and Chromium (it fails and says how to install them).
"""
import os

import httpx
import pytest

from browser import ARGS, CHROMIUM, sync_api, wait_dashboard
from conftest import ROOT
from test_mqtt_relay import broker, umqtt_path, _get, _wait  # noqa: F401 (fixtures)

pytestmark = pytest.mark.timeout(120)
TOPIC = "ahttp/sensor1/events"


def test_dashboard_through_a_relay_replays_the_ring_then_goes_live(
        start_app, broker, umqtt_path):  # noqa: F811
    relay = start_app("examples/relay.py", "cpython",
                      args=["--www", os.path.join(ROOT, "examples", "sensor_www"),
                            "--replay", "60"],
                      env={"RELAY_BROKER_PORT": str(broker.port),
                           "RELAY_TOPICS": "ahttp/+/events"})
    _wait(lambda: _get(relay.url + "/stats")["connected"], "the relay's broker connection")
    start_app("examples/sensor_feed.py", "micropython", extra_path=[umqtt_path],
              env={"SENSOR_INTERVAL": "0.1", "MQTT_BROKER": "127.0.0.1",
                   "MQTT_PORT": str(broker.port), "MQTT_TOPIC": TOPIC})

    def topic():
        return _get(relay.url + "/stats")["topics"].get(TOPIC) or {"last_id": 0}
    _wait(lambda: _get(relay.url + "/stats")["forwarded"] >= 20,
          "20 readings through the relay")
    stats = _get(relay.url + "/stats")
    first = stats["topics"][TOPIC]["last_id"] - stats["forwarded"] + 1
    before = stats["forwarded"]
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page()
            errors = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(relay.url + "/?feed=/events/" + TOPIC)
            assert page.text_content("#source") == "/events/" + TOPIC
            wait_dashboard(page, "+document.getElementById('received').textContent >= %d"
                       % before, "the readings the relay had before it opened")
            # replayed from the relay's ring, with the board's (clock) ids
            assert int(page.get_attribute("#received", "data-first")) == first
            assert first > 10 ** 12
            assert page.get_attribute("#line-temperature", "points").count(",") >= 20
            wait_dashboard(page, "document.getElementById('status').textContent === 'live'",
                       "live readings")
            now = topic()["last_id"]
            wait_dashboard(page, "+document.getElementById('last-id').textContent >= %d"
                       % (now + 10), "live readings after the replay")
            last = int(page.text_content("#last-id"))
            assert int(page.text_content("#missed")) == 0
            assert int(page.text_content("#duplicates")) == 0
            assert int(page.text_content("#received")) == last - first + 1
            assert -20 <= float(page.text_content("#temperature")) <= 60
            assert errors == []
        finally:
            browser.close()
    assert httpx.get(relay.url + "/stats", timeout=10).json()["malformed"] == 0
