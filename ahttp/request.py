"""Request: what a handler learns about one HTTP request.

Built from a parsed head by either driver, and the same class for both
(ahttp.sync.Request is this one). No I/O here: the body helpers (`read`,
`json`, `form`) hand the reading to the app's driver, whose body module
answers them (awaitable on the async server, plain calls on the blocking
one).
"""
from ._http import HTTPError
from ._compat import cold, load


class Request:
    # Defaults on the class: an instance only stores what a request sets.
    params = {}
    _body = None
    version = "1.1"

    def __init__(self, app, method, target, version, headers, reader=None, client=None):
        self.app = app
        self.method = method
        if version != "HTTP/1.1":
            self.version = "1.0"
        self.headers = headers
        if client is not None:
            self.client = client
        self._reader = reader
        self.target = target
        i = target.find("?")
        path = target if i < 0 else target[:i]
        if not path.startswith("/"):    # (a slice would be a new str)
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

    # The body: read by the app's driver (its body module: ahttp._body on
    # the async server, where these return awaitables; ahttp._sync_body on
    # the blocking one, where they are plain calls). Request itself does
    # no I/O, so both drivers share this one class.

    def read(self):
        """The whole body as bytes (bounded by the server's max_body)."""
        return load(self.app.body_module).read(self)

    def json(self):
        """The body decoded as JSON (400 when it is not)."""
        return load(self.app.body_module).read(self, "json")

    def form(self):
        """An urlencoded form body as {name: str} (415, 400)."""
        return load(self.app.body_module).read(self, "form")

    def __repr__(self):
        return "<Request %s %s>" % (self.method, self.target)


def __getattr__(name):
    # decode_json(body), decode_form(request, body): the decoders behind
    # json() and form() (docs/api.md), in ahttp._body with the reads that
    # use them; loaded on first use
    if name == "decode_json" or name == "decode_form":
        return getattr(load("_body"), name)
    raise AttributeError(name)
