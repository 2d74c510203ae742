"""Sans-IO reading of a text/event-stream (WHATWG HTML, "Server-sent
events", 9.2.6 "Interpreting an event stream"): bytes in, events out.

Used by the SSE client (`sse_client.py`); no I/O and no asyncio here. Every
limit holds while buffering: a line longer than `max_line`, or an event
whose data grows past `max_event`, raises SSEParseError at once.
"""


def _text(b):
    # UTF-8 with U+FFFD for bad bytes (the spec's decoding); MicroPython's
    # str() has no error handler, so replace each non-ASCII byte there
    try:
        return str(b, "utf-8")
    except UnicodeError:
        try:
            return str(b, "utf-8", "replace")
        except UnicodeError:
            return "".join(chr(c) if c < 128 else "\ufffd" for c in b)


class SSEParseError(ValueError):
    """The stream broke a limit (line or event too long)."""


class Event:
    """One dispatched event: `data` (str, lines joined with LF), `event`
    (its type, "message" when the stream named none), `id` (the stream's
    last event id at dispatch, str) and `retry` (ms, or None)."""

    def __init__(self, data, event, id, retry):
        self.data = data
        self.event = event
        self.id = id
        self.retry = retry

    def __repr__(self):
        return "Event(%r, event=%r, id=%r)" % (self.data, self.event, self.id)


class SSEParser:
    """`feed(bytes)` returns the list of events the bytes completed.

    Lines end with CRLF, LF or CR (a CR at the end of one chunk and an LF at
    the start of the next are one line end). A leading BOM is dropped.
    `last_id` and `retry` persist across events and reconnections: the
    client sends `last_id` as Last-Event-ID and waits `retry` ms.
    """

    def __init__(self, last_id=None, max_line=65536, max_event=262144):
        self.last_id = last_id      # str, or None: never set by the stream
        self.retry = None           # ms, from a `retry:` line
        self.max_line = max_line
        self.max_event = max_event
        self._buf = b""
        self._skip_lf = False       # the last chunk ended with CR
        self._first = True          # BOM check pending
        self._data = []
        self._size = 0
        self._type = ""

    def reset(self):
        """Forget a partial line and event (a new connection); keep
        last_id and retry."""
        self._buf = b""
        self._skip_lf = False
        self._first = True
        self._data = []
        self._size = 0
        self._type = ""

    def feed(self, chunk):
        events = []
        if not chunk:
            return events
        if self._skip_lf:
            self._skip_lf = False
            if chunk[:1] == b"\n":
                chunk = chunk[1:]
        buf = self._buf + chunk if self._buf else bytes(chunk)
        if self._first:
            if len(buf) < 3 and b"\xef\xbb\xbf".startswith(buf):
                self._buf = buf
                return events
            self._first = False
            if buf[:3] == b"\xef\xbb\xbf":
                buf = buf[3:]
        start = 0
        n = len(buf)
        while start < n:
            lf = buf.find(b"\n", start)
            cr = buf.find(b"\r", start, lf if lf >= 0 else n)
            if cr >= 0:
                end = cr
                nxt = cr + 1
                if nxt == n:
                    self._skip_lf = True     # its LF may come next
                elif buf[nxt] == 10:
                    nxt += 1
            elif lf >= 0:
                end = lf
                nxt = lf + 1
            else:
                break
            if end - start > self.max_line:
                raise SSEParseError("line longer than %d bytes" % self.max_line)
            ev = self._line(buf[start:end])
            if ev is not None:
                events.append(ev)
            start = nxt
        rest = buf[start:]
        if len(rest) > self.max_line:
            raise SSEParseError("line longer than %d bytes" % self.max_line)
        self._buf = rest
        return events

    def _line(self, line):
        if not line:
            return self._dispatch()
        if line[0] == 58:           # ":" a comment
            return None
        colon = line.find(b":")
        if colon < 0:
            name, value = line, b""
        else:
            name, value = line[:colon], line[colon + 1:]
            if value[:1] == b" ":
                value = value[1:]
        if name == b"data":
            self._size += len(value) + 1
            if self._size > self.max_event:
                raise SSEParseError("event data longer than %d bytes" % self.max_event)
            self._data.append(value)
        elif name == b"event":
            self._type = _text(value)
        elif name == b"id":
            if b"\x00" not in value:
                self.last_id = _text(value)
        elif name == b"retry":
            if value and value.isdigit():
                self.retry = int(value)
        return None                 # other fields are ignored

    def _dispatch(self):
        data = self._data
        kind = self._type
        self._type = ""
        if not data:
            return None             # no data field: nothing to dispatch
        self._data = []
        self._size = 0
        return Event(_text(b"\n".join(data)), kind or "message",
                     self.last_id, self.retry)
