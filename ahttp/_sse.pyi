# The SSE wire format both drivers share.
from typing import Any, Optional, Union

_Id = Union[int, str, bytes, None]


class SSEError(ValueError):
    """A field that cannot be put on the wire."""


def encode_event(data: Any = None, event: Optional[str] = None, id: _Id = None,
                 retry: Optional[int] = None) -> bytes: ...
def encode_comment(text: Any = "") -> bytes: ...
