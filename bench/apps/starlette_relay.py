"""The relay's fan-out written with sse-starlette under uvicorn: what
bench/relay.py compares ahttp's MQTTRelay with (same broker, topic and
message format: ahttp/_mqtt_msg.py's JSON {"id", "data", "event"}).

    python bench/apps/starlette_relay.py HTTP_PORT BROKER_PORT TOPIC

GET /events streams every message of TOPIC. One aiomqtt subscription puts
each event into every client's bounded asyncio.Queue; a client whose queue
is full misses that event (the comparison is about holding and feeding
many clients, not about resuming). Not part of ahttp.
"""
import asyncio
import contextlib
import json
import sys

import aiomqtt
import uvicorn
from sse_starlette.sse import EventSourceResponse
from starlette.applications import Starlette
from starlette.routing import Route

QUEUE = 256
clients = set()


async def follow(port, topic):
    while True:
        try:
            async with aiomqtt.Client("127.0.0.1", port) as c:
                await c.subscribe(topic)
                async for m in c.messages:
                    try:
                        msg = json.loads(bytes(m.payload))
                        ev = {"id": str(int(msg["id"])), "data": json.dumps(msg["data"])}
                    except (ValueError, KeyError, TypeError):
                        continue
                    if isinstance(msg.get("event"), str):
                        ev["event"] = msg["event"]
                    for q in clients:
                        if not q.full():
                            q.put_nowait(ev)
        except aiomqtt.MqttError:
            await asyncio.sleep(1)


async def events(request):
    q = asyncio.Queue(QUEUE)
    clients.add(q)

    async def stream():
        try:
            while True:
                yield await q.get()
        finally:
            clients.discard(q)
    return EventSourceResponse(stream(), ping=15)


async def stats(request):
    from starlette.responses import JSONResponse
    return JSONResponse({"clients": len(clients)})


def main():
    http_port, broker_port, topic = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]

    @contextlib.asynccontextmanager
    async def lifespan(app):
        task = asyncio.ensure_future(follow(broker_port, topic))
        yield
        task.cancel()

    app = Starlette(routes=[Route("/events", events), Route("/stats", stats)],
                    lifespan=lifespan)
    uvicorn.run(app, host="127.0.0.1", port=http_port, log_level="warning",
                access_log=False, backlog=1024)


if __name__ == "__main__":
    main()
