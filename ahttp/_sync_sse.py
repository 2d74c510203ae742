"""Server-Sent Events for the blocking driver: EventSource and Broadcaster.

Loaded by `ahttp.sync` on first use. Only waiting and writing live here;
the wire format, ids, the ring of recent events and the lag policy are in
`_sse.py`, shared with the async driver (sse.py). No asyncio here.

    es = EventSource(reader, writer, heartbeat=15)   # sends the stream head
    while True:
        es.sleep(5)          # heartbeats, and OSError once the client is gone
        es.send({"t": 21.5}, event="reading")

A stream holds the thread it runs on: mark its handler with `@app.thread`
(on a port with threads) so the server goes on serving meanwhile.
"""
from ._compat import ticks_ms, ticks_diff, const
from . import _sse
from ._sse import (SSEError, Full, Lagged, encode_event, encode_comment,
                   BroadcastCore)

__all__ = ("EventSource", "Broadcaster", "SSEError", "Full", "Lagged",
           "encode_event", "encode_comment")

_ECONNRESET = const(104)
_TICK_MS = const(50)        # a waiting broadcast stream looks for events this often
_BATCH = const(16)          # events joined into one write, at most...
_BATCH_BYTES = const(1024)  # ...and bytes
_HEARTBEAT = b":\n\n"


def _compact(data, separators=None, dumps=_sse.json.dumps):
    # json.dumps(data, separators=(",", ":")) for a json module without
    # `separators` (MicroPython v1.11, the WiPy's, writes ", " and ": "):
    # event data is then the same bytes on every runtime
    if isinstance(data, dict):
        return "{%s}" % ",".join(dumps(k if isinstance(k, str) else str(k)) + ":"
                                 + _compact(v) for k, v in data.items())
    if isinstance(data, (list, tuple)):
        return "[%s]" % ",".join(_compact(v) for v in data)
    return dumps(data)


class _CompactJSON:
    dumps = staticmethod(_compact)


try:
    _sse.json.dumps(0, separators=(",", ":"))
except TypeError:
    _sse.json = _CompactJSON


def _closed_error():
    return OSError(_ECONNRESET, "event stream closed")


def _sleep_ms(ms):
    import time
    if hasattr(time, "sleep_ms"):
        time.sleep_ms(ms)
    else:
        time.sleep(ms / 1000)


class EventSource:
    """One event stream on a dedicated connection (see sse.EventSource).

    `EventSource(reader, writer)` takes the connection over and writes the
    head at once. `heartbeat` (seconds): while the handler waits in
    `sleep()`, a comment goes out after that much silence. `sleep()` also
    reads the connection, so a client that closes is noticed there:
    `closed` becomes True and OSError is raised. `watch` is accepted for
    the async signature (waiting in `sleep()` always watches here).
    """

    def __init__(self, reader, writer, request=None, headers=None,
                 heartbeat=None, retry=None, watch=False):
        self.reader = reader
        self.writer = writer
        if request is None:
            request = getattr(writer, "request", None) or getattr(reader, "request", None)
        self.request = request
        self.last_event_id = _sse.last_event_id(request)
        self.heartbeat = heartbeat
        self.closed = False
        self._error = None
        self._last = ticks_ms()
        self._on_close = None
        take_over = getattr(writer, "take_over", None)
        if take_over is not None:
            take_over()
        head = _sse.encode_stream_head(headers)
        if retry is not None:
            head += encode_event(retry=retry)
        self._send(head)
        if getattr(request, "method", "GET") == "HEAD":
            self._fail(None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def send(self, data=None, event=None, id=None, retry=None):
        """Send one event. Raises SSEError (a ValueError) for a field that
        cannot be encoded, OSError when the client is gone or too slow."""
        self._send(encode_event(data, event, id, retry))

    def comment(self, text=""):
        """Send a comment line (clients ignore it)."""
        self._send(encode_comment(text))

    def _send(self, data):
        if self.closed:
            raise self._error or _closed_error()
        try:
            self.writer.write(data)
        except Exception as e:
            self._fail(e)
            raise
        self._last = ticks_ms()

    def sleep(self, seconds):
        """Wait `seconds` in a stream loop: heartbeat comments go out when
        due, and a client that closes ends the wait with OSError."""
        end = ticks_ms() + int(seconds * 1000)
        while True:
            left = ticks_diff(end, ticks_ms())
            if left <= 0:
                return
            self._wait(left)

    def _wait(self, ms):
        # Up to `ms`: a heartbeat if one is due, else watch the connection.
        if self.closed:
            raise self._error or _closed_error()
        hb = self.heartbeat
        if hb:
            due = int(hb * 1000) - ticks_diff(ticks_ms(), self._last)
            if due <= 0:
                self._send(_HEARTBEAT)
                return
            if due < ms:
                ms = due
        readable = getattr(self.reader, "readable", None)
        if readable is None:
            _sleep_ms(ms)
            return
        if not readable(ms):
            return
        try:
            data = self.reader.read(64)      # what a client sends is dropped
        except OSError as e:
            self._fail(e)
            raise
        if not data:
            self._fail(None)
            raise self._error

    def _fail(self, exc):
        if self.closed:
            return
        self.closed = True
        self._error = exc if isinstance(exc, OSError) else _closed_error()
        cb = self._on_close
        if cb is not None:
            cb()

    def close(self):
        """End the stream: the next send raises, the server closes the
        connection when the handler returns."""
        self._fail(None)
        try:
            self.writer.close()
        except Exception:
            pass


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
                writer.write(_sse.encode_full_response())
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
            _sse.set_nodelay(es.writer, False)
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
