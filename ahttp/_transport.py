"""CPython only: the async driver's writes to asyncio's transports (the
server's Stream.write and drain, see adapt), and a transport seen as
MicroPython's asyncio stream is, for Broadcaster.publish()
(ahttp.broadcast). Not loaded on MicroPython.
"""
import asyncio

_until = 0.0        # monotonic() until which the loop need not get a pass
monotonic = None    # time.monotonic (set by adapt: the module imports on
                    # MicroPython too, which has none)


def adapt(Stream):
    """Make the server's Stream (ahttp.server) CPython's: write and drain
    go through the connection's transport, read_head is a coroutine."""
    global monotonic
    import time
    import types
    monotonic = time.monotonic
    Stream.read_head = types.coroutine(Stream.read_head)
    Stream._tr = False          # the transport, once a write asked for it
    Stream.write = write
    Stream.drain = drain


def write(self, data):
    # As asyncio's StreamWriter.write, to the transport. True (as on
    # MicroPython) when it holds none of the bytes, is not closing and the
    # loop had its pass less than a millisecond ago: the caller's drain
    # would do nothing, and EventSource.send skips it.
    if self.discard or not data:
        return None
    self.written += len(data)
    tr = self._tr
    if tr is False:
        # (a property of the StreamWriter: asked once per connection)
        tr = self._tr = getattr(self._s, "transport", None)
    if tr is None:              # ahttp.testing's stream
        self._s.write(data)
        return False
    tr.write(data)
    return monotonic() < _until and not tr.get_write_buffer_size() and not tr.is_closing()


async def drain(self):
    global _until
    tr = self._tr
    if tr is False:
        tr = self._tr = getattr(self._s, "transport", None)
    if tr is None or tr.get_write_buffer_size() or tr.is_closing():
        await self._bounded()
    # (else the transport has sent it all: nothing to wait for, where
    # asyncio's drain would still run two coroutines.) asyncio's drain
    # returns without yielding while the transport takes the bytes: a
    # loop of sends to a fast reader would hold every other client until
    # it ends. A pass of the loop once a millisecond, as on MicroPython.
    t = monotonic()
    if t >= _until:
        _until = t + 0.001
        await asyncio.sleep(0)


class Direct:
    """A stream's transport, written to as MicroPython's stream is, so that
    publish() writes to up-to-date streams itself (no task woken per stream
    per event: with 10,000 streams that was most of an event's delay). The
    transport buffers what the socket does not take; `out_buf` is true once
    that is past asyncio's default high-water mark, where a drain would
    wait, or once the connection is closed: the stream's task then writes
    and drains instead."""
    __slots__ = ("t",)

    def __init__(self, t):
        self.t = t

    @property
    def s(self):
        return self

    @property
    def out_buf(self):
        # (a closed connection too: the stream's drain then ends it)
        t = self.t
        return t.is_closing() or t.get_write_buffer_size() >= 65536

    def write(self, data):
        if self.t.is_closing():
            raise OSError(32, "client gone")
        self.t.write(data)
        return len(data)
