from typing import Any, Callable, Dict, Iterable, Optional, TypeVar, Union

from . import HTTPError
from .request import Request

_F = TypeVar("_F", bound=Callable[..., Any])


def equal(a: Union[str, bytes], b: Union[str, bytes]) -> bool: ...


class _Auth:
    scheme: str
    realm: str

    def challenge(self, error: Optional[str] = None) -> str: ...
    def unauthorized(self, error: Optional[str] = None) -> HTTPError: ...
    def credentials(self, request: Request) -> Optional[str]: ...
    def check(self, request: Request) -> Any: ...
    def required(self, handler: _F) -> _F: ...
    def require(self, allow: Optional[Callable[[Any, Request], Any]]) -> Callable[[_F], _F]: ...


class BasicAuth(_Auth):
    """HTTP Basic: `users` ({name: password}) or `check(name, password)`."""
    users: Optional[Dict[str, str]]

    def __init__(self, users: Optional[Dict[str, str]] = None,
                 check: Optional[Callable[[str, str], Any]] = None,
                 realm: str = "ahttp") -> None: ...
    def user(self, request: Request) -> Optional[str]: ...


class BearerAuth(_Auth):
    """Bearer tokens: `tokens` ({token: identity} or a list) or `verify(token)`."""
    tokens: Optional[Dict[str, Any]]

    def __init__(self, tokens: Union[Dict[str, Any], Iterable[str], None] = None,
                 verify: Optional[Callable[[str], Any]] = None,
                 realm: str = "api") -> None: ...
    def user(self, request: Request) -> Any: ...
