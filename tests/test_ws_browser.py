"""The WebSocket chat / remote-control example in a real browser.

Headless Chromium (Playwright) opens examples/ws_www in two tabs, as a new
user would: chat lines and control changes go both ways and show up in the
other tab's DOM; closing a tab updates the online count and leaves the
server serving. Without Chromium it fails and says how to install it
(tests/browser.py).
"""

import httpx
import pytest

from browser import ARGS, CHROMIUM, sync_api


def wait_for(page, expr, what):
    try:
        page.wait_for_function(expr, timeout=20000)
    except sync_api.TimeoutError:
        raise AssertionError("page never showed %s; status=%r online=%r log=%r" % (
            what, page.text_content("#status"), page.text_content("#online"),
            page.text_content("#log")))


def log_has(text):
    return ("[...document.querySelectorAll('#log li')].some("
            "li => li.textContent.endsWith(%r))" % text)


def text_is(sel, value):
    return "document.querySelector(%r).textContent === %r" % (sel, value)


def test_two_tabs_chat_and_share_controls(start_app, runtime):
    app = start_app("examples/ws_chat.py", runtime)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            errors = []
            a = browser.new_page()
            a.on("pageerror", lambda e: errors.append(str(e)))
            a.goto(app.url + "/")
            wait_for(a, text_is("#status", "open") + " && " + text_is("#online", "1"),
                     "the socket open")
            b = browser.new_page()
            b.on("pageerror", lambda e: errors.append(str(e)))
            b.goto(app.url + "/")
            wait_for(b, text_is("#status", "open") + " && " + text_is("#online", "2"),
                     "the second tab online")
            wait_for(a, text_is("#online", "2"), "the first tab seeing the second")
            name_a = a.text_content("#name")
            name_b = b.text_content("#name")
            assert name_a != name_b and name_a.startswith("guest-")

            # Chat, both ways (non-ASCII included).
            a.fill("#msg", "hello from A ✓")
            a.click("#send")
            wait_for(b, log_has("%s: hello from A ✓" % name_a), "A's line in tab B")
            b.fill("#msg", "hi A, B here")
            b.press("#msg", "Enter")
            wait_for(a, log_has("%s: hi A, B here" % name_b), "B's line in tab A")

            # Controls: a slider moved in A and the LED toggled in B show
            # up in the other tab.
            a.eval_on_selector("#slider", "el => { el.value = 80;"
                               " el.dispatchEvent(new Event('input')); }")
            wait_for(b, text_is("#slider-value", "80"), "the slider value in tab B")
            assert b.input_value("#slider") == "80"
            b.click("#led")
            wait_for(a, text_is("#led", "LED on"), "the LED on in tab A")

            # Close tab B: A sees one page online, the server goes on.
            b.close()
            wait_for(a, text_is("#online", "1"), "tab B gone")
            a.fill("#msg", "still here")
            a.click("#send")
            wait_for(a, log_has("%s: still here" % name_a), "A's own echo after B left")
            assert errors == []
        finally:
            browser.close()
    assert app.alive()
    assert httpx.get(app.url + "/", timeout=10).status_code == 200
