# What both servers' HTTPResponse share; they add send, write and end.
from typing import Any, Iterable, List, Mapping, Optional, Tuple, Union

_Headers = Union[Mapping[str, Any], Iterable[Tuple[str, Any]], None]
_Body = Union[bytes, bytearray, memoryview, str, dict, list, None]


class BaseResponse:
    status: int
    content_type: Optional[str]
    close: bool
    headers: List[Tuple[str, str]]
    chunked: bool
    length: Optional[int]
    body: Optional[bytes]
    framing: Optional[int]
    keep: bool

    def __init__(self, status: int = 200, content_type: Optional[str] = "text/html",
                 close: bool = False, headers: _Headers = None, body: _Body = None,
                 chunked: bool = False, content_length: Optional[int] = None) -> None: ...
    def add_header(self, name: str, value: Any) -> None: ...
    def set_header(self, name: str, value: Any) -> None: ...
    def set_cookie(self, name: str, value: Any, **attrs: Any) -> None: ...
    def delete_cookie(self, name: str, path: str = "/",
                      domain: Optional[str] = None) -> None: ...
    def chunk(self, data: Union[bytes, str]) -> bytes: ...
    def encode(self, request: Any, head_only: bool = False) -> bytes: ...


def verdict(request: Any, keep: bool) -> int:
    """What the connection does once the response is out: 0 keep, 1 close,
    2 drop the rest of the request body then ask again, 3 close after a
    lingering read (see docs/design.md)."""
    ...
