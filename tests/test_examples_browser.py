"""The static-site example in a real browser: headless Chromium (Playwright)
loads examples/site_www from examples/static_site.py as a visitor would,
style sheet (gzip), script, SVG logo and links included, then reloads it
(revalidating with the ETag and Last-Modified it was sent) - on CPython, MicroPython, and MicroPython from ROMFS
with a 64 KB heap, where the browser's parallel connections meet a board's
memory.
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
            page.goto(app.url + "/")
            # the script ran (its clock), the style sheet applied, the logo drew
            page.wait_for_function(
                "document.querySelector('#clock').textContent.startsWith('Scripts: on')",
                timeout=20000)
            assert page.eval_on_selector(
                "header", "el => getComputedStyle(el).backgroundColor") == "rgb(11, 110, 79)"
            assert page.eval_on_selector("header img", "el => el.naturalWidth") > 0, (
            statuses, app.log()[-3000:])
            css = page.evaluate(
                "fetch('style.css').then(r => r.headers.get('content-encoding'))")
            assert css == "gzip"
            # links: a page and a folder's index
            page.click("text=About this site")
            page.wait_for_function("document.title === 'About'", timeout=20000)
            page.go_back()
            page.click("text=The docs folder")
            page.wait_for_function("document.title === 'Docs'", timeout=20000)
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
            page.wait_for_function(
                "document.querySelector('#clock').textContent.startsWith('Scripts: on')",
                timeout=20000)
            assert errors == []
        finally:
            browser.close()
    assert app.alive(), app.log()[-2000:]
    for name, codes in statuses.items():
        assert set(codes) <= {200, 301, 304}, (name, codes, app.log()[-2000:])
