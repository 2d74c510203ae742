from typing import Any, Awaitable, Generator, Iterable, Mapping, Optional, Tuple, Union

from ._broadcast import BroadcastCore, Subscription
from ._broadcast import Full as Full
from ._broadcast import Lagged as Lagged
from ._sse import SSEError as SSEError
from ._sse import encode_comment as encode_comment
from ._sse import encode_event as encode_event
from .request import Request

_Headers = Union[Mapping[str, Any], Iterable[Tuple[str, Any]], None]
_Id = Union[int, str, bytes, None]


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
    def cancel(self) -> None: ...


class Broadcaster(BroadcastCore):
    """One producer, many event streams."""
    detach: bool
    heartbeat_interval: Optional[float]
    watch: bool

    def __init__(self, ring: int = 32, max_subscribers: int = 16,
                 heartbeat: Optional[float] = 15, first_id: int = 1, on_lag: str = "skip",
                 gap_event: Optional[str] = "skipped", retry: Optional[int] = None,
                 watch: bool = False, nodelay: bool = True, detach: bool = False) -> None: ...
    def serve(self, reader: Any, writer: Any, request: Optional[Request] = None,
              headers: _Headers = None, last_event_id: Optional[str] = None) -> Awaitable[None]: ...
    async def stream(self, es: EventSource, sub: Optional[Subscription] = None) -> None: ...
