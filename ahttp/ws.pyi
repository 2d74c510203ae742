from typing import Any, Awaitable, Callable, Iterable, Optional, Sequence, Tuple, Union

from ._ws import ConnectionClosed as ConnectionClosed
from .request import Request

_Message = Union[str, bytes]
_Origins = Union[Sequence[str], Callable[[Optional[str]], bool], None]


class WebSocket:
    """One server-side WebSocket: `ws = await WebSocket.accept(reader,
    writer, request)`."""
    reader: Any
    writer: Any
    request: Request
    subprotocol: Optional[str]
    close_timeout: float
    close_code: Optional[int]
    close_reason: str

    def __init__(self, reader: Any, writer: Any, request: Request, protocol: Any,
                 subprotocol: Optional[str] = None, close_timeout: float = 5.0) -> None: ...
    @classmethod
    async def accept(cls, reader: Any, writer: Any, request: Request,
                     subprotocols: Optional[Sequence[str]] = None, origins: _Origins = None,
                     max_message_size: Optional[int] = 65536,
                     max_frame_size: Optional[int] = None,
                     ping_interval: Optional[float] = None,
                     ping_timeout: Optional[float] = None, close_timeout: float = 5.0,
                     headers: Optional[Iterable[Tuple[str, str]]] = None) -> "WebSocket": ...
    @property
    def closed(self) -> bool: ...
    def __aiter__(self) -> "WebSocket": ...
    def __anext__(self) -> Awaitable[_Message]: ...
    def receive(self) -> Awaitable[_Message]: ...
    async def receive_piece(self, size: int = 1024) -> Tuple[_Message, bool]: ...
    async def send(self, message: _Message) -> None: ...
    async def send_piece(self, piece: _Message, last: bool = False) -> None: ...
    async def ping(self, data: bytes = b"") -> None: ...
    async def close(self, code: int = 1000, reason: str = "") -> None: ...
