"""What the browser tests share: headless Chromium, driven by Playwright.

No silent skip: without the browser, importing this fails and says how to
install it (scripts/bootstrap.sh does, as root on Debian).
"""
import os

from playwright import sync_api  # noqa: F401  (the tests use it from here)

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
        "--disable-quic"]

assert os.path.exists(CHROMIUM), (
    "chromium is not installed: run scripts/bootstrap.sh as root "
    "(apt-get install chromium chromium-driver)")


def wait_dashboard(page, expr, what):
    """wait_for_function on the sensor dashboard, with the page's own status
    and counters in the failure."""
    try:
        page.wait_for_function(expr, timeout=20000)
    except sync_api.TimeoutError:
        raise AssertionError("page never showed %s; status=%r, %s" % (
            what, page.text_content("#status"),
            " ".join(page.text_content(".stats").split())))
