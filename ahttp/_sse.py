"""Sans-IO Server-Sent Events: the wire format.

Event encoding (WHATWG "text/event-stream") and the stream's response
head, for both drivers' EventSource (`sse.py`, `_sync_sse.py`). No I/O and
no asyncio here. The broadcaster's state is `_broadcast.py`, loaded only
by an app that broadcasts.
"""
import json

from ahttp._compat import MICROPYTHON
from ahttp._http import encode_head
# builtins as module globals: MicroPython looks a builtin name up along
# its builtins table (~100 ns), a global in one step (docs/design.md)
from builtins import int, str, type


class SSEError(ValueError):
    """A field that cannot be put on the wire (newline in `event`/`id`,
    NUL in `id`, bad `retry`)."""


def _text(value, name):
    if isinstance(value, bytes):
        value = str(value, "utf-8")
    elif not isinstance(value, str):
        value = str(value)
    if "\n" in value or "\r" in value:
        raise SSEError(name + " must not contain CR or LF")
    return value


def _lines(text):
    # One list entry per line; CRLF, CR and LF all end a line (WHATWG).
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.split("\n")


def encode_data(data):
    """`data` as the text that goes into `data:` lines: str as is, bytes
    decoded as UTF-8, anything else (dict, list, numbers, bools) as JSON."""
    if isinstance(data, str):
        return data
    if isinstance(data, (bytes, bytearray)):
        return str(data, "utf-8")
    return json.dumps(data, separators=(",", ":"))


# The shapes sent most (one line of data; an int id or none; an event
# name or none), one format each, bytes: the event's bytes in one object
# (MicroPython's bytes % takes a str as it is; CPython's takes the data
# encoded, and formats bytes faster than str). Index 1: with an id; 2:
# what the formats with an event name are made from (see _name).
_FORMATS = (b"data: %s\n\n", b"id: %d\ndata: %s\n\n", b"event: %s\ndata: %s\n\n")


# The last event name found to be a str without CR or LF, and the formats
# without and with an id that have that name in them: (name, no id, id). One
# object, replaced whole, so that threads sending other names never pair a
# name with another's formats.
_named = (None, None, None)


def _name(event):
    # A loop sends the same name object each time: it is checked, and put
    # into its own formats, once (one argument fewer per event to format).
    # Only a str is kept; another type is made into text anew each time.
    global _named
    text = _text(event, "event").replace("%", "%%").encode()
    f = (event if type(event) is str else None,
         _FORMATS[2] % (text, b"%s"), _FORMATS[2] % (text + b"\nid: %d", b"%s"))
    _named = f
    return f


def encode_event(data=None, event=None, id=None, retry=None):
    """The bytes of one event, ending with the blank line that dispatches it.

    Field order: `event`, `id`, `retry`, then one `data:` line per line of
    data. `data=None` sends no data lines (a browser then dispatches nothing,
    but `id` and `retry` still take effect); `data=""` sends an empty event.
    """
    # The common shapes in a function of few names, one formatting each:
    # its frame stays on the C stack (see broadcast.Broadcaster._write_now;
    # figures in commit 12ae0bc), and an event costs one allocation on
    # MicroPython (lines of data add their encode() and replace(); CPython
    # encodes the data first).
    if data is not None and type(data) is not str:
        data = encode_data(data)
    if data and retry is None and (id is None or type(id) is int) and "\r" not in data:
        if "\n" in data:
            # lines, none empty: each its data: line, in the same formats
            # (startswith, not data[0]: indexing a str interns that
            # character on MicroPython, see _http.isdigits; CPython strips
            # in a fifth of the time of those two calls, MicroPython not)
            if "\n\n" in data or (data.startswith("\n") or data.endswith("\n")
                                   if MICROPYTHON else data.strip("\n") is not data):
                return _encode_event(data, event, id, retry)
            # (bytes: on MicroPython a new str is looked up among all the
            # interned names, a cost that grows with every module loaded;
            # bytes are not)
            data = data.encode().replace(b"\n", b"\ndata: ")
        elif not MICROPYTHON:
            data = data.encode()
        if event is None:
            return (_FORMATS[0] % data) if id is None else (_FORMATS[1] % (id, data))
        # (retry, None here, holds the name's formats: no new local)
        retry = _named
        if event is not retry[0]:
            retry = _name(event)
        return retry[1] % data if id is None else retry[2] % (id, data)
    return _encode_event(data, event, id, retry)


def _encode_event(text, event, id, retry):
    # the general case: `text` is the data as str, or None
    out = ""
    if event is not None:
        out = "event: " + _text(event, "event") + "\n"
    if id is not None:
        id = _text(id, "id")
        if "\x00" in id:
            raise SSEError("id must not contain NUL")
        out += "id: " + id + "\n" if id else "id\n"
    if retry is not None:
        if isinstance(retry, bool) or not isinstance(retry, int) or retry < 0:
            raise SSEError("retry must be a non-negative int (milliseconds)")
        out += "retry: %d\n" % retry
    if text is not None:
        out += _data_lines(text)
    elif not out:
        raise SSEError("an event needs data, event, id or retry")
    return (out + "\n").encode()


def _data_lines(text):
    # (apart from _encode_event: a loop's slots would put that frame on
    # the heap on MicroPython, allocated and freed at every event)
    return "".join("data: " + line + "\n" if line else "data\n" for line in _lines(text))


def encode_comment(text=""):
    """A comment (`:` line) that every client ignores; a multi-line text
    becomes several comment lines. `encode_comment()` is the heartbeat."""
    text = encode_data(text)
    if not text:
        return b":\n\n"
    return ("".join(": " + line + "\n" for line in _lines(text)) + "\n").encode()


def stream_headers(headers=None):
    """The response headers of an event stream, as (name, value) pairs.

    Close-delimited on purpose: the connection carries nothing but this
    stream, so there is no framing to add and every event reaches the
    client in the same write (no chunk sizes for a proxy to buffer on).
    `X-Accel-Buffering: no` stops nginx from buffering it.
    """
    out = [("Content-Type", "text/event-stream"),
           ("Cache-Control", "no-cache"),
           ("Connection", "close"),
           ("X-Accel-Buffering", "no")]
    if headers:
        items = headers.items() if hasattr(headers, "items") else headers
        for name, value in items:
            out.append((name, value))
    return out


def encode_stream_head(headers=None):
    if not headers:
        # encode_head(200, stream_headers()) as a literal: one constant
        # object, no allocation per stream (test_sse_unit checks they
        # agree); not a const(): v1.11 (WiPy) takes only integers there
        return (b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                b"Cache-Control: no-cache\r\nConnection: close\r\n"
                b"X-Accel-Buffering: no\r\n\r\n")
    return encode_head(200, stream_headers(headers))


def last_event_id(request):
    """The client's `Last-Event-ID` header, or None."""
    if request is None:
        return None
    headers = getattr(request, "headers", None) or {}
    value = headers.get("last-event-id")
    if value is None:
        return None
    return value
