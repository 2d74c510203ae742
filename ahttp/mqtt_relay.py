"""Serving MQTT topics as Server-Sent Events: MQTTRelay (CPython, aiomqtt).

The relay's side of boards -> broker -> relays -> browsers (docs/scale.md).
It subscribes to topic filters (wildcards allowed) and serves every topic
that matches through its own Broadcaster at GET <prefix>/<topic>. Event
ids are the source's (the message's "id", see _mqtt_msg.py), so relays
side by side serve the same ids and a browser resumes on any of them.
Payloads that are not one event, or larger than `max_payload`, are
dropped with a log line. The broker connection comes back by itself.

    relay = MQTTRelay("broker.lan", topics=["home/+/sensors"])
    relay.route(app)                  # GET /events/home/board1/sensors
    asyncio.create_task(relay.run())
"""
from ahttp._mqtt_msg import BadMessage, parse_message, topic_matches
from ahttp._aio import asyncio     # (uasyncio on MicroPython 1.20)
from ahttp.sse import Broadcaster


class MQTTRelay:
    """- `ring`: events kept per topic for clients that resume.
    - `max_subscribers`: streams per topic (more get 503 + Retry-After).
    - `replay`: events a new page (no Last-Event-ID) gets at once: 1 shows
      the current value (with the board's retained message, even right
      after the relay started); 0 only live events.
    - `max_topics`: topics served at most (a wildcard could match many).
    - Lagging clients are dropped (they reconnect and resume).
    Counters: `forwarded`, `malformed`, `stale` (ids not above the last,
    e.g. the retained message again after a reconnect), `connects`.
    """

    def __init__(self, server, topics, port=1883, ring=256, max_subscribers=1000,
                 heartbeat=15, retry=1000, replay=1, max_payload=4096, max_topics=64,
                 reconnect=1.0, client_id=None, log=None):
        if isinstance(topics, str):
            topics = [topics]
        self.server = server
        self.port = port
        self.topics = list(topics)
        self.ring = ring
        self.max_subscribers = max_subscribers
        self.heartbeat = heartbeat
        self.retry = retry
        self.replay = replay
        self.max_payload = max_payload
        self.max_topics = max_topics
        self.reconnect = reconnect
        self.client_id = client_id
        self.log = log or print
        self.feeds = {}
        self.forwarded = self.malformed = self.stale = self.connects = 0
        self.connected = False

    def feed(self, topic, create=True):
        """The Broadcaster of `topic` (None for a topic no filter matches,
        or past max_topics)."""
        f = self.feeds.get(topic)
        if f is None and create and len(self.feeds) < self.max_topics and any(
                topic_matches(p, topic) for p in self.topics):
            f = Broadcaster(ring=self.ring, max_subscribers=self.max_subscribers,
                            heartbeat=self.heartbeat, retry=self.retry, on_lag="drop")
            f.source_ids = True
            self.feeds[topic] = f
        return f

    def route(self, app, prefix="/events"):
        """GET <prefix>/<topic> serves that topic's events."""
        @app.route("GET", prefix + "/<path:topic>")
        async def events(reader, writer, request):
            topic = request.params["topic"]
            f = self.feed(topic)
            if f is None:
                return {"error": "no such topic: " + topic}, 404
            last = request.args.get("last")
            if last is None and self.replay and f.last_id >= f.oldest_id():
                last = str(max(f.oldest_id(), f.last_id - self.replay + 1) - 1)
            await f.serve(reader, writer, request, last_event_id=last)
        return events

    def handle(self, topic, payload):
        """One MQTT message: its event to the topic's Broadcaster, or
        dropped with a log line. True when forwarded."""
        f = self.feed(topic)
        if f is None:
            self.malformed += 1
            self.log("relay: dropped a message on %s: no feed for it" % topic)
            return False
        try:
            id, data, event = parse_message(payload, self.max_payload)
        except BadMessage as e:
            self.malformed += 1
            self.log("relay: dropped a message on %s: %s" % (topic, e))
            return False
        if id <= f.last_id:
            self.stale += 1         # already served (a retained copy, a resend)
            return False
        f.publish(data, event, id=id)
        self.forwarded += 1
        return True

    async def run(self):
        """Subscribe and forward until cancelled; reconnects to the broker."""
        import aiomqtt
        while True:
            try:
                async with aiomqtt.Client(self.server, self.port,
                                          identifier=self.client_id) as c:
                    for t in self.topics:
                        await c.subscribe(t)
                    self.connected = True
                    self.connects += 1
                    self.log("relay: connected to %s:%d, topics %s"
                             % (self.server, self.port, " ".join(self.topics)))
                    async for m in c.messages:
                        self.handle(str(m.topic), bytes(m.payload))
            except aiomqtt.MqttError as e:
                if self.connected:
                    self.log("relay: lost %s:%d: %s" % (self.server, self.port, e))
            self.connected = False
            await asyncio.sleep(self.reconnect)
