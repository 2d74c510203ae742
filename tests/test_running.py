"""Running the server: app.start() returns and other tasks keep running,
app.run() blocks until app.stop(), app.stop() is graceful, the
background-thread helper, TLS with a self-signed certificate made here with
openssl, and the logging hooks (access log line per request).

The app is tests/apps/running.py; AHTTP_MODE picks how it runs.
"""
import os
import ssl
import subprocess
import threading
import time

import httpx
import pytest

from rawhttp import RawConnection, get

pytestmark = pytest.mark.timeout(90)

APP = "tests/apps/running.py"


def wait_for(predicate, timeout=15.0, interval=0.05):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()


def wait_exit(app, timeout=15.0):
    try:
        return app.proc.wait(timeout)
    except subprocess.TimeoutExpired:
        return None


def ticks(url, client=httpx):
    return int(client.get(url + "/count", timeout=10).text)


# -- start() returns; a counter task keeps ticking -------------------------------

def test_start_returns_and_other_tasks_keep_running(start_app, runtime):
    app = start_app(APP, runtime, env={"AHTTP_MODE": "start"})
    assert wait_for(lambda: "EVENT start returned" in app.log(), 10), app.log()
    first = ticks(app.url)
    # the counter task runs beside the server: the count goes up by itself
    assert wait_for(lambda: ticks(app.url) >= first + 5, 15), app.log()
    assert httpx.get(app.url + "/").text == "running start"


def test_stop_ends_start_and_closes_idle_connections(start_app, runtime):
    app = start_app(APP, runtime, env={"AHTTP_MODE": "start"})
    with RawConnection(app.port, timeout=20) as idle:
        idle.send(get("/"))
        assert idle.read_response().status == 200
        assert httpx.get(app.url + "/stop").text == "stopping"
        # the kept-alive idle connection is closed by stop()
        assert idle.wait_closed(15)
    assert wait_exit(app) == 0, app.log()
    log = app.log()
    assert "EVENT stop returned" in log
    assert "EVENT main done" in log
    # no longer listening
    with pytest.raises(OSError):
        RawConnection(app.port, timeout=2).close()


def test_stop_is_graceful_for_requests_in_flight(start_app, runtime):
    # Graceful in the nginx/uvicorn sense: a request already being handled
    # gets its response; only then is its connection closed.
    app = start_app(APP, runtime, env={"AHTTP_MODE": "start"})
    result = {}

    def slow():
        try:
            result["r"] = httpx.get(app.url + "/slow", timeout=20)
        except Exception as e:   # recorded, asserted below
            result["e"] = e

    t = threading.Thread(target=slow)
    t.start()
    time.sleep(0.3)        # let /slow start (ordering only, not a measurement)
    assert httpx.get(app.url + "/stop").text == "stopping"
    t.join(30)
    assert "e" not in result, "in-flight request failed: %r" % (result.get("e"),)
    assert result["r"].status_code == 200
    assert result["r"].text == "slow done"
    assert wait_exit(app) == 0, app.log()


# -- run() blocks -----------------------------------------------------------------

def test_run_blocks_until_stop(start_app, runtime):
    app = start_app(APP, runtime, env={"AHTTP_MODE": "run"})
    assert httpx.get(app.url + "/").text == "running run"
    assert "EVENT run returned" not in app.log()
    assert httpx.get(app.url + "/stop").text == "stopping"
    assert wait_exit(app) == 0, app.log()
    assert "EVENT run returned" in app.log()


def test_run_ends_cleanly_on_sigint(start_app, runtime):
    # Ctrl-C must always end app.run(), also when it lands while the server
    # is busy with connections (on MicroPython, SIGINT is a KeyboardInterrupt
    # raised in whatever code runs at that moment, so no `except
    # BaseException` in the server may swallow it). Clients keep connecting
    # and closing while the signal is sent.
    import signal
    app = start_app(APP, runtime, env={"AHTTP_MODE": "run"})
    assert httpx.get(app.url + "/").status_code == 200
    stop = threading.Event()

    def hammer():
        while not stop.is_set():
            try:
                with RawConnection(app.port, timeout=2) as c:
                    c.send(get("/"))
                    c.read_response()
            except Exception:
                time.sleep(0.01)

    threads = [threading.Thread(target=hammer) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        time.sleep(0.3)
        app.proc.send_signal(signal.SIGINT)
        code = wait_exit(app, 10)
        if code is None and runtime == "cpython":
            app.proc.send_signal(signal.SIGUSR1)    # the app prints its tasks
            time.sleep(1)
    finally:
        stop.set()
        for t in threads:
            t.join(10)
    log = app.log()
    assert code is not None, ("SIGINT did not end app.run():\n" + log[-2000:]
                              + "\n" + log.partition("TASKS ")[2][:6000])


# -- background thread ------------------------------------------------------------

def test_run_in_thread_leaves_main_thread_free(start_app, runtime):
    app = start_app(APP, runtime, env={"AHTTP_MODE": "thread"})
    assert wait_for(lambda: "EVENT thread started" in app.log(), 10), app.log()
    first = ticks(app.url)
    assert wait_for(lambda: ticks(app.url) >= first + 5, 15), app.log()
    with httpx.Client(base_url=app.url, timeout=10) as c:
        for i in range(5):
            assert c.get("/").text == "running thread"


# -- logging hooks -----------------------------------------------------------------

def test_access_log_line_per_request(start_app, runtime):
    app = start_app(APP, runtime, env={"AHTTP_MODE": "start"})
    with httpx.Client(base_url=app.url, timeout=10) as c:
        c.get("/")
        c.get("/count?x=1")
        c.get("/missing")
        c.post("/")
    expected = ['"GET / HTTP/1.1" 200', '"GET /count?x=1 HTTP/1.1" 200',
                '"GET /missing HTTP/1.1" 404', '"POST / HTTP/1.1" 405']
    assert wait_for(lambda: all(e in app.log() for e in expected), 10), app.log()
    lines = [l for l in app.log().splitlines() if l.startswith("LOG ") and '"GET / HTTP' in l]
    assert len(lines) == 1, lines
    assert "127.0.0.1" in lines[0]


def test_exceptions_go_to_the_log_hook(start_app, runtime):
    app = start_app(APP, runtime, env={"AHTTP_MODE": "start"})
    assert httpx.get(app.url + "/raise").status_code == 500
    assert wait_for(lambda: "logged-boom-marker" in app.log(), 10), app.log()
    # logged through the hook (a "LOG " line), with the traceback
    log = app.log()
    i = log.index("logged-boom-marker")
    assert "LOG " in log[:i]
    assert "Traceback" in log
    # the access line is written once the response has gone out
    assert wait_for(lambda: '"GET /raise HTTP/1.1" 500' in app.log(), 10), app.log()


# -- TLS --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    """A self-signed EC certificate for 127.0.0.1, as PEM (CPython) and DER
    (MicroPython's mbedTLS build refuses PEM)."""
    d = tmp_path_factory.mktemp("certs")
    key, cert = str(d / "key.pem"), str(d / "cert.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec",
                    "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", key, "-out", cert, "-days", "2",
                    "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=30)
    subprocess.run(["openssl", "x509", "-in", cert, "-outform", "DER",
                    "-out", str(d / "cert.der")], check=True, capture_output=True, timeout=30)
    subprocess.run(["openssl", "ec", "-in", key, "-outform", "DER",
                    "-out", str(d / "key.der")], check=True, capture_output=True, timeout=30)
    return {"cert.pem": cert, "key.pem": key,
            "cert.der": str(d / "cert.der"), "key.der": str(d / "key.der")}


def test_tls_with_self_signed_certificate(start_app, runtime, certs):
    kind = "der" if runtime == "micropython" else "pem"
    app = start_app(APP, runtime, env={"AHTTP_MODE": "tls",
                                       "AHTTP_CERT": certs["cert." + kind],
                                       "AHTTP_KEY": certs["key." + kind]})
    url = "https://127.0.0.1:%d" % app.port
    ctx = ssl.create_default_context(cafile=certs["cert.pem"])
    with httpx.Client(verify=ctx, timeout=15) as c:
        for i in range(3):   # keep-alive over TLS
            r = c.get(url + "/")
            assert r.status_code == 200
            assert r.text == "running tls"
        assert r.url.scheme == "https"
    # a plain-HTTP client on the TLS port neither crashes nor stalls it
    with RawConnection(app.port, timeout=5) as c:
        c.send(get("/"))
        c.wait_closed(5)
    with httpx.Client(verify=ctx, timeout=15) as c:
        assert c.get(url + "/").text == "running tls"
    assert app.alive()
