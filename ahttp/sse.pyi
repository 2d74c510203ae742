from typing import (Any, Awaitable, Generator, Iterable, List, Mapping, Optional,
                    Tuple, Union)

from .request import Request

_Headers = Union[Mapping[str, Any], Iterable[Tuple[str, Any]], None]
_Id = Union[int, str, bytes, None]


class SSEError(ValueError):
    """A field that cannot be put on the wire."""


class Full(Exception):
    """The broadcaster already has its maximum number of subscribers."""


class Lagged(OSError):
    """A subscriber fell out of the ring with on_lag="drop"."""


class _Subscription:
    """A subscriber's cursor into a Broadcaster's ring."""
    next_id: int
    dropped: bool


def encode_event(data: Any = None, event: Optional[str] = None, id: _Id = None,
                 retry: Optional[int] = None) -> bytes: ...
def encode_comment(text: Any = "") -> bytes: ...


class EventSource:
    """One event stream: `es = await EventSource(reader, writer)`."""
    reader: Any
    writer: Any
    request: Optional[Request]
    last_event_id: Optional[str]
    heartbeat: Optional[float]
    closed: bool

    def __init__(self, reader: Any, writer: Any, request: Optional[Request] = None,
                 headers: _Headers = None, heartbeat: Optional[float] = None,
                 retry: Optional[int] = None, watch: bool = False) -> None: ...
    def __await__(self) -> Generator[Any, None, "EventSource"]: ...
    async def __aenter__(self) -> "EventSource": ...
    async def __aexit__(self, *exc: Any) -> bool: ...
    async def send(self, data: Any = None, event: Optional[str] = None, id: _Id = None,
                   retry: Optional[int] = None) -> None: ...
    async def comment(self, text: Any = "") -> None: ...
    def close(self) -> None: ...


class Broadcaster:
    """One producer, many event streams."""
    detach: bool
    heartbeat_interval: Optional[float]
    watch: bool
    nodelay: bool
    last_id: int
    max_subscribers: int
    on_lag: str
    gap_event: Optional[str]
    retry: Optional[int]
    subscribers: List[_Subscription]
    ping: int
    closed: bool
    published: int

    def __init__(self, ring: int = 32, max_subscribers: int = 16,
                 heartbeat: Optional[float] = 15, first_id: int = 1, on_lag: str = "skip",
                 gap_event: Optional[str] = "skipped", retry: Optional[int] = None,
                 watch: bool = False, nodelay: bool = True, detach: bool = False) -> None: ...
    def publish(self, data: Any = None, event: Optional[str] = None,
                retry: Optional[int] = None) -> int: ...
    def serve(self, reader: Any, writer: Any, request: Optional[Request] = None,
              headers: _Headers = None, last_event_id: Optional[str] = None) -> Awaitable[None]: ...
    async def stream(self, es: EventSource, sub: Optional[_Subscription] = None) -> None: ...
    def heartbeat(self) -> None: ...
    def disconnect_all(self) -> None: ...
    def close(self) -> None: ...
    # the core the drivers build on
    def oldest_id(self) -> int: ...
    def admit(self, request: Optional[Request],
              default: Optional[str] = None) -> Tuple[Optional[str], Optional[_Subscription]]: ...
    def subscribe(self, last_event_id: Optional[str] = None) -> _Subscription: ...
    def unsubscribe(self, sub: _Subscription) -> None: ...
    def take(self, sub: _Subscription) -> Optional[bytes]: ...
    def take_ping(self, sub: _Subscription) -> bool: ...
