"""Sans-IO broadcasting for Server-Sent Events: ids, the ring of recent
events, the subscribers' cursors and the lag policy.

Shared by both drivers' Broadcaster (`broadcast.py`, `_sync_broadcast.py`)
and loaded with them, on first use: an app that only streams through
EventSource holds none of it. No I/O and no asyncio here.
"""
from ahttp._compat import const
from ahttp._http import encode_head
from ahttp._sse import encode_event, last_event_id

_DEFAULT_RING = const(32)
_DEFAULT_MAX_SUBSCRIBERS = const(16)


class Full(Exception):
    """The broadcaster already has its maximum number of subscribers."""


class Lagged(OSError):
    """A subscriber fell further behind than the broadcaster allows (only
    with `on_lag="drop"`); its stream is closed and the client reconnects."""


def encode_full_response(retry_after=5):
    """What a full broadcaster answers instead of a stream: 503 with
    `Retry-After`. Browsers stop reconnecting on a non-200 answer, so the
    page decides when to try again."""
    body = b"too many event streams\n"
    return encode_head(503, [("Content-Type", "text/plain"),
                             ("Content-Length", str(len(body))),
                             ("Retry-After", str(retry_after)),
                             ("Connection", "close")]) + body


def parse_int_id(value):
    """`value` as a non-negative int event id, or None when it is not one."""
    if value is None:
        return None
    value = value.strip()
    if not value or len(value) > 18 or not value.encode().isdigit():
        return None      # (bytes: iterating a str interns each character)
    return int(value)


def set_nodelay(writer, on):
    """TCP_NODELAY on the connection's socket (best effort: a TLS or
    in-memory stream may have none to set)."""
    s = getattr(writer, "_s", writer)      # the async driver's asyncio stream
    sock = getattr(s, "s", None)           # MicroPython stream, sync Connection
    if sock is None:
        get = getattr(s, "get_extra_info", None)     # CPython asyncio
        sock = get("socket") if get is not None else None
    if sock is not None:
        try:
            sock.setsockopt(6, 1, 1 if on else 0)    # IPPROTO_TCP, TCP_NODELAY
        except Exception:
            pass


class Subscription:
    """One subscriber's position in the broadcaster's ring (a cursor).

    The ring is shared: a subscriber costs a few words, not a queue of
    copies, and a published event is encoded once for everybody.
    """

    gap = None          # bytes of a pending "skipped" marker
    dropped = False     # set by disconnect_all() / close()
    ping = 0            # the heartbeat generation already sent
    es = None           # async driver on MicroPython: the EventSource (a
    w = None            # detached stream: the cursor itself) and its
                        # asyncio stream, written to by publish()
    task = None         # a detached stream's state for the broadcaster's
                        # catch-up task: False parked (up to date), True
                        # marked for it, an int: ticks_ms since its socket
                        # last took nothing
    closed = False      # a detached stream's: its client is gone

    def _fail(self, exc):
        # (a detached stream's, as EventSource._fail: publish() calls it
        # when a write fails; its task then ends the stream)
        self.closed = True

    def __init__(self, next_id, ping, gap=None):
        self.next_id = next_id      # the id of the next event to send
        if ping:
            self.ping = ping
        if gap is not None:
            self.gap = gap


class BroadcastCore:
    """Ids, the ring of recent events and the subscribers' cursors.

    - `publish()` assigns the next id (consecutive ints, monotonic), encodes
      the event once and stores it in a ring of the last `ring` events.
    - A subscriber is a cursor into that ring. `take(sub)` returns the next
      bytes to write for it, or None when it is up to date.
    - A subscriber whose next event already left the ring has fallen
      behind: with `on_lag="skip"` (default) it gets one `skipped` event
      (data: JSON {"missed": n, "next": id}) and goes on with the oldest
      event still kept; with `on_lag="drop"` `take` raises `Lagged`.
    - `subscribe(last_event_id)` resumes: the events after that id that are
      still in the ring come first. An id newer than anything published
      (a previous run of the server) or not an int replays the whole ring,
      unless `source_ids` is True (then a newer id was seen on another
      server sharing the source's ids: the stream waits for what follows).
    - `publish(..., id=n)` takes an id chosen by the source instead (an
      int above `last_id`; skipped ids hold no event).

    Drivers subclass this and implement `_wake()` (wake every waiting
    subscriber) and the waiting itself.
    """
    nodelay = True      # False: the drivers let TCP coalesce (Nagle)
    # True: ids come from the source (publish(id=...)), shared by several
    # servers: a Last-Event-ID above last_id was served by another one, and
    # the stream resumes after it instead of replaying the ring
    source_ids = False
    _hole = None        # (first, last): the ids the source skipped last

    def __init__(self, ring=_DEFAULT_RING, max_subscribers=_DEFAULT_MAX_SUBSCRIBERS,
                 first_id=1, on_lag="skip", gap_event="skipped", retry=None):
        if ring < 1:
            raise ValueError("ring must hold at least one event")
        if on_lag not in ("skip", "drop"):
            raise ValueError("on_lag is 'skip' or 'drop'")
        self._ring = [None] * ring
        self._size = ring
        self.last_id = first_id - 1     # the id of the newest event
        self._first_id = first_id
        self.max_subscribers = max_subscribers
        self.on_lag = on_lag
        self.gap_event = gap_event
        self.retry = retry
        self.subscribers = []
        self.ping = 0                   # heartbeat generation
        self.closed = False
        self.published = 0              # events published (for stats)

    # ids in the ring: oldest_id() .. last_id, event n at slot n % size
    def oldest_id(self):
        oldest = self.last_id - self._size + 1
        return oldest if oldest > self._first_id else self._first_id

    def publish(self, data=None, event=None, retry=None, id=None):
        """Store one event for every subscriber; returns its id (`id`: one
        chosen by the source, see _store)."""
        id = self._store(data, event, retry, id)
        self._wake()
        return id

    def _store(self, data, event, retry, id=None):
        # `id` None: the next one; an int: the source's own (see _skip)
        if self.closed:
            raise OSError("broadcaster closed")
        if id is None:
            id = self.last_id + 1
        elif type(id) is not int or id != self.last_id + 1:
            self._skip(id)
        self._ring[id % self._size] = encode_event(data, event, id, retry)
        self.last_id = id
        self.published += 1
        return id

    def _skip(self, id):
        # A source-chosen id that is not the next one (a relay passes on
        # the ids its source chose, so every relay serves the same ids): it
        # must grow, and ids it skips hold no event (their slots are
        # emptied, take() steps over them). (Out of _store, whose frame
        # every event pays for.)
        last = self.last_id
        if type(id) is not int or id <= last:
            raise ValueError("event id must be an int above %d, got %r" % (last, id))
        size = self._size
        k = last + 1
        end = k + size if id - k > size else id
        while k < end:
            self._ring[k % size] = None
            k += 1
        # nobody missed ids that never existed: a subscriber waiting for
        # one of them waits for this one, and resuming after one of them
        # is no gap (subscribe)
        self._hole = (last + 1, id - 1)
        for sub in self.subscribers:
            if last < sub.next_id < id:
                sub.next_id = id

    def admit(self, request, default=None):
        """The first step of both drivers' serve(): (the id to resume after:
        the request's Last-Event-ID, else `default`; the client's
        Subscription, or None when the broadcaster is full or closed and
        the driver answers 503). The slot is taken before the stream's head
        goes out: a client that got its 200 counts against the limit."""
        lid = last_event_id(request)
        if lid is None:
            lid = default
        try:
            return lid, self.subscribe(lid)
        except (OSError, Full):
            return lid, None

    def subscribe(self, last_event_id=None):
        """A new Subscription, resuming after `last_event_id` (a header
        value, str or None). Raises Full at the subscriber limit."""
        if self.closed:
            raise OSError("broadcaster closed")
        if len(self.subscribers) >= self.max_subscribers:
            raise Full("too many subscribers")
        oldest = self.oldest_id()
        gap = None
        if last_event_id is None:
            next_id = self.last_id + 1          # live events only
        else:
            seen = parse_int_id(last_event_id)
            if seen is None or (seen > self.last_id and not self.source_ids):
                next_id = oldest                # unknown: replay the ring
            elif seen > self.last_id:
                next_id = seen + 1              # seen elsewhere: what follows it
            elif seen + 1 >= oldest:
                next_id = seen + 1              # no gap
            else:
                next_id = oldest
                hole = self._hole
                if not (hole is not None and hole[0] <= seen + 1 <= hole[1] + 1
                        and hole[1] + 1 >= oldest):
                    gap = self._gap(oldest - seen - 1, oldest)
        sub = Subscription(next_id, self.ping, gap)
        self.subscribers.append(sub)
        return sub

    def unsubscribe(self, sub):
        try:
            self.subscribers.remove(sub)
        except ValueError:
            pass

    def _gap(self, missed, next_id):
        if self.gap_event is None:
            return None
        return encode_event({"missed": missed, "next": next_id}, self.gap_event)

    def take(self, sub):
        """The next bytes to send to `sub`, or None if it is up to date."""
        gap = sub.gap
        if gap is not None:
            sub.gap = None
            return gap
        next_id = sub.next_id
        if next_id > self.last_id:
            return None
        oldest = self.oldest_id()
        if next_id < oldest:
            if self.on_lag == "drop":
                raise Lagged("subscriber fell %d events behind"
                             % (self.last_id - next_id + 1))
            sub.next_id = oldest
            gap = self._gap(oldest - next_id, oldest)
            if gap is not None:
                return gap
            next_id = oldest
        data = self._ring[next_id % self._size]
        while data is None:         # an id the source skipped
            next_id += 1
            if next_id > self.last_id:
                sub.next_id = next_id
                return None
            data = self._ring[next_id % self._size]
        sub.next_id = next_id + 1
        return data

    def take_ping(self, sub):
        """True once per heartbeat generation the subscriber has not seen."""
        if sub.ping != self.ping:
            sub.ping = self.ping
            return True
        return False

    def heartbeat(self):
        """Ask every idle subscriber to send a heartbeat comment."""
        self.ping += 1
        self._wake()

    def disconnect_all(self):
        """End every current subscriber's stream (clients reconnect and
        resume); the broadcaster stays open for new ones."""
        for sub in self.subscribers:
            sub.dropped = True
        self._wake()

    def close(self):
        """End every stream and refuse new subscribers and events."""
        self.closed = True
        self.disconnect_all()

    def _wake(self):
        # A driver's hook: the async Broadcaster sets its event here; the
        # sync one polls its cursor and needs nothing.
        pass


_end = 1    # imported completely (see _compat.load)
