"""Follow an event stream with ahttp.sse_client.EventStream and print one
line per event: "<connects> <id> <event> <data>" (data's LFs as "|"); exit
after `count` events. Runs under CPython and MicroPython.

Usage: sse_follow.py URL COUNT [LAST_EVENT_ID]
"""
import sys
import asyncio

from ahttp.sse_client import EventStream


async def main(url, count, last):
    stream = EventStream(url, last_event_id=last, retry=200, timeout=10,
                         max_reconnects=50)
    n = 0
    async for ev in stream:
        print("%d %s %s %s" % (stream.connects, ev.id, ev.event,
                                ev.data.replace("\n", "|")))
        n += 1
        if n >= count:
            stream.close()
    print("done")


args = sys.argv[1:]
asyncio.run(main(args[0], int(args[1]), args[2] if len(args) > 2 else None))
