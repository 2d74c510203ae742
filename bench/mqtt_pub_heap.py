"""Heap the MQTT publisher adds on MicroPython (docs/scale.md).

    micropython bench/mqtt_pub_heap.py BROKER_PORT [HTTP_PORT]   # broker on 127.0.0.1

MICROPYPATH must hold the package (source or tools/build_mpy.py's .mpy),
umqtt.simple (tools/get_umqtt.py) and .frozen. Prints gc.mem_alloc()
differences after a collection: importing the publisher (umqtt.simple
included), a connected publisher with its task, and 32 queued messages
while no broker is reachable.

With HTTP_PORT it then serves the feed at GET /events and, at GET
/rate?secs=3&mqtt=1, publishes for `secs` seconds as fast as its local
streams take the events and (mqtt=1: `pub.publish`) the broker takes the
messages, answering {"events": n, "ms": elapsed}; mqtt=0 is
`feed.publish` alone. bench/relay.py drives it with one SSE client.
"""
import asyncio
import gc
import sys

from ahttp.sse import Broadcaster

port = int(sys.argv[1])


def heap():
    gc.collect()
    return gc.mem_alloc()


async def main():
    feed = Broadcaster(ring=32)
    feed.publish({"t": 0})
    base = heap()
    from ahttp.mqtt_pub import MQTTPublisher
    import umqtt.simple   # noqa: F401  (imported by the task on connect)
    imported = heap()
    pub = MQTTPublisher(feed, "ahttp/board1/events", "127.0.0.1", port, reconnect=0.2)
    pub.start()
    while not pub.connected:
        await asyncio.sleep(0.05)
    for i in range(100):
        pub.publish({"t": 21.5, "i": i}, event="reading")
        await asyncio.sleep(0)
    while pub.pending:
        await asyncio.sleep(0.01)
    connected = heap()
    down = MQTTPublisher(feed, "ahttp/board2/events", "127.0.0.1", 1, reconnect=0.2)
    down.start()
    await asyncio.sleep(0.1)
    before_q = heap()
    for i in range(32):
        down.enqueue(b'{"id": %d, "data": {"t": 21.5, "i": %d}, "event": "reading"}' % (i, i))
    queued = heap()
    print("import mqtt_pub + umqtt.simple: %d bytes" % (imported - base))
    print("publisher object + task, connected, after 100 events: %d bytes"
          % (connected - imported))
    print("32 queued messages (broker down): %d bytes (%d each)"
          % (queued - before_q, (queued - before_q) // 32))
    print("sent %d, failures of the down one: %d" % (pub.sent, down.failures))
    down.stop()
    if len(sys.argv) > 2:
        await serve(feed, pub, int(sys.argv[2]))
    pub.stop()


def _behind(feed, pub):
    # a message not yet written to the broker, or a local stream that has
    # not taken the newest event
    if pub.pending:
        return True
    for s in feed.subscribers:
        if s.next_id <= feed.last_id:
            return True
    return False


async def serve(feed, pub, port):
    import time
    from ahttp import HTTPServer
    app = HTTPServer()

    @app.route("GET", "/events")
    async def events(reader, writer, request):
        await feed.serve(reader, writer, request)

    @app.route("GET", "/rate")
    async def rate(reader, writer, request):
        limit = int(float(request.args.get("secs", "3")) * 1000)
        send = pub.publish if request.args.get("mqtt") == "1" else feed.publish
        n = 0
        t0 = time.ticks_ms()
        while time.ticks_diff(time.ticks_ms(), t0) < limit:
            send({"t": 21.5, "i": n}, "reading")
            n += 1
            while _behind(feed, pub) and time.ticks_diff(time.ticks_ms(), t0) < limit:
                await asyncio.sleep(0)
        return {"events": n, "ms": time.ticks_diff(time.ticks_ms(), t0)}

    await app.start("127.0.0.1", port)
    print("serving on", port)
    while True:
        await asyncio.sleep(3600)


asyncio.run(main())
