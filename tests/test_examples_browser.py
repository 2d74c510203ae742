"""The static-site example in a real browser: headless Chromium (Playwright)
loads examples/site_www from examples/static_site.py as a visitor would,
style sheet (gzip), script, SVG logo and links included, then reloads it
(revalidating with the ETag and Last-Modified it was sent) - on CPython, MicroPython, and MicroPython from ROMFS
with a 64 KB heap, where the browser's parallel connections meet a board's
memory: a request the heap cannot take there gets a whole 503 +
Retry-After, and the test reloads as a visitor would.
"""
import os
import time

import pytest
from browser import ARGS, CHROMIUM, sync_api
from conftest import ROOT

pytestmark = pytest.mark.timeout(120)


@pytest.mark.parametrize("runtime", ["cpython", "micropython", "micropython-romfs"])
def test_static_site_in_a_browser(start_app, runtime):
    app = start_app("examples/static_site.py", runtime,
                    heapsize="64k" if runtime == "micropython-romfs" else None,
                    env={"SITE_DIR": os.path.join(ROOT, "examples", "site_www")})
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page()
            errors, statuses = [], {}
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("response", lambda r: statuses.setdefault(
                r.url.rsplit("/", 1)[-1] or "/", []).append(r.status))
            failed = []
            page.on("requestfailed", lambda r: failed.append((r.url, r.failure)))

            def refused():
                return any(503 in codes for codes in statuses.values())

            def wait(expr):
                # A request the heap cannot take (ROMFS 64k: Chromium opens
                # several connections at once) is answered 503 with
                # Retry-After: 1, which a browser does not retry: reload, as
                # a visitor would, up to 3 times. On failure: what each
                # request got, and the server's log.
                for attempt in range(4):
                    try:
                        page.wait_for_function(expr, timeout=10000)
                        return
                    except sync_api.Error:      # a timeout, or an element missing
                        if attempt == 3 or not refused():
                            raise AssertionError((expr, page.url, statuses, failed,
                                                  app.log()[-3000:]))
                    time.sleep(1)
                    page.reload()

            page.goto(app.url + "/")
            # the script ran (its clock), the style sheet applied, the logo drew
            wait("document.querySelector('#clock').textContent.startsWith('Scripts: on')")
            assert page.eval_on_selector(
                "header", "el => getComputedStyle(el).backgroundColor") == "rgb(11, 110, 79)"
            assert page.eval_on_selector("header img", "el => el.naturalWidth") > 0, (
                statuses, failed, app.log()[-3000:])
            css = page.evaluate(
                "fetch('style.css').then(r => r.headers.get('content-encoding'))")
            assert css == "gzip"
            # links: a page and a folder's index
            page.click("text=About this site")
            wait("document.title === 'About'")
            page.go_back()
            page.click("text=The docs folder")
            wait("document.title === 'Docs'")
            assert page.url.endswith("/docs/")
            assert page.eval_on_selector(
                "a", "el => getComputedStyle(el).color") == "rgb(11, 110, 79)"
            # a reload revalidates the page with the validators it was sent
            # (the server's 304 for them: tests/test_examples.py)
            for _ in range(4):      # (both again after a whole 503, see wait)
                first = page.goto(app.url + "/")
                again = page.reload() if first.status != 503 else first
                if again.status != 503:
                    break
                time.sleep(1)
            sent = again.request.all_headers()
            assert sent.get("if-none-match") == first.headers["etag"], sent
            assert sent.get("if-modified-since") == first.headers["last-modified"], sent
            wait("document.querySelector('#clock').textContent.startsWith('Scripts: on')")
            assert errors == []
        finally:
            browser.close()
    assert app.alive(), app.log()[-2000:]
    for name, codes in statuses.items():
        # every answer whole: a page, a redirect, a revalidation, or a 503
        # the heap could not take that a reload then got
        assert set(codes) <= {200, 301, 304, 503}, (name, codes, app.log()[-2000:])
        assert codes[-1] != 503, (name, codes, app.log()[-2000:])
