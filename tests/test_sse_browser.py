"""The sensor dashboard in a real browser (headless Chromium via Playwright).

The page (examples/sensor_www) must show live values that keep changing;
when the server drops every stream (what a network cut looks like from the
server), the page reconnects by itself and catches up from the broadcaster's
ring: no reading missed, none repeated. Without Chromium it fails and says
how to install it (tests/browser.py).
"""

import httpx
import pytest

from browser import ARGS, CHROMIUM, sync_api


def _num(page, sel):
    return int(page.text_content(sel))


def _wait(page, expr, what):
    """wait_for_function with the page's own counters in the failure."""
    try:
        page.wait_for_function(expr, timeout=20000)
    except sync_api.TimeoutError:
        raise AssertionError("page never showed %s; status=%r, %s" % (
            what, page.text_content("#status"),
            " ".join(page.text_content(".stats").split())))


def test_dashboard_shows_live_values_and_catches_up_after_a_drop(start_app, runtime):
    app = start_app("examples/sensor_feed.py", runtime,
                    env={"SENSOR_INTERVAL": "0.1", "SSE_RETRY": "500", "SSE_DEBUG": "1"})
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page()
            errors = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(app.url + "/")
            _wait(page, "document.getElementById('status').textContent === 'live'"
                  " && +document.getElementById('received').textContent >= 5",
                  "live readings")
            first_id = _num(page, "#last-id")
            temp = float(page.text_content("#temperature"))
            assert -20 <= temp <= 60
            assert 0 <= float(page.text_content("#humidity")) <= 100
            _wait(page, "+document.getElementById('last-id').textContent >= %d"
                  % (first_id + 5), "the values updating")
            assert page.get_attribute("#line-temperature", "points").count(",") >= 5

            # The server ends every stream; the sensor keeps publishing
            # while the browser waits its retry delay.
            dropped_at = httpx.get(app.url + "/debug/drop", timeout=10).json()["last_id"]
            _wait(page, "+document.getElementById('reconnects').textContent >= 1"
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
        finally:
            browser.close()
    assert app.alive()
