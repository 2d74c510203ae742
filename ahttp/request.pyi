from typing import Any, Awaitable, Dict, Optional, Tuple, Union

_Client = Union[Tuple[str, int], Any]


class Request:
    """One HTTP request, as a handler gets it (see docs/api.md)."""
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
    # set by the batteries: ahttp.auth (check, required, require) and
    # ahttp.session (Sessions.load)
    user: Any
    session: Any

    def __init__(self, app: Any, method: str, target: str, version: str,
                 headers: Dict[str, str], reader: Any = None,
                 client: Optional[_Client] = None) -> None: ...
    def keep_alive(self) -> bool: ...
    # awaitables on the async server (ahttp.sync's stub types the plain
    # calls of the blocking one)
    def read(self) -> Awaitable[bytes]: ...
    def json(self) -> Awaitable[Any]: ...
    def form(self) -> Awaitable[Dict[str, str]]: ...


def decode_json(body: bytes) -> Any: ...
def decode_form(request: Request, body: bytes) -> Dict[str, str]: ...
