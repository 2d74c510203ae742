# The blocking variant: the async server's names with plain calls.
from typing import (Any, Callable, Dict, Iterable, Iterator, Mapping, Optional,
                    Sequence, Tuple, Type, TypeVar, Union)

from . import HTTPError as HTTPError
from ._app import AppCore
from ._response import BaseResponse
from ._broadcast import BroadcastCore, Subscription
from ._broadcast import Full as Full
from ._broadcast import Lagged as Lagged
from ._sse import SSEError as SSEError
from ._ws import ConnectionClosed as ConnectionClosed

_F = TypeVar("_F", bound=Callable[..., Any])
_Head = Tuple[str, str, str, Dict[str, str]]
_Headers = Union[Mapping[str, Any], Iterable[Tuple[str, Any]], None]
_Client = Union[Tuple[str, int], Any]
_Id = Union[int, str, bytes, None]
_Message = Union[str, bytes]
_Origins = Union[Sequence[str], Callable[[Optional[str]], bool], None]

__all__: Tuple[str, ...]


class Request:
    """ahttp.Request itself (one class for both servers), typed as the
    blocking server's: read(), json() and form() are plain calls here."""
    app: Any
    method: str
    target: str
    path: str
    version: str
    headers: Dict[str, str]
    params: Dict[str, Any]
    query_string: str
    args: Dict[str, str]
    client: Optional[_Client]
    cookies: Dict[str, str]
    content_length: Optional[int]
    content_type: Optional[str]
    user: Any
    session: Any

    def __init__(self, app: Any, method: str, target: str, version: str,
                 headers: Dict[str, str], reader: Any = None,
                 client: Optional[_Client] = None) -> None: ...
    def keep_alive(self) -> bool: ...
    def read(self) -> bytes: ...
    def json(self) -> Any: ...
    def form(self) -> Dict[str, str]: ...


class HTTPResponse(BaseResponse):
    """As ahttp.HTTPResponse, with blocking send(), write() and end()."""
    def send(self, writer: Any) -> None: ...
    def write(self, data: Union[bytes, str]) -> None: ...
    def end(self) -> None: ...


def redirect(location: str, status: int = 302) -> HTTPResponse: ...
def response(value: Any) -> HTTPResponse: ...
def sendfile(writer: Any, path: str, offset: int = 0, length: Optional[int] = None,
             chunk: int = 1024) -> None: ...


class Connection:
    """One client connection: the `reader` and the `writer` a handler gets."""
    s: Any
    app: "HTTPServer"
    addr: Any
    request: Optional[Request]
    response: Optional[HTTPResponse]
    written: int
    status: int
    discard: bool
    taken: Any
    closed: bool
    eof: bool
    body: Any
    state: int
    deadline: int
    lingered: int
    busy: bool

    def __init__(self, sock: Any, app: "HTTPServer", addr: Any) -> None: ...
    def read(self, n: int = -1) -> bytes: ...
    def readinto(self, buf: Any) -> int: ...
    def readexactly(self, n: int) -> bytes: ...
    def readline(self) -> bytes: ...
    def readable(self, timeout_ms: int) -> bool: ...
    def write(self, data: Any) -> None: ...
    def drain(self) -> None: ...
    def awrite(self, data: Any) -> None: ...
    def close(self) -> None: ...
    def wait_closed(self) -> None: ...
    def get_extra_info(self, name: str, default: Any = None) -> Any: ...
    def take_over(self, owner: Any = True, room: int = 0) -> None: ...
    # driver bookkeeping
    def next_head(self, limits: Any) -> Optional[_Head]: ...
    def begin(self, request: Request) -> None: ...
    def started(self, response: HTTPResponse) -> None: ...


class HTTPServer(AppCore):
    """The blocking server: the async server's options plus `threads` and
    `thread_stack`."""
    Response: Type[HTTPResponse]
    threads: int
    thread_stack: Optional[int]

    def __init__(self, threads: int = 0, thread_stack: Optional[int] = None, *,
                 debug: bool = False, log: Optional[Callable[[str], Any]] = None,
                 access_log: Union[bool, Callable[[Request, int, int], Any], None] = None,
                 backlog: int = 32, send_chunk: int = 1024,
                 max_request_line: int = 2048, max_header_line: int = 2048,
                 max_headers: int = 32, max_head: int = 4096, max_body: int = 16384,
                 head_timeout: float = 10.0, idle_timeout: float = 20.0,
                 send_timeout: float = 10.0, max_connections: int = 24,
                 read_size: int = 1024, min_free: int = 4096) -> None: ...
    def thread(self, handler: _F) -> _F: ...
    def start(self, host: str = "0.0.0.0", port: int = 80) -> None: ...
    def run(self, host: str = "0.0.0.0", port: int = 80) -> None: ...
    def stop(self) -> None: ...


class EventSource:
    """One event stream; the head goes out in the constructor."""
    reader: Any
    writer: Any
    request: Optional[Request]
    last_event_id: Optional[str]
    heartbeat: Optional[float]
    closed: bool

    def __init__(self, reader: Any, writer: Any, request: Optional[Request] = None,
                 headers: _Headers = None, heartbeat: Optional[float] = None,
                 retry: Optional[int] = None, watch: bool = False) -> None: ...
    def __enter__(self) -> "EventSource": ...
    def __exit__(self, *exc: Any) -> bool: ...
    def send(self, data: Any = None, event: Optional[str] = None, id: _Id = None,
             retry: Optional[int] = None) -> None: ...
    def comment(self, text: Any = "") -> None: ...
    def sleep(self, seconds: float) -> None: ...
    def close(self) -> None: ...


class Broadcaster(BroadcastCore):
    """One producer, many event streams (one thread per stream)."""
    heartbeat_interval: Optional[float]
    watch: bool

    def __init__(self, ring: int = 32, max_subscribers: int = 16,
                 heartbeat: Optional[float] = 15, first_id: int = 1, on_lag: str = "skip",
                 gap_event: Optional[str] = "skipped", retry: Optional[int] = None,
                 watch: bool = False, nodelay: bool = True, detach: bool = False) -> None: ...
    def serve(self, reader: Any, writer: Any, request: Optional[Request] = None,
              headers: _Headers = None, last_event_id: Optional[str] = None) -> None: ...
    def stream(self, es: EventSource, sub: Optional[Subscription] = None) -> None: ...


class WebSocket:
    """One server-side WebSocket, blocking: `ws = WebSocket.accept(reader,
    writer, request)`."""
    reader: Any
    writer: Any
    request: Request
    subprotocol: Optional[str]
    close_timeout: float
    close_code: Optional[int]
    close_reason: str

    def __init__(self, reader: Any, writer: Any, request: Request, protocol: Any,
                 subprotocol: Optional[str] = None, close_timeout: float = 5.0,
                 ping_interval: Optional[float] = None,
                 ping_timeout: Optional[float] = None) -> None: ...
    @classmethod
    def accept(cls, reader: Any, writer: Any, request: Request,
               subprotocols: Optional[Sequence[str]] = None, origins: _Origins = None,
               max_message_size: Optional[int] = 65536, max_frame_size: Optional[int] = None,
               ping_interval: Optional[float] = None, ping_timeout: Optional[float] = None,
               close_timeout: float = 5.0,
               headers: Optional[Iterable[Tuple[str, str]]] = None) -> "WebSocket": ...
    @property
    def closed(self) -> bool: ...
    def __iter__(self) -> Iterator[_Message]: ...
    def __next__(self) -> _Message: ...
    def receive(self) -> _Message: ...
    def receive_piece(self, size: int = 1024) -> Tuple[_Message, bool]: ...
    def send(self, message: _Message) -> None: ...
    def send_piece(self, piece: _Message, last: bool = False) -> None: ...
    def ping(self, data: bytes = b"") -> None: ...
    def close(self, code: int = 1000, reason: str = "") -> None: ...
