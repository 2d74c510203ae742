"""Broadcasting Server-Sent Events for the blocking driver: Broadcaster.

Loaded by `ahttp.sync` on first use of `Broadcaster` (or `Full`,
`Lagged`). Only waiting and writing live here; ids, the ring of recent
events and the lag policy are `_broadcast.py`, shared with the async
driver (broadcast.py), and each stream is a `_sync_sse.EventSource`.
No asyncio here.
"""
from ._compat import const
from ._broadcast import Full, Lagged, BroadcastCore, encode_full_response, set_nodelay
from ._sync_sse import EventSource, _HEARTBEAT

__all__ = ("Broadcaster", "Full", "Lagged")

_TICK_MS = const(50)        # a waiting broadcast stream looks for events this often
_BATCH = const(16)          # events joined into one write, at most...
_BATCH_BYTES = const(1024)  # ...and bytes


class Broadcaster(BroadcastCore):
    """One producer, many event streams (see sse.Broadcaster): `publish()`
    from any thread, `serve()` in a route handler, one thread per stream
    (`@app.thread`). `heartbeat` seconds of silence on a stream send it a
    comment; a stream that cannot be written within the server's
    send_timeout is dropped. Without threads, a stream holds the server, so
    only a producer in another thread could feed it. `detach` is accepted
    for the async signature: a stream here always runs in its handler."""

    def __init__(self, ring=32, max_subscribers=16, heartbeat=15, first_id=1,
                 on_lag="skip", gap_event="skipped", retry=None, watch=False,
                 nodelay=True, detach=False):
        BroadcastCore.__init__(self, ring, max_subscribers, first_id, on_lag,
                               gap_event, retry)
        if not nodelay:
            self.nodelay = False      # see sse.Broadcaster
        self.heartbeat_interval = heartbeat
        self.watch = watch

    def serve(self, reader, writer, request=None, headers=None,
              last_event_id=None):
        """Run one client's stream until it goes away (or the broadcaster
        drops it). Answers 503 when the subscriber limit is reached."""
        if request is None:
            request = getattr(writer, "request", None)
        lid, sub = self.admit(request, last_event_id)
        if sub is None:             # full, or the broadcaster is closed
            take_over = getattr(writer, "take_over", None)
            if take_over is not None:
                take_over()
            try:
                writer.write(encode_full_response())
            except OSError:
                pass
            return
        try:
            es = EventSource(reader, writer, request, headers=headers,
                             heartbeat=self.heartbeat_interval, retry=self.retry)
        except OSError:
            self.unsubscribe(sub)
            return
        es.last_event_id = lid
        self.stream(es, sub)

    def stream(self, es, sub=None):
        """Feed an already started EventSource until its client goes away.
        Raises Full at the subscriber limit."""
        if sub is None:
            sub = self.subscribe(es.last_event_id)
        if not self.nodelay:
            set_nodelay(es.writer, False)
        try:
            while not (sub.dropped or es.closed):
                parts = []
                size = 0
                while len(parts) < _BATCH and size < _BATCH_BYTES:
                    data = self.take(sub)
                    if data is None:
                        break
                    parts.append(data)
                    size += len(data)
                if not parts and self.take_ping(sub):
                    parts.append(_HEARTBEAT)
                if parts:
                    es._send(b"".join(parts) if len(parts) > 1 else parts[0])
                else:
                    es._wait(_TICK_MS)
        except OSError:       # the client went away, or Lagged
            pass
        finally:
            self.unsubscribe(sub)
            es.close()


_end = 1    # imported completely (see _compat.load)
