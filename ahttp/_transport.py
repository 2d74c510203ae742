"""CPython only: an asyncio transport seen as MicroPython's asyncio stream
is, for Broadcaster.publish() (ahttp.broadcast). Not loaded on MicroPython.
"""


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
