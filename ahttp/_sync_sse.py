"""Server-Sent Events for the blocking driver: EventSource.

Loaded by `ahttp.sync` on first use. Only waiting and writing live here;
the wire format is `_sse.py`, shared with the async driver (sse.py); the
Broadcaster is `_sync_broadcast.py`. No asyncio here.

    es = EventSource(reader, writer, heartbeat=15)   # sends the stream head
    while True:
        es.sleep(5)          # heartbeats, and OSError once the client is gone
        es.send({"t": 21.5}, event="reading")

A stream holds the thread it runs on: mark its handler with `@app.thread`
(on a port with threads) so the server goes on serving meanwhile.
"""
from ._compat import ticks_ms, ticks_diff, const
from . import _sse
from ._sse import SSEError, encode_event, encode_comment

__all__ = ("EventSource", "SSEError", "encode_event", "encode_comment")

_ECONNRESET = const(104)
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


_end = 1    # imported completely (see _compat.load)
