from typing import Any, List, Optional, Sequence, Tuple, Union

from .request import Request
from .response import HTTPResponse

_Names = Union[str, Sequence[str], None]


class CORS:
    """CORS headers on every response of `app` (an after_request hook)."""
    origins: Union[str, Sequence[str]]
    credentials: bool
    methods: Optional[str]
    allow_headers: Optional[str]
    expose: Optional[str]
    max_age: Optional[int]

    def __init__(self, app: Any = None, origins: Union[str, Sequence[str]] = "*",
                 credentials: bool = False, methods: _Names = None, headers: _Names = None,
                 expose: _Names = None, max_age: Optional[int] = None) -> None: ...
    def allowed(self, origin: Optional[str]) -> bool: ...
    def headers(self, request: Request, allow: Optional[str] = None) -> List[Tuple[str, str]]: ...
    def after(self, request: Request, response: HTTPResponse) -> None: ...
