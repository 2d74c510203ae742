"""The board of the MQTT tests: a Broadcaster served locally at /events and
published to MQTT through ahttp.mqtt_pub.MQTTPublisher (umqtt.simple on
MicroPython, aiomqtt on CPython).

Env: AHTTP_HOST/AHTTP_PORT, MQTT_PORT, MQTT_TOPIC, MQTT_QUEUE.
GET /pump?n=&rate= publishes n events at `rate` per second in a task;
GET /stats: the publisher's counters and, on MicroPython, the heap.
"""
import asyncio
import gc
import os
import sys

from ahttp import HTTPServer
from ahttp.sse import Broadcaster

gc.collect()
before = gc.mem_alloc() if hasattr(gc, "mem_alloc") else 0
from ahttp.mqtt_pub import MQTTPublisher   # noqa: E402

feed = Broadcaster(ring=64, max_subscribers=8, heartbeat=None)
pub = MQTTPublisher(feed, os.getenv("MQTT_TOPIC") or "ahttp/board1/events", "127.0.0.1",
                    int(os.getenv("MQTT_PORT") or "1883"),
                    queue=int(os.getenv("MQTT_QUEUE") or "32"), reconnect=0.5)
app = HTTPServer()
state = {"pumping": False, "pumped": 0, "heap_pub": 0}


@app.route("GET", "/events")
async def events(reader, writer, request):
    await feed.serve(reader, writer, request)


async def _pump(n, rate):
    state["pumping"] = True
    delay = 1.0 / rate
    for i in range(n):
        pub.publish({"i": i, "v": i * 0.5}, event="reading")
        state["pumped"] += 1
        await asyncio.sleep(delay)
    state["pumping"] = False


@app.route("GET", "/pump")
async def pump(reader, writer, request):
    n = int(request.args.get("n", "10"))
    rate = float(request.args.get("rate", "50"))
    asyncio.create_task(_pump(n, rate))
    return {"started": n}


@app.route("GET", "/stats")
async def stats(reader, writer, request):
    out = {"sent": pub.sent, "dropped": pub.dropped, "connects": pub.connects,
           "failures": pub.failures, "connected": pub.connected,
           "pending": len(pub.pending), "last_id": feed.last_id,
           "pumping": state["pumping"], "pumped": state["pumped"],
           "subscribers": len(feed.subscribers), "runtime": sys.implementation.name}
    if hasattr(gc, "mem_alloc"):
        gc.collect()
        out["mem_alloc"] = gc.mem_alloc()
        out["heap_pub"] = state["heap_pub"]
    return out


async def main():
    await app.start(os.getenv("AHTTP_HOST") or "127.0.0.1", int(os.getenv("AHTTP_PORT")))
    pub.start()
    await asyncio.sleep(0.3)
    if hasattr(gc, "mem_alloc"):
        gc.collect()
        # the publisher module, its object and its task (connected or not)
        state["heap_pub"] = gc.mem_alloc() - before
    print("board listening")
    while True:
        await asyncio.sleep(3600)


asyncio.run(main())
