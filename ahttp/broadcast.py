"""Broadcasting Server-Sent Events over the async server: Broadcaster.

Loaded through `ahttp.sse` when an app first asks for `Broadcaster` (or
`Full`, `Lagged`). Only waiting and writing live here; ids, the ring of
recent events and the lag policy are `_broadcast.py`, shared with the sync
driver, and each stream is an `sse.EventSource`. asyncio is imported
inside the functions that wait, never at import.
"""
from ahttp._compat import ticks_ms, ticks_diff, const
from ahttp._broadcast import encode_full_response, BroadcastCore, set_nodelay
from ahttp.sse import EventSource, _HEARTBEAT

_BATCH = const(16)          # events written per drain, at most...
_BATCH_BYTES = const(1024)  # ...and bytes: a blocked socket buffers no more


async def _answer_full(writer):
    # Broadcaster.serve at the subscriber limit: 503 + Retry-After
    take_over = getattr(writer, "take_over", None)
    if take_over is not None:
        take_over()
    try:
        writer.write(encode_full_response())
        await writer.drain()
    except OSError:
        pass


class Broadcaster(BroadcastCore):
    """One producer, many event streams: `publish()` once, every subscriber
    gets it.

    - ids are assigned here (consecutive ints from `first_id`);
    - the last `ring` events are kept: a client reconnecting with
      `Last-Event-ID` gets what it missed first (no gap, no duplicate);
    - each subscriber is a cursor into that ring, so a slow one never
      slows the others; one that falls out of the ring gets a `skipped`
      event (or is dropped with `on_lag="drop"`), one that stops reading
      is dropped by the server's send timeout;
    - at most `max_subscribers` streams: more get 503 + Retry-After;
    - `heartbeat` seconds without an event send a comment to every stream.
    - `nodelay=False` lets TCP coalesce events written within one round
      trip (Nagle's algorithm) on every stream: far fewer packets at high
      event rates, for up to one delayed-ACK time of added latency on an
      event that closely follows another (see docs/sse.md). The default
      sends each event at once.
    - `detach=True` (MicroPython): `serve()` returns once the stream's head
      is out, and the stream is only its cursor and its socket: the
      connection's coroutine, the handler's, the request, its headers and
      the EventSource are freed (~0.25 KB a stream instead of ~2 KB). An up
      to date stream has no task; one task per broadcaster serves those
      with work. The stream no longer counts against the server's
      max_connections (max_subscribers bounds it) and is not closed by
      `app.stop()`: `close()` the broadcaster for that. No `watch`.
      Elsewhere a stream runs as usual.
    """

    def __init__(self, ring=32, max_subscribers=16, heartbeat=15, first_id=1,
                 on_lag="skip", gap_event="skipped", retry=None, watch=False,
                 nodelay=True, detach=False):
        BroadcastCore.__init__(self, ring, max_subscribers, first_id, on_lag,
                               gap_event, retry)
        if not nodelay:
            self.nodelay = False
        self.detach = detach
        self.heartbeat_interval = heartbeat
        self.watch = watch
        self._event = None
        self._timer = None
        self._on_close = self._wake     # one bound method for every stream
        self._timeout = None            # detached streams' send_timeout
        self._guard = None              # their catching-up task

    def publish(self, data=None, event=None, retry=None, id=None):
        """Store one event for every subscriber; returns its id (`id`: an
        int above `last_id` chosen by the source, else the next one).

        A subscriber that is up to date and whose socket has nothing
        pending gets the event written at once, here: no task switch per
        subscriber per event (on MicroPython a write goes straight to the
        socket when it can; on CPython to the stream's transport while its
        buffer is below the high-water mark). The others, and any write
        that did not go out whole, are left to their stream's task, which
        is woken."""
        id = self._store(data, event, retry, id)
        # (Writing here beat leaving even one stream to its task, which
        # batched between its turns: figures in commit e126f6a.)
        if self.subscribers and self._write_now(id):
            self._wake()
        return id

    def _write_now(self, id):
        # Event `id` to every up-to-date subscriber; True when some task has
        # work. (A function of its own: its names and handler make a frame
        # that MicroPython takes from the heap, and freeing it on return
        # sends the allocator back to scan past everything allocated since
        # the last collection, ~10 us at a 2 MB heap. Once per event with
        # a subscriber, not in publish() for every event, nor in a helper
        # per subscriber. tools/frames.py lists such functions.)
        wake = False
        data = self._ring[id % self._size]
        n = len(data)
        for sub in self.subscribers:
            # (a subscriber with a pending "skipped" marker is behind:
            # its next_id is not this id)
            w = sub.w
            if w is None or w.out_buf or sub.next_id != id or sub.es.closed:
                wake = True
                continue
            try:
                # what asyncio's Stream.write does, one call less: send
                # now, keep what the socket did not take in out_buf
                k = w.s.write(data)
                if k != n:
                    w.out_buf = data[k:] if k else data
                    wake = True   # its task drains the rest
            except Exception as e:
                sub.es._fail(e)   # gone: its task ends the stream
                wake = True
                continue
            sub.next_id = id + 1
        return wake

    def _wake(self):
        ev = self._event
        if ev is not None:
            ev.set()      # every waiting stream runs once
            ev.clear()
        if self.detach:
            # a parked stream has no task to wake: mark it for the one task
            # that catches detached streams up when it has something to do
            # (an event, a heartbeat, a pending marker, the rest of a write,
            # or an end: dropped, or its client gone)
            last = self.last_id
            for sub in self.subscribers:
                if sub.task is False and (
                        sub.next_id <= last or sub.gap is not None or sub.dropped
                        or sub.ping != self.ping or sub.es.closed or sub.w.out_buf):
                    sub.task = True

    def serve(self, reader, writer, request=None, headers=None,
              last_event_id=None):
        """Run one client's stream until it goes away (or the broadcaster
        drops it): `await feed.serve(reader, writer, request)`. Answers 503
        when the subscriber limit is reached. `last_event_id` resumes when
        the request has no `Last-Event-ID` header (a page that opened a new
        EventSource can pass its last id in the URL: the header only comes
        with the browser's own retries).

        A plain function returning the stream's coroutine (the client is
        admitted here, when called): a stream held open for hours then holds
        one coroutine frame less (256 bytes on a 64-bit port)."""
        if request is None:
            request = getattr(writer, "request", None)
        lid, sub = self.admit(request, last_event_id)
        if sub is None:             # full, or the broadcaster is closed
            return _answer_full(writer)
        es = EventSource(reader, writer, request, headers=headers, retry=self.retry,
                         watch=self.watch and not self.detach)
        es.last_event_id = lid
        if self.detach:
            return self._detached(es, sub)
        return self.stream(es, sub)

    async def _begin(self, es, sub):
        # the stream's head, unless sent, and the broadcaster's side of a
        # new stream; False (the slot given back) when the client is
        # already gone
        import asyncio
        if not es._started:
            try:
                await es._start()
            except OSError:
                self.unsubscribe(sub)
                return False
        if not self.nodelay:
            set_nodelay(es.writer, False)
        if self._event is None:
            self._event = asyncio.Event()
        if self._timer is None and self.heartbeat_interval:
            self._timer = asyncio.create_task(self._beat())
        return True

    async def _detached(self, es, sub):
        # serve() with detach=True: the head, then the stream parked, with
        # the socket's asyncio stream as its writer (see _catch_up)
        import asyncio
        writer = es.writer
        if not await self._begin(es, sub):
            return
        s = getattr(writer, "_s", None)
        detach = getattr(writer, "detach", None)
        if (es.closed or detach is None or getattr(s, "out_buf", None) is None
                or self.closed):
            await self.stream(es, sub)      # not MicroPython's asyncio: as usual
            return
        detach()
        # The stream goes on as its cursor and the socket's asyncio stream,
        # nothing else: no EventSource, nothing of the request, not even
        # the peer's address (the stream's `e`, see server._accept_loop).
        s.e = None
        self._timeout = writer.app.limits.send_timeout
        sub.es = sub        # (its `closed` and `_fail` for publish())
        sub.w = s
        if self._guard is None:
            # made with the first stream, before the streams cut the heap
            # up: lagging streams then need no allocation to be served
            self._guard = asyncio.create_task(self._catch_up())
        sub.task = False    # parked, unless it resumes with events to send
        self._wake()

    async def _catch_up(self):
        # The one task for every detached stream that has work (`task`
        # True; an int: the ticks_ms since which its socket takes nothing),
        # which _wake() marks. A stream is served until it is up to date
        # (then parked again: `task` False), its socket is full, or it
        # ends. While a socket is full the task retries every 20 ms, for
        # send_timeout at most; otherwise it waits for _wake(). No task or
        # frame per stream, however many lag.
        import asyncio
        subs = self.subscribers
        while True:
            blocked = False
            i = len(subs)
            while i:
                i -= 1              # (backwards: _end() takes a stream out)
                sub = subs[i]
                t = sub.task
                if t is False or t is None:
                    continue
                s = sub.w
                try:
                    while not (sub.dropped or sub.closed):
                        buf = s.out_buf
                        if buf:     # the rest of a write
                            k = s.s.write(buf)          # None: would block
                            if k:
                                s.out_buf = buf[k:]
                                sub.task = t = True
                                continue
                            if t is True:
                                sub.task = ticks_ms()
                            elif ticks_diff(ticks_ms(), t) > self._timeout * 1000:
                                raise OSError(110, "send timed out: client is not reading")
                            blocked = True
                            break
                        data = self.take(sub)
                        if data is None:
                            if not self.take_ping(sub):
                                sub.task = False        # up to date: parked
                                break
                            data = _HEARTBEAT
                        s.write(data)
                    else:
                        self._end(sub, s)
                except Exception:   # the client went away, Lagged, no memory
                    self._end(sub, s)
            if blocked:
                await asyncio.sleep_ms(20)
                continue
            if self.closed and not subs:
                self._guard = None
                return
            try:
                await self._event.wait()
            except MemoryError:     # no room for the wait's frame just now
                await asyncio.sleep_ms(20)

    def _end(self, sub, s):
        # A detached stream's end: out of the broadcaster, its socket
        # closed (no server does it, and MicroPython's Stream.close()
        # leaves that to wait_closed(); under TLS the accept loop keeps the
        # TCP socket as `raw`, see server._accept_loop)
        sub.task = None
        sub.es = sub.w = None
        self.unsubscribe(sub)
        try:
            s.s.close()
            raw = getattr(s, "raw", None)
            if raw is not None:
                raw.close()
        except Exception:
            pass

    async def stream(self, es, sub=None):
        """Feed an EventSource until its client goes away (its head is sent
        first if it was not started). Raises Full at the subscriber limit."""
        if sub is None:
            sub = self.subscribe(es.last_event_id)
        if not await self._begin(es, sub):
            return
        es._on_close = self._on_close
        event = self._event
        # MicroPython: a write goes straight to the socket when it can, and
        # what it could not take waits in out_buf. With out_buf empty there
        # is nothing to drain, and asyncio's drain() would only yield: skip
        # it (this loop still yields at event.wait() once caught up).
        # CPython: the same through _transport.Direct.
        writer = es.writer
        s = getattr(writer, "_s", None)
        direct = s is not None and getattr(s, "out_buf", None) is not None
        if not direct and getattr(s, "transport", None) is not None:
            from ahttp._transport import Direct     # (CPython)
            s = Direct(s.transport)
            direct = True
        if direct:
            sub.es = es       # publish() may write to its socket directly
            sub.w = s
        try:
            while not (sub.dropped or es.closed):
                n = size = 0
                while n < _BATCH and size < _BATCH_BYTES:
                    if direct and s.out_buf:
                        break     # the socket is full: drain before queueing more
                    data = self.take(sub)
                    if data is None:
                        break
                    # (an error ends the stream below)
                    writer.write(data)
                    n += 1
                    size += len(data)
                if n == 0 and self.take_ping(sub):
                    writer.write(_HEARTBEAT)
                    n = 1
                if n:
                    if not direct or s.out_buf or es.closed:
                        await es._flush()
                elif direct and s.out_buf:
                    await es._flush()     # what publish() wrote did not all go out
                else:
                    await event.wait()
        except OSError:       # the client went away, or Lagged
            pass
        finally:
            sub.es = sub.w = None
            self.unsubscribe(sub)
            es._on_close = None
            es.close()

    async def _beat(self):
        import asyncio
        try:
            last = self.published
            while self.subscribers and not self.closed:
                await asyncio.sleep(self.heartbeat_interval)
                if self.published == last:
                    self.heartbeat()
                last = self.published
        finally:
            self._timer = None


_end = 1    # imported completely (see _compat.load)
