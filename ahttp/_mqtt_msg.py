"""Sans-IO: the MQTT message that carries one broadcast event, and MQTT
topic filters. No I/O here; shared by the board's publisher
(`mqtt_pub.py`, both runtimes) and the relay (`mqtt_relay.py`).

A message is a JSON object {"id": int, "data": any, "event": str}
("event" only when the event has a type): the id is the source's, so
every relay serves the same ids and a client may resume on any of them.
"""
import json

MAX_ID = 1 << 53      # JSON numbers past this lose precision in browsers


class BadMessage(ValueError):
    """A payload that is not one event (the reason is the message)."""


def encode_message(id, data=None, event=None):
    msg = {"id": id, "data": data}
    if event is not None:
        msg["event"] = event
    return json.dumps(msg).encode()


def parse_message(payload, max_payload=4096):
    """(id, data, event) of a payload; BadMessage says why it is not one."""
    if len(payload) > max_payload:
        raise BadMessage("oversized: %d bytes (limit %d)" % (len(payload), max_payload))
    try:
        msg = json.loads(payload)
    except ValueError:
        raise BadMessage("not JSON")
    if not isinstance(msg, dict):
        raise BadMessage("not a JSON object")
    id = msg.get("id")
    if type(id) is not int or id < 1 or id > MAX_ID:
        raise BadMessage("no positive integer id")
    if "data" not in msg:
        raise BadMessage("no data")
    event = msg.get("event")
    if event is not None and (type(event) is not str or "\n" in event
                              or "\r" in event or not event):
        raise BadMessage("event is not a one-line string")
    return id, msg["data"], event


def topic_matches(pattern, topic):
    """MQTT topic filter matching: `+` one level, `#` the rest (and the
    parent level itself)."""
    p = pattern.split("/")
    t = topic.split("/")
    for i, seg in enumerate(p):
        if seg == "#":
            return True
        if i >= len(t):
            return False
        if seg != "+" and seg != t[i]:
            return False
    return len(p) == len(t)
