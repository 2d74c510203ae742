"""A Broadcaster's events published to an MQTT topic as well: MQTTPublisher
(the board's side of boards -> broker -> relays -> browsers, docs/scale.md).

`publish()` never waits and never fails because of the broker: the event
goes to the Broadcaster (local streams) at once and its message into a
bounded queue, which one background task sends. That task connects and
reconnects by itself; while the broker is away the newest `queue` messages
wait (older ones are dropped and counted).

Backends, one API: MicroPython uses micropython-lib's `umqtt.simple`
(blocking): the task connects only after a non-blocking probe of the
broker succeeded, and its socket gets a short timeout, so a broker that is
down or stops reading never holds the event loop for more than `stall`
seconds. CPython uses `aiomqtt`. asyncio is imported inside coroutines.

Ids survive a restart: relays drop ids not above the last they served
(a retained copy, a resend), so a board whose ids began at 1 again would
be ignored until the relays restart. The feed's first id is therefore
taken from the clock (`clock_id()`): a later run starts above every id
of an earlier one, and relays and browsers see ids that only grow.
"""
import sys
import time

from ahttp._mqtt_msg import encode_message

_MICROPYTHON = sys.implementation.name == "micropython"


class MQTTPublisher:
    """    pub = MQTTPublisher(feed, "home/board1/sensors", "broker.lan")
    pub.start()                       # the background task
    pub.publish({"t": 21.5}, event="reading")   # instead of feed.publish

    - `retain`: the broker keeps the last message, so a relay that starts
      has the current value at once.
    - `queue`: messages kept while the broker is away (newest win).
    - `reconnect`: seconds between connection attempts.
    - `stall`: seconds a blocking write may take (umqtt) before the
      connection counts as broken.
    - `clock_ids`: a feed that has published nothing yet starts its ids at
      `clock_id()` (unless the clock is not set: then at 1, with a log line).
    Counters: `sent`, `dropped` (queue overflow), `connects`, `failures`.
    """

    def __init__(self, feed, topic, server, port=1883, client_id=None,
                 retain=True, queue=32, reconnect=2.0, connect_timeout=3.0,
                 stall=0.5, log=None, clock_ids=True):
        self.feed = feed
        self.topic = topic
        self.server = server
        self.port = port
        self.client_id = client_id or "ahttp-%s" % topic.replace("/", "-")
        self.retain = retain
        self.queue = queue
        self.reconnect = reconnect
        self.connect_timeout = connect_timeout
        self.stall = stall
        self.log = log or _log
        self.pending = []
        self.sent = self.dropped = self.connects = self.failures = 0
        self.connected = False
        self._event = None
        self._task = None
        self._stop = False
        if clock_ids and feed.published == 0:
            first = clock_id()
            if first is None:
                self.log("mqtt: the clock is not set: ids start at 1, and relays "
                         "ignore this board after a restart (set it, e.g. ntptime)")
            else:
                # the Broadcaster's first_id, as if it had been created with it
                feed.last_id = first - 1
                feed._first_id = first

    def publish(self, data=None, event=None, retry=None):
        """Publish through the Broadcaster and queue the MQTT message (with
        the Broadcaster's id); returns the id. Never waits."""
        id = self.feed.publish(data, event, retry)
        self.enqueue(encode_message(id, data, event))
        return id

    def enqueue(self, payload):
        q = self.pending
        if len(q) >= self.queue:
            q.pop(0)
            self.dropped += 1
        q.append(payload)
        ev = self._event
        if ev is not None:
            ev.set()

    def start(self):
        """Start the background task (once the event loop runs)."""
        import asyncio
        if self._task is None:
            self._stop = False
            self._task = asyncio.create_task(self.run())
        return self._task

    def stop(self):
        self._stop = True
        if self._event is not None:
            self._event.set()

    async def run(self):
        import asyncio
        self._event = asyncio.Event()
        run = self._run_umqtt if _MICROPYTHON else self._run_aiomqtt
        while not self._stop:
            try:
                await run()
            except Exception as e:       # the broker went away, or refused us
                self.failures += 1
                if self.connected:
                    self.log("mqtt: lost %s:%d: %r" % (self.server, self.port, e))
            self.connected = False
            if not self._stop:
                await asyncio.sleep(self.reconnect)

    async def _next(self):
        # the oldest pending message, waiting for one; None when stopping
        while not self.pending:
            if self._stop:
                return None
            self._event.clear()
            await self._event.wait()
        return self.pending[0]

    async def _run_umqtt(self):
        import asyncio
        from umqtt.simple import MQTTClient
        # probe without blocking: only a broker that accepts is connected to
        # with umqtt's blocking connect()
        r, w = await asyncio.wait_for(
            asyncio.open_connection(self.server, self.port), self.connect_timeout)
        w.close()
        c = MQTTClient(self.client_id, self.server, self.port)
        c.connect()
        try:
            c.sock.settimeout(self.stall)
            self._connected()
            while True:
                msg = await self._next()
                if msg is None:
                    c.disconnect()
                    return
                c.publish(self.topic, msg, self.retain)
                self._sent()
                await asyncio.sleep(0)   # let HTTP run between messages
        finally:
            try:
                c.sock.close()
            except Exception:
                pass

    async def _run_aiomqtt(self):
        import aiomqtt
        async with aiomqtt.Client(self.server, self.port, identifier=self.client_id,
                                  timeout=self.connect_timeout) as c:
            self._connected()
            while True:
                msg = await self._next()
                if msg is None:
                    return
                await c.publish(self.topic, msg, qos=0, retain=self.retain)
                self._sent()

    def _connected(self):
        self.connected = True
        self.connects += 1
        self.log("mqtt: connected to %s:%d, %d queued"
                 % (self.server, self.port, len(self.pending)))

    def _sent(self):
        self.pending.pop(0)
        self.sent += 1


def clock_id():
    """A first event id above every id of an earlier run: the wall-clock
    time in ms (so a run stays below the next one while it publishes under
    1,000 events/s on average), or None when the clock is not set (before
    2024: a board without NTP or RTC)."""
    t = int(time.time())
    if getattr(time, "gmtime", time.localtime)(t)[0] < 2024:
        return None
    ns = getattr(time, "time_ns", None)     # floats of 32-bit boards lack the ms
    return (ns() // 1000000 if ns else t * 1000) + 1


def _log(msg):
    print(msg)
