"""Live sensor dashboard over Server-Sent Events. Runs under micropython and python3.

    micropython examples/sensor_feed.py     # then open http://127.0.0.1:8080/

One task reads the (simulated) sensors and publishes each reading once
through a Broadcaster; every open browser gets it. A browser that loses
the connection reconnects by itself and, thanks to the event ids and the
broadcaster's ring of recent readings, gets the ones it missed first.

Env: AHTTP_HOST, AHTTP_PORT (default 127.0.0.1:8080), SENSOR_INTERVAL
(seconds between readings, default 1), SSE_RETRY (browser reconnect delay,
ms, default 2000), SSE_DEBUG=1 adds GET /debug/drop (end every stream, as
a network cut would) and GET /debug/stats.

MQTT_BROKER (host) publishes every reading to MQTT_TOPIC (default
ahttp/sensor1/events) as well, for relays (docs/scale.md; on MicroPython
it needs umqtt.simple). The page then follows a relay with
?feed=/events/<topic>, or several boards with one ?feed= each.
"""
import asyncio
import math
import os
import random
import sys

try:
    from ahttp import HTTPServer
except ImportError:   # run from a checkout: the package is one level up
    sys.path.insert(0, (__file__.rsplit("/", 1)[0] if "/" in __file__ else ".") + "/..")
    from ahttp import HTTPServer
from ahttp.sse import Broadcaster

getenv = getattr(os, "getenv", None) or {}.get    # a board's os has no getenv

HERE = __file__.rsplit("/", 1)[0] if "/" in __file__ else "."
WWW = HERE + "/sensor_www"

INTERVAL = float(getenv("SENSOR_INTERVAL") or 1)
# 120 readings kept: a browser away for two minutes (at 1/s) misses nothing.
# detach=True: on MicroPython an open page costs its socket and ~1 KB, not
# the ~2 KB of a handler waiting for it to close (docs/sse.md).
feed = Broadcaster(ring=120, max_subscribers=8, heartbeat=15,
                   retry=int(getenv("SSE_RETRY") or 2000), detach=True)
app = HTTPServer()


@app.route("GET", "/events")
async def events(reader, writer, request):
    # A page that had to start a new EventSource passes its last id as
    # ?last=; the browser's own reconnects send the Last-Event-ID header.
    # A new page gets the whole ring first, so its plot fills at once.
    last = request.args.get("last")
    if last is None and feed.last_id >= feed.oldest_id():
        last = str(feed.oldest_id() - 1)
    await feed.serve(reader, writer, request, last_event_id=last)


@app.route("GET", "/api/info")
async def info(reader, writer, request):
    return {"interval": INTERVAL, "last_id": feed.last_id,
            "subscribers": len(feed.subscribers),
            "runtime": sys.implementation.name}


if getenv("SSE_DEBUG") == "1":
    @app.route("GET", "/debug/drop")
    async def drop(reader, writer, request):
        feed.disconnect_all()
        return {"dropped": True, "last_id": feed.last_id}


app.static("/", WWW)


class Sensor:
    """A drifting value with noise, pulled back towards a slow daily cycle."""

    def __init__(self, mean, swing, noise, lo, hi, digits):
        self.mean, self.swing, self.noise = mean, swing, noise
        self.lo, self.hi, self.digits = lo, hi, digits
        self.value = mean

    def read(self, t):
        target = self.mean + self.swing * math.sin(t / 600.0)
        v = self.value + (target - self.value) * 0.1 \
            + (random.random() - 0.5) * 2 * self.noise
        self.value = min(self.hi, max(self.lo, v))
        return round(self.value, self.digits)


SENSORS = (
    ("temperature", Sensor(21.5, 2.0, 0.15, -20, 60, 2)),      # deg C
    ("humidity", Sensor(45.0, 8.0, 0.6, 0, 100, 1)),          # % RH
    ("pressure", Sensor(1013.0, 3.0, 0.2, 900, 1100, 1)),     # hPa
    ("light", Sensor(320.0, 150.0, 12.0, 0, 2000, 0)),        # lux
)


pub = None
publish = feed.publish
if getenv("MQTT_BROKER"):
    from ahttp.mqtt_pub import MQTTPublisher
    pub = MQTTPublisher(feed, getenv("MQTT_TOPIC") or "ahttp/sensor1/events",
                        getenv("MQTT_BROKER"), int(getenv("MQTT_PORT") or 1883))
    publish = pub.publish


async def sensor_task():
    if pub is not None:
        pub.start()
    t = 0.0
    while True:
        reading = {"t": round(t, 1)}
        for name, sensor in SENSORS:
            reading[name] = sensor.read(t)
        publish(reading, event="reading")
        await asyncio.sleep(INTERVAL)
        t += INTERVAL


async def main():
    # a PC: this machine only (AHTTP_HOST changes it); a board (its os has no
    # getenv): every interface, as it is reached at its Wi-Fi address
    host = getenv("AHTTP_HOST") or ("127.0.0.1" if hasattr(os, "getenv") else "0.0.0.0")
    port = int(getenv("AHTTP_PORT") or 8080)
    await app.start(host, port)
    print("sensor feed on http://%s:%d/" % (host, port))
    await sensor_task()


try:
    asyncio.run(main())
except KeyboardInterrupt:
    pass
