"""HTTP Basic and Bearer authentication: check a request, answer 401 with
`WWW-Authenticate` or 403.

One job: decide who a request is from. Checks are plain functions (no
I/O, no asyncio), so the same helpers serve the async and the sync driver;
the decorators wrap a handler with a plain function that returns whatever
the handler returns (a coroutine under the async server). Secrets are
compared in constant time (equal()).

    from ahttp.auth import BasicAuth
    basic = BasicAuth({"admin": "s3cret"}, realm="settings")

    @app.route("GET", "/admin")
    @basic.required                  # 401 unless the credentials match
    async def admin(reader, writer, request):
        return "hello " + request.user
"""
import binascii
import hashlib

from ._http import HTTPError


def equal(a, b):
    """Constant-time comparison of two str/bytes: neither the position of
    the first difference nor the lengths show in the time taken (both are
    hashed first, then compared whole)."""
    if isinstance(a, str):
        a = a.encode()
    if isinstance(b, str):
        b = b.encode()
    a = hashlib.sha256(a).digest()
    b = hashlib.sha256(b).digest()
    r = 0
    for i in range(32):
        r |= a[i] ^ b[i]
    return r == 0


def _quote(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


class _Auth:
    scheme = ""

    def challenge(self, error=None):
        v = self.scheme + " realm=" + _quote(self.realm)
        if error:
            v += ", error=" + _quote(error)
        return v

    def unauthorized(self, error=None):
        return HTTPError(401, "Unauthorized",
                         [("WWW-Authenticate", self.challenge(error))])

    def credentials(self, request):
        """The part of the Authorization header after our scheme, or None."""
        h = request.headers.get("authorization")
        if not h:
            return None
        i = h.find(" ")
        if i < 0 or h[:i].lower() != self.scheme.lower():
            return None
        return h[i + 1:].strip()

    def check(self, request):
        """The identity the request authenticates as; raises HTTPError 401
        (with the challenge) when it does not. Sets `request.user`."""
        user = self.user(request)
        if user is None:
            raise self.unauthorized(self._error(request))
        request.user = user
        return user

    def _error(self, request):
        return None

    def required(self, handler):
        """Decorator: 401 unless the request authenticates."""
        return self.require(None)(handler)

    def require(self, allow):
        """Decorator factory: 401 unless the request authenticates, then 403
        unless `allow(user, request)` is true (None: any user)."""
        def deco(handler):
            def wrapper(reader, writer, request):
                user = self.check(request)
                if allow is not None and not allow(user, request):
                    raise HTTPError(403, "Forbidden")
                return handler(reader, writer, request)
            try:
                wrapper.__name__ = handler.__name__   # for url_for (CPython)
            except (AttributeError, TypeError):
                pass
            return wrapper
        return deco


class BasicAuth(_Auth):
    """HTTP Basic (RFC 7617). Give `users` ({name: password}) or
    `check(name, password) -> bool`. Use it over TLS: the password travels
    in every request."""
    scheme = "Basic"

    def __init__(self, users=None, check=None, realm="ahttp"):
        if users is None and check is None:
            raise ValueError("BasicAuth needs users or check")
        self.users = users
        self._check = check
        self.realm = realm

    def challenge(self, error=None):
        return _Auth.challenge(self) + ', charset="UTF-8"'

    def user(self, request):
        """The user name the request authenticates as, or None."""
        c = self.credentials(request)
        if not c:
            return None
        try:
            pair = binascii.a2b_base64(c).decode()
        except (ValueError, UnicodeError):
            return None
        i = pair.find(":")
        if i < 0:
            return None
        name, password = pair[:i], pair[i + 1:]
        if self._check is not None:
            return name if self._check(name, password) else None
        expected = self.users.get(name)
        # compare against something even for an unknown name: same time
        ok = equal(password, expected if expected is not None else "\x00" + password)
        return name if ok and expected is not None else None


class BearerAuth(_Auth):
    """Bearer tokens (RFC 6750). Give `tokens` ({token: identity} or a list
    of tokens) or `verify(token) -> identity or None`."""
    scheme = "Bearer"

    def __init__(self, tokens=None, verify=None, realm="api"):
        if tokens is None and verify is None:
            raise ValueError("BearerAuth needs tokens or verify")
        if tokens is not None and not isinstance(tokens, dict):
            tokens = dict((t, t) for t in tokens)
        self.tokens = tokens
        self._verify = verify
        self.realm = realm

    def user(self, request):
        token = self.credentials(request)
        if not token:
            return None
        if self._verify is not None:
            return self._verify(token)
        found = None
        for t, ident in self.tokens.items():   # no early exit: same time
            if equal(token, t):
                found = ident
        return found

    def _error(self, request):
        return "invalid_token" if self.credentials(request) else None
