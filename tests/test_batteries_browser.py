"""The batteries' examples in a real browser (headless Chromium via
Playwright), on both runtimes: a JSON API called from a second origin
(another port on 127.0.0.1) through CORS, preflight included, and the
login flow of the settings page with a form save and a file upload."""

from browser import ARGS, CHROMIUM, sync_api


def wait_text(page, sel, value, what):
    try:
        page.wait_for_function("document.querySelector(%r) && document.querySelector(%r)"
                               ".textContent === %r" % (sel, sel, value), timeout=20000)
    except sync_api.TimeoutError:
        raise AssertionError("page never showed %s; %s=%r" % (
            what, sel, page.text_content(sel) if page.query_selector(sel) else None))


def test_cors_api_called_from_another_origin(start_app, runtime):
    from conftest import free_port
    ui_port = free_port()
    app = start_app("examples/cors_api.py", runtime, env={"AHTTP_UI_PORT": str(ui_port)})
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page()
            errors = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            preflights = []
            page.on("request", lambda r: preflights.append(r.url)
                    if r.method == "OPTIONS" else None)
            page.goto("http://127.0.0.1:%d/" % ui_port)
            wait_text(page, "#status", "ok", "the first load")
            assert page.text_content("#total") == "0"
            page.fill("#name", "from the other origin")
            page.click("button")
            wait_text(page, "#total", "1", "the item added through a preflighted POST")
            wait_text(page, "#status", "ok", "the list reloaded")
            assert page.text_content("#items li") == "1: from the other origin"
            assert errors == []
        finally:
            browser.close()
    assert app.alive(), app.log()


def test_login_settings_and_upload(start_app, runtime, tmp_path):
    up = tmp_path / "uploads"
    app = start_app("examples/settings_login.py", runtime, env={"UPLOAD_DIR": str(up)})
    sample = tmp_path / "notes.txt"
    sample.write_bytes(b"hello upload\n" * 1000)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page()
            page.goto(app.url + "/settings")
            assert page.url.endswith("/login")          # no session yet
            page.fill("#user", "admin")
            page.fill("#password", "wrong")
            page.click("#login")
            wait_text(page, "#error", "Wrong user or password", "the refusal")
            page.fill("#user", "admin")
            page.fill("#password", "admin")
            page.click("#login")
            wait_text(page, "#who", "admin", "the settings page")
            cookie = [c for c in page.context.cookies() if c["name"] == "session"][0]
            assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"

            page.fill("#device", "kitchen <sensor>")
            page.check("#led")
            page.click("#save")
            page.wait_for_function("document.querySelector('#device').value === 'kitchen <sensor>'")
            assert page.is_checked("#led")

            page.set_input_files("#file", str(sample))
            page.fill("#note", "first")
            page.click("#upload")
            page.wait_for_selector("#uploads li", timeout=20000)
            assert page.text_content("#uploads li") == "notes.txt (13000 bytes): first"
            assert (up / "notes.txt").read_bytes() == sample.read_bytes()

            page.click("#logout")
            page.wait_for_url("**/login")
            page.goto(app.url + "/settings")
            assert page.url.endswith("/login")
        finally:
            browser.close()
    assert app.alive(), app.log()
