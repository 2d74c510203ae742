"""A sensor page with a live Server-Sent Events feed, on the blocking server
(ahttp.sync): for ports without asyncio, such as Pycom WiPy firmware. Runs
under micropython and python3.

    micropython examples/wipy_sync.py     # then open http://127.0.0.1:8080/

The page opens an EventSource on /events; that handler reads the
(simulated) sensor once a second and sends the reading, with a heartbeat
comment when nothing else went out for 15 s. The stream's handler is
marked @app.thread: on a port with _thread it runs beside the server, so
the page and /api/reading stay served; without threads an open stream
holds the server until the browser goes away (see docs/sync.md).

Env: AHTTP_HOST, AHTTP_PORT (default 127.0.0.1:8080), SENSOR_INTERVAL
(seconds between readings, default 1).
"""
import math
import os
import sys
import time

try:
    from ahttp.sync import HTTPServer, EventSource
except ImportError:   # run from a checkout: the package is one level up
    sys.path.insert(0, (__file__.rsplit("/", 1)[0] if "/" in __file__ else ".") + "/..")
    from ahttp.sync import HTTPServer, EventSource

getenv = getattr(os, "getenv", None) or {}.get    # a board's os has no getenv

INTERVAL = float(getenv("SENSOR_INTERVAL") or "1")
T0 = time.time()

PAGE = """<!doctype html>
<meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Sensor</title>
<style>body{font:16px sans-serif;margin:2em}b{font-size:3em}</style>
<h1>Temperature</h1>
<p><b id="t">&ndash;</b> &deg;C <small id="s">connecting&hellip;</small></p>
<script>
var es = new EventSource("/events");
es.addEventListener("reading", function (e) {
  document.getElementById("t").textContent = JSON.parse(e.data).t.toFixed(1);
  document.getElementById("s").textContent = "#" + e.lastEventId;
});
es.onerror = function () { document.getElementById("s").textContent = "reconnecting"; };
</script>
"""


def read_sensor():
    """A simulated temperature; on a board, read the ADC / I2C sensor here."""
    return 21.0 + 2.0 * math.sin((time.time() - T0) / 10.0)


app = HTTPServer(threads=2)


@app.route("GET", "/")
def index(reader, writer, request):
    return PAGE


@app.route("GET", "/api/reading")
def reading(reader, writer, request):
    return {"t": read_sensor()}


@app.thread
@app.route("GET", "/events")
def events(reader, writer, request):
    es = EventSource(reader, writer, heartbeat=15, retry=2000)
    n = int(es.last_event_id or "0") if (es.last_event_id or "0").isdigit() else 0
    try:
        while True:
            n += 1
            es.send({"t": read_sensor()}, event="reading", id=n)
            es.sleep(INTERVAL)        # OSError once the browser is gone
    except OSError:
        pass


# a PC: this machine only (AHTTP_HOST changes it); a board (its os has no
# getenv): every interface, as it is reached at its Wi-Fi address
host = getenv("AHTTP_HOST") or ("127.0.0.1" if hasattr(os, "getenv") else "0.0.0.0")
port = int(getenv("AHTTP_PORT") or 8080)
print("serving on http://%s:%d/" % (host, port))
app.run(host, port)
