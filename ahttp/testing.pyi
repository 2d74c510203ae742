from typing import (Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple,
                    Union)

_Headers = Union[Mapping[str, Any], Iterable[Tuple[str, Any]], None]
_Message = Union[str, bytes]


class Response:
    """What a TestClient request got."""
    status: int
    reason: str
    headers: List[Tuple[str, str]]
    body: bytes

    def __init__(self, status: int, reason: str, headers: List[Tuple[str, str]],
                 body: bytes = b"") -> None: ...
    @property
    def text(self) -> str: ...
    def json(self) -> Any: ...
    def header(self, name: str, default: Optional[str] = None) -> Optional[str]: ...
    def header_list(self, name: str) -> List[str]: ...


class Event:
    """One Server-Sent Event as the client parsed it."""
    event: str
    data: str
    id: Optional[str]
    retry: Optional[int]

    def __init__(self, event: str, data: str, id: Optional[str],
                 retry: Optional[int]) -> None: ...


class SSEStream:
    """An open event stream."""
    conn: Any
    status: int
    headers: List[Tuple[str, str]]
    last_event_id: Optional[str]

    def __init__(self, conn: Any, status: int, headers: List[Tuple[str, str]]) -> None: ...
    def __aiter__(self) -> "SSEStream": ...
    async def __anext__(self) -> Event: ...
    async def next(self) -> Optional[Event]: ...
    async def close(self) -> None: ...


class WebSocketClosed(Exception):
    """The test client's WebSocket session is over."""
    code: int
    reason: str

    def __init__(self, code: int, reason: str = "") -> None: ...


class WebSocketSession:
    """The client side of a WebSocket."""
    conn: Any
    headers: List[Tuple[str, str]]
    subprotocol: Optional[str]
    proto: Any
    close_code: Optional[int]
    close_reason: str

    def __init__(self, conn: Any, headers: List[Tuple[str, str]]) -> None: ...
    async def send(self, message: _Message) -> None: ...
    async def receive(self) -> _Message: ...
    async def ping(self, data: bytes = b"ping") -> bytes: ...
    async def close(self, code: int = 1000, reason: str = "") -> None: ...


class HandshakeFailed(Exception):
    """websocket() got an answer other than 101: `response`."""
    response: Response

    def __init__(self, response: Response) -> None: ...


class TestClient:
    """Drives an ahttp.HTTPServer in-process."""
    app: Any
    headers: List[Tuple[str, Any]]
    cookies: Dict[str, str]
    timeout: float
    peer: Any

    def __init__(self, app: Any, headers: _Headers = None,
                 cookies: Optional[Mapping[str, str]] = None, timeout: float = 10,
                 client: Any = ("127.0.0.1", 50000)) -> None: ...
    async def request(self, method: str, path: str, headers: _Headers = None,
                      body: Union[str, bytes, None] = None, json: Any = None,
                      form: Optional[Mapping[str, Any]] = None,
                      files: Optional[Mapping[str, Sequence[Any]]] = None,
                      query: Optional[Mapping[str, Any]] = None) -> Response: ...
    async def get(self, path: str, **kw: Any) -> Response: ...
    async def head(self, path: str, **kw: Any) -> Response: ...
    async def post(self, path: str, **kw: Any) -> Response: ...
    async def put(self, path: str, **kw: Any) -> Response: ...
    async def patch(self, path: str, **kw: Any) -> Response: ...
    async def delete(self, path: str, **kw: Any) -> Response: ...
    async def options(self, path: str, **kw: Any) -> Response: ...
    async def sse(self, path: str, headers: _Headers = None,
                  last_event_id: Any = None) -> SSEStream: ...
    async def websocket(self, path: str, headers: _Headers = None,
                        subprotocols: Optional[Sequence[str]] = None) -> WebSocketSession: ...


def urlencode(fields: Union[Mapping[str, Any], Iterable[Tuple[str, Any]]]) -> str: ...
def encode_multipart(fields: Union[Mapping[str, Any], Iterable[Tuple[str, Any]]],
                     files: Mapping[str, Sequence[Any]],
                     boundary: str = "ahttp-test-boundary-7d1f") -> Tuple[bytes, str]: ...
