from typing import Any, Dict, Iterator, Mapping, Optional


class TemplateError(Exception):
    """A template that does not compile or fails while rendering."""
    name: str
    line: int
    message: str
    error: Optional[BaseException]

    def __init__(self, name: str, line: int, message: str,
                 error: Optional[BaseException] = None) -> None: ...


def escape(value: Any) -> str: ...
def compile_template(source: str, name: str = "<template>") -> str: ...


class Template:
    """A compiled template."""
    name: str
    loader: Optional["Templates"]
    code: Any

    def __init__(self, source: str, name: str = "<template>",
                 loader: Optional["Templates"] = None) -> None: ...
    def generate(self, context: Optional[Mapping[str, Any]] = None,
                 **kw: Any) -> Iterator[str]: ...
    def render_str(self, context: Optional[Mapping[str, Any]] = None, **kw: Any) -> str: ...
    async def render(self, out: Any, context: Optional[Mapping[str, Any]] = None,
                     buffer: int = 512, **kw: Any) -> None: ...
    def render_sync(self, out: Any, context: Optional[Mapping[str, Any]] = None,
                    buffer: int = 512, **kw: Any) -> None: ...


class Templates:
    """Templates in a directory, compiled on first use."""
    directory: str
    cache: Optional[Dict[str, Template]]

    def __init__(self, directory: str = ".", cache: bool = True) -> None: ...
    def get(self, name: str) -> Template: ...
