"""Request: what a handler learns about one HTTP request.

Built from a parsed head by either driver. The body helpers (`read`,
`json`, `form`) are coroutines here; the sync driver's subclass makes them
plain calls. No socket I/O here: the body comes through the driver's reader.
"""
import json

from ._http import HTTPError
from ._compat import cold, load, const

# Arrays and objects nested deeper than this in a JSON body are a 400.
_JSON_DEPTH = const(64)


class Request:
    # Defaults on the class: an instance only stores what a request sets.
    params = {}
    _body = None

    def __init__(self, app, method, target, version, headers, reader=None, client=None):
        self.app = app
        self.method = method
        self.version = "1.1" if version == "HTTP/1.1" else "1.0"
        self.headers = headers
        if client is not None:
            self.client = client
        self._reader = reader
        self.target = target
        i = target.find("?")
        path = target if i < 0 else target[:i]
        if path[:1] != "/":
            origin_path = load("_request_cold").origin_path
            path = origin_path(method, path)
        if "%" in path:
            unquote = load("_query").unquote
            path = unquote(path)
            if "\x00" in path:
                raise HTTPError(400, "NUL in path")
        self.path = path

    def __getattr__(self, name):
        # query_string, args, cookies, client, content_length, content_type
        # are computed on first use (ahttp._request_cold) and then stored:
        # most requests on a board never look at them. (So is the method
        # keep_alive(): the drivers ask _response.verdict themselves.)
        return cold(self, "_request_cold", name)

    async def read(self):
        """The whole body as bytes (bounded by the server's max_body)."""
        if self._body is None:
            body = self._reader.body if self._reader is not None else None
            self._body = await body.read_all() if body is not None else b""
        return self._body

    async def json(self):
        return decode_json(await self.read())

    async def form(self):
        return decode_form(self, await self.read())

    def __repr__(self):
        return "<Request %s %s>" % (self.method, self.target)


def decode_json(body):
    # Nesting is bounded (_JSON_DEPTH): a body with fewer brackets than
    # that cannot pass it, counted in C; others are measured first.
    if body.count(b"[") + body.count(b"{") > _JSON_DEPTH:
        load("_request_cold").decode_json(body, _JSON_DEPTH)
    try:
        return json.loads(body)
    except (ValueError, UnicodeError):
        raise HTTPError(400, "invalid JSON body")
    except RuntimeError:    # RecursionError: nested too deep for this stack
        raise HTTPError(400, "JSON nested too deep")


def decode_form(request, body):
    ct = request.content_type or ""
    if not ct.lower().startswith("application/x-www-form-urlencoded"):
        raise HTTPError(415, "expected application/x-www-form-urlencoded")
    parse_qs = load("_query").parse_qs
    try:
        return parse_qs(body.decode())
    except UnicodeError:
        raise HTTPError(400, "form body is not UTF-8")
