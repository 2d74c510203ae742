# Type stubs for editors and type checkers; the package itself is untyped
# MicroPython-compatible code. docs/api.md is the reference.
from typing import Iterable, List, NoReturn, Optional, Tuple

from .request import Request as Request
from .response import HTTPResponse as HTTPResponse
from .response import redirect as redirect
from .response import sendfile as sendfile
from .server import HTTPServer as HTTPServer

__version__: str
__all__: Tuple[str, ...]


class HTTPError(Exception):
    """Raise it in a handler (or a hook) to answer with `status`: the
    message becomes the plain-text body, `headers` go with it."""
    status: int
    message: str
    headers: Optional[List[Tuple[str, str]]]

    def __init__(self, status: int, message: Optional[str] = None,
                 headers: Optional[Iterable[Tuple[str, str]]] = None) -> None: ...


def abort(status: int, message: Optional[str] = None) -> NoReturn:
    """Raise HTTPError(status, message): the request is answered with it."""
    ...
