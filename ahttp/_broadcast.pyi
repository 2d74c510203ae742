# The broadcaster core both drivers share (ids, ring, cursors, lag policy).
from typing import Any, List, Optional, Tuple


class Full(Exception):
    """The broadcaster already has its maximum number of subscribers."""


class Lagged(OSError):
    """A subscriber fell out of the ring with on_lag="drop"."""


class Subscription:
    """A subscriber's cursor into a Broadcaster's ring."""
    next_id: int
    dropped: bool


class BroadcastCore:
    nodelay: bool
    last_id: int
    max_subscribers: int
    on_lag: str
    gap_event: Optional[str]
    retry: Optional[int]
    subscribers: List[Subscription]
    ping: int
    closed: bool
    published: int
    source_ids: bool

    def publish(self, data: Any = None, event: Optional[str] = None,
                retry: Optional[int] = None, id: Optional[int] = None) -> int: ...
    def heartbeat(self) -> None: ...
    def disconnect_all(self) -> None: ...
    def close(self) -> None: ...
    def oldest_id(self) -> int: ...
    def admit(self, request: Any,
              default: Optional[str] = None) -> Tuple[Optional[str], Optional[Subscription]]: ...
    def subscribe(self, last_event_id: Optional[str] = None) -> Subscription: ...
    def unsubscribe(self, sub: Subscription) -> None: ...
    def take(self, sub: Subscription) -> Optional[bytes]: ...
    def take_ping(self, sub: Subscription) -> bool: ...
