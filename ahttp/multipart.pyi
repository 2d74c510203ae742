from typing import Any, Callable, Dict, Optional, Tuple, Union

from .request import Request

PART: int
DATA: int
END: int
DONE: int

_Dest = Union[str, Callable[[str, str, str], Optional[str]], None]


def boundary_of(content_type: Optional[str]) -> str: ...
def safe_filename(filename: str, default: str = "upload") -> str: ...


class Parser:
    """Sans-IO multipart/form-data parser."""
    first: bytes
    delim: bytes
    max_parts: int
    max_header: int
    parts: int
    views: bool

    def __init__(self, boundary: Union[str, bytes], max_parts: int = 16,
                 max_header: int = 1024) -> None: ...
    def feed(self, data: bytes) -> None: ...
    def next_event(self) -> Optional[Tuple[Any, ...]]: ...
    def finished(self) -> bool: ...


class UploadedFile:
    """A file part of a form."""
    name: str
    filename: str
    content_type: str
    path: Optional[str]
    size: int

    def __init__(self, name: str, filename: str, content_type: str,
                 path: Optional[str]) -> None: ...


class Form:
    """`fields` ({name: str}) and `files` ({name: UploadedFile})."""
    fields: Dict[str, str]
    files: Dict[str, UploadedFile]

    def __init__(self) -> None: ...


class FormReader:
    """Builds a Form from body pieces (both drivers)."""
    parser: Parser
    dest: _Dest
    max_field: int
    max_size: int
    max_file: Optional[int]
    form: Form
    total: int

    def __init__(self, boundary: Union[str, bytes], dest: _Dest = None, max_parts: int = 16,
                 max_field: int = 1024, max_size: int = 2097152,
                 max_file: Optional[int] = None, chunk_size: int = 1024) -> None: ...
    def feed(self, data: bytes) -> None: ...
    def abort(self) -> None: ...


async def read_form(request: Request, **options: Any) -> Form: ...
def read_form_sync(request: Any, **options: Any) -> Form: ...
