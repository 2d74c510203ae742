"""The sensor dashboard in a real browser (headless Chromium via Playwright).

The page (examples/sensor_www) must show, as soon as it opens, the readings
the server already had (replayed from the broadcaster's ring), then live
values that keep changing, on a plot with a time axis and units;
when the server drops every stream (what a network cut looks like from the
server), the page reconnects by itself and catches up from the broadcaster's
ring: no reading missed, none repeated. Several feeds (?feed=) share one
page, each in its own section. Without Chromium it fails and says
how to install it (tests/browser.py).
"""

import time

import httpx
import pytest

from browser import ARGS, CHROMIUM, sync_api, wait_dashboard


def _num(page, sel):
    return int(page.text_content(sel))


def _published(app):
    return httpx.get(app.url + "/api/info", timeout=10).json()["last_id"]


def test_dashboard_replays_recent_readings_then_shows_live_values_and_catches_up(
        start_app, runtime):
    app = start_app("examples/sensor_feed.py", runtime,
                    env={"SENSOR_INTERVAL": "0.1", "SSE_RETRY": "500", "SSE_DEBUG": "1"})
    for _ in range(200):                 # readings published before any page
        if _published(app) >= 20:
            break
        time.sleep(0.05)
    before = _published(app)
    assert before >= 20
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page()
            errors = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(app.url + "/")
            wait_dashboard(page, "+document.getElementById('received').textContent >= %d"
                  % before, "the readings published before it opened")
            # they came from the ring: the first one shown is the first published
            assert page.get_attribute("#received", "data-first") == "1"
            assert page.get_attribute("#line-temperature", "points").count(",") >= 20
            assert page.text_content("#ax-t-hi").endswith(" °C")
            assert page.text_content("#ax-h-lo").endswith(" %")
            assert page.text_content("#ax-x0").endswith(" s")
            assert page.text_content("#ax-x2") == "now"
            wait_dashboard(page, "document.getElementById('status').textContent === 'live'",
                  "live readings")
            first_id = _num(page, "#last-id")
            temp = float(page.text_content("#temperature"))
            assert -20 <= temp <= 60
            assert 0 <= float(page.text_content("#humidity")) <= 100
            wait_dashboard(page, "+document.getElementById('last-id').textContent >= %d"
                  % (first_id + 5), "the values updating")
            assert page.get_attribute("#line-temperature", "points").count(",") >= 5

            # The server ends every stream; the sensor keeps publishing
            # while the browser waits its retry delay.
            dropped_at = httpx.get(app.url + "/debug/drop", timeout=10).json()["last_id"]
            wait_dashboard(page, "+document.getElementById('reconnects').textContent >= 1"
                  " && document.getElementById('status').textContent === 'live'"
                  " && +document.getElementById('last-id').textContent >= %d"
                  % (dropped_at + 10), "a reconnect that catches up")
            last = _num(page, "#last-id")
            received = _num(page, "#received")
            assert _num(page, "#missed") == 0
            assert _num(page, "#duplicates") == 0
            # every id from the first one shown to the last, exactly once
            first = int(page.get_attribute("#received", "data-first"))
            assert received == last - first + 1
            assert errors == []

            # two feeds on one page: the second section is a suffixed copy
            page2 = browser.new_page()
            page2.on("pageerror", lambda e: errors.append(str(e)))
            page2.goto(app.url + "/?feed=/events&feed=/events%3Flast%3D0")
            wait_dashboard(page2, "+document.getElementById('received').textContent >= 5"
                  " && +document.getElementById('received-1').textContent >= 5",
                  "readings in both sections")
            assert page2.text_content("#source-1") == "/events?last=0"
            assert page2.text_content("#status-1") == "live"
            assert page2.get_attribute("#line-humidity-1", "points").count(",") >= 5
            assert errors == []
        finally:
            browser.close()
    assert app.alive()
