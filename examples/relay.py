"""MQTT -> SSE relay: serve a broker's topics to browsers (CPython).

    pip install aiomqtt
    python examples/relay.py --broker 127.0.0.1 --topic 'ahttp/+/events'
    # then http://127.0.0.1:8090/events/ahttp/board1/events

The sensor dashboard through a relay (the board: MQTT_BROKER=127.0.0.1
examples/sensor_feed.py): add `--www examples/sensor_www --replay 60` and
open http://127.0.0.1:8090/?feed=/events/ahttp/sensor1/events

Run several side by side (behind a load balancer, or listed in the page):
they serve the same event ids, so a browser resumes on any of them.
See docs/scale.md. Options may also come from the environment: RELAY_BROKER,
RELAY_BROKER_PORT, RELAY_TOPICS (comma-separated), RELAY_MAX_CLIENTS,
AHTTP_HOST, AHTTP_PORT.
"""
import argparse
import asyncio
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from ahttp import HTTPServer               # noqa: E402
from ahttp.mqtt_relay import MQTTRelay     # noqa: E402


def _raise_open_files(want):
    # every stream is a socket: lift the soft limit (often 1024) towards
    # the hard one instead of failing accept() past a thousand clients
    try:
        import resource
    except ImportError:
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < want:
        new = want if hard == resource.RLIM_INFINITY else min(want, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
        if new < want:
            print("relay: only %d open files allowed (ulimit -Hn): fewer than "
                  "--max-clients streams fit" % new, flush=True)


def main():
    env = os.environ.get
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--broker", default=env("RELAY_BROKER", "127.0.0.1"))
    ap.add_argument("--broker-port", type=int, default=int(env("RELAY_BROKER_PORT", "1883")))
    ap.add_argument("--topic", action="append",
                    default=[t for t in env("RELAY_TOPICS", "").split(",") if t])
    ap.add_argument("--host", default=env("AHTTP_HOST", "127.0.0.1"))
    ap.add_argument("--port", type=int, default=int(env("AHTTP_PORT", "8090")))
    ap.add_argument("--ring", type=int, default=int(env("RELAY_RING", "256")))
    ap.add_argument("--max-payload", type=int, default=int(env("RELAY_MAX_PAYLOAD", "4096")))
    ap.add_argument("--max-clients", type=int, default=int(env("RELAY_MAX_CLIENTS", "10000")),
                    help="event streams per topic (more get 503 + Retry-After)")
    ap.add_argument("--replay", type=int, default=int(env("RELAY_REPLAY", "1")),
                    help="events a new page gets at once (the dashboard: 60)")
    ap.add_argument("--www", default=env("RELAY_WWW"),
                    help="also serve this directory at / (e.g. examples/sensor_www: "
                         "open /?feed=/events/<topic>)")
    a = ap.parse_args()
    if not a.topic:
        ap.error("give at least one --topic (MQTT filter, + and # allowed)")
    relay = MQTTRelay(a.broker, a.topic, port=a.broker_port, ring=a.ring,
                      max_payload=a.max_payload, replay=a.replay,
                      max_subscribers=a.max_clients)
    conns = a.max_clients + 64          # the streams, and room for page loads
    _raise_open_files(conns + 64)
    # a relay is for many browsers: a listen queue that takes a crowd
    # reconnecting at once (after a relay died) without SYN retries
    app = HTTPServer(max_connections=conns, backlog=1024)
    relay.route(app)

    @app.route("GET", "/stats")
    async def stats(reader, writer, request):
        return {"connected": relay.connected, "connects": relay.connects,
                "forwarded": relay.forwarded, "malformed": relay.malformed,
                "stale": relay.stale,
                "topics": {t: {"last_id": f.last_id, "subscribers": len(f.subscribers)}
                           for t, f in relay.feeds.items()}}

    if a.www:
        app.static("/", a.www)

    async def run():
        await app.start(a.host, a.port)
        print("relay on http://%s:%d/events/<topic>" % (a.host, a.port), flush=True)
        await relay.run()

    asyncio.run(run())


if __name__ == "__main__":
    main()
