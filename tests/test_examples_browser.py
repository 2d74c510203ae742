"""The static-site example in a real browser: headless Chromium (Playwright)
loads examples/site_www from examples/static_site.py as a visitor would,
style sheet (gzip), script, SVG logo and links included, then reloads it
(revalidating with the ETag and Last-Modified it was sent) - on CPython, MicroPython, and MicroPython from ROMFS
with a 64 KB heap, where the browser's parallel connections meet a board's
memory: a request the heap cannot take there gets a whole 503 +
Retry-After, and the test reloads as a visitor would.
"""
import os

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

            def wait(expr):
                # on failure: what each request got, and the server's log
                try:
                    page.wait_for_function(expr, timeout=10000)
                except sync_api.Error:      # a timeout, or an element missing
                    raise AssertionError((expr, page.url, statuses, failed,
                                          app.log()[-3000:]))

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
            first = page.goto(app.url + "/")
            again = page.reload()
            sent = again.request.all_headers()
            assert sent.get("if-none-match") == first.headers["etag"], sent
            assert sent.get("if-modified-since") == first.headers["last-modified"], sent
            wait("document.querySelector('#clock').textContent.startsWith('Scripts: on')")
            assert errors == []
        finally:
            browser.close()
    assert app.alive(), app.log()[-2000:]
    for name, codes in statuses.items():
        # every answer a page, a redirect or a revalidation: at ROMFS 64k
        # too, where Chromium's several connections at once once got a
        # 503 the heap could not take
        assert set(codes) <= {200, 301, 304}, (name, codes, app.log()[-2000:])
