# Reading a text/event-stream, sans-IO (what ahttp.sse_client builds on).
from typing import List, Optional


class SSEParseError(ValueError):
    """The stream broke a limit (line or event too long)."""


class Event:
    """One dispatched event."""
    data: str
    event: str
    id: Optional[str]
    retry: Optional[int]

    def __init__(self, data: str, event: str, id: Optional[str],
                 retry: Optional[int]) -> None: ...


class SSEParser:
    """`feed(bytes)` returns the events the bytes completed."""
    last_id: Optional[str]
    retry: Optional[int]
    max_line: int
    max_event: int

    def __init__(self, last_id: Optional[str] = None, max_line: int = 65536,
                 max_event: int = 262144) -> None: ...
    def reset(self) -> None: ...
    def feed(self, chunk: bytes) -> List[Event]: ...
