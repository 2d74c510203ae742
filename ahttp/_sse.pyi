# The SSE wire format and broadcaster core both drivers share.
from typing import Any, List, Optional, Tuple, Union

_Id = Union[int, str, bytes, None]


class SSEError(ValueError):
    """A field that cannot be put on the wire."""


class Full(Exception):
    """The broadcaster already has its maximum number of subscribers."""


class Lagged(OSError):
    """A subscriber fell out of the ring with on_lag="drop"."""


class Subscription:
    """A subscriber's cursor into a Broadcaster's ring."""
    next_id: int
    dropped: bool


def encode_event(data: Any = None, event: Optional[str] = None, id: _Id = None,
                 retry: Optional[int] = None) -> bytes: ...
def encode_comment(text: Any = "") -> bytes: ...


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

    def publish(self, data: Any = None, event: Optional[str] = None,
                retry: Optional[int] = None) -> int: ...
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
