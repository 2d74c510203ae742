from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

from ._sse_parse import Event as Event
from ._sse_parse import SSEParseError as SSEParseError
from ._sse_parse import SSEParser as SSEParser

_Headers = Union[Mapping[str, Any], Iterable[Tuple[str, Any]], None]


class SSEClientError(OSError):
    """The server answered something that is not an event stream."""


def parse_url(url: str) -> Tuple[str, int, str]: ...
def encode_request(host: str, port: int, path: str, last_id: Optional[str] = None,
                   headers: _Headers = None) -> bytes: ...
def parse_response_head(head: bytes) -> Tuple[int, Dict[str, str]]: ...


class EventStream:
    """An event stream that reconnects: `async for ev in EventStream(url)`."""
    host: str
    port: int
    path: str
    parser: SSEParser
    retry: int
    timeout: Optional[float]
    max_reconnects: Optional[int]
    headers: _Headers
    connects: int
    closed: bool

    def __init__(self, url: Union[str, Sequence[str]], last_event_id: Optional[str] = None,
                 retry: int = 3000, timeout: Optional[float] = None,
                 max_reconnects: Optional[int] = None, headers: _Headers = None,
                 max_event: int = 262144) -> None: ...
    @property
    def last_id(self) -> Optional[str]: ...
    def __aiter__(self) -> "EventStream": ...
    async def __anext__(self) -> Event: ...
    def close(self) -> None: ...
