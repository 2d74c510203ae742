"""Sessions in a signed cookie: a small dict, HMAC-SHA256 signed, with an
expiry time. Nothing is stored on the server.

One job: turn a dict into a cookie value and back, refusing anything not
signed with the secret or past its expiry (a tampered or expired cookie
gives an empty session, never an error). HMAC is built from `hashlib.sha256`
(MicroPython has no `hmac` module). No I/O: both drivers use it.

    from ahttp.session import Sessions
    sessions = Sessions("a long random secret")

    @app.route("POST", "/login")
    async def login(reader, writer, request):
        s = sessions.load(request)
        s["user"] = "admin"
        return "ok", 200, [sessions.header(s)]

The data is signed, not encrypted: the client can read it. Keep it small
(browsers drop cookies over 4096 bytes) and JSON-serialisable.
"""
import binascii
import hashlib
import json
import time

from .auth import equal
from ._compat import load


def hmac_sha256(key, msg):
    """HMAC-SHA256 (RFC 2104) of bytes `msg` under bytes `key`."""
    return _Mac(key).sign(msg)


class _Mac:
    def __init__(self, key):
        if isinstance(key, str):
            key = key.encode()
        if len(key) > 64:
            key = hashlib.sha256(key).digest()
        key = key + bytes(64 - len(key))
        self.ipad = bytes([b ^ 0x36 for b in key])
        self.opad = bytes([b ^ 0x5C for b in key])

    def sign(self, msg):
        h = hashlib.sha256(self.ipad)
        h.update(msg)
        o = hashlib.sha256(self.opad)
        o.update(h.digest())
        return o.digest()


def b64encode(data):
    """URL-safe base64 without padding (cookie-safe)."""
    s = binascii.b2a_base64(data).decode().strip()
    return s.replace("+", "-").replace("/", "_").rstrip("=")


def b64decode(s):
    s = s.replace("-", "+").replace("_", "/")
    return binascii.a2b_base64(s + "=" * (-len(s) % 4))


def _loaded(request):
    # request.session, or None (not getattr(request, "session", None): on
    # MicroPython v1.11 that lets Request.__getattr__'s AttributeError out)
    try:
        return request.session
    except AttributeError:
        return None


class Session:
    """A dict-like session; `modified` tells save() to send the cookie."""

    def __init__(self, data=None, expires=None):
        self.data = data if data is not None else {}
        self.expires = expires
        self.modified = False

    def __getitem__(self, key):
        return self.data[key]

    def __setitem__(self, key, value):
        self.data[key] = value
        self.modified = True

    def __delitem__(self, key):
        del self.data[key]
        self.modified = True

    def __contains__(self, key):
        return key in self.data

    def __len__(self):
        return len(self.data)

    def __iter__(self):
        return iter(self.data)

    def get(self, key, default=None):
        return self.data.get(key, default)

    def pop(self, key, default=None):
        if key in self.data:
            self.modified = True
        return self.data.pop(key, default)

    def update(self, other):
        self.data.update(other)
        self.modified = True

    def clear(self):
        self.data = {}
        self.modified = True

    def __repr__(self):
        return "Session(%r)" % (self.data,)


class Sessions:
    """Signed-cookie sessions. `secret`: str/bytes, at least 16 bytes of
    randomness (changing it logs everybody out). `max_age`: seconds a
    session lives after it was last saved. Cookie attributes: `cookie`
    (name), `path`, `domain`, `http_only`, `same_site` ("Lax", "Strict",
    "None"), `secure` (send only over HTTPS; required by browsers with
    SameSite=None). `clock` returns the time in seconds (default
    time.time; a board without an RTC counts from boot, which is fine: the
    expiry is checked by the same clock that set it)."""

    def __init__(self, secret, cookie="session", max_age=3600, path="/",
                 domain=None, http_only=True, same_site="Lax", secure=False,
                 clock=None):
        if len(secret) < 16:
            raise ValueError("session secret must be at least 16 bytes")
        self._mac = _Mac(secret)
        self.cookie = cookie
        self.max_age = max_age
        self.path = path
        self.domain = domain
        self.http_only = http_only
        self.same_site = same_site
        self.secure = secure
        self.clock = clock or time.time

    # -- sans-IO encoding ---------------------------------------------------

    def dumps(self, data):
        """A cookie value for `data` (a dict), valid for max_age seconds."""
        exp = int(self.clock()) + int(self.max_age)
        body = b64encode(json.dumps(data).encode()) + "." + str(exp)
        value = body + "." + b64encode(self._mac.sign(body.encode()))
        if len(value) > 4000:
            raise ValueError("session too big for a cookie (%d bytes)" % len(value))
        return value

    def loads(self, value):
        """(data, expires) from a cookie value, or None when the value is not
        ours (bad signature, malformed) or has expired."""
        if not value or len(value) > 4096:
            return None
        i = value.rfind(".")
        if i < 0:
            return None
        body = value[:i]
        try:
            sig = b64decode(value[i + 1:])
        except ValueError:
            return None
        if not equal(sig, self._mac.sign(body.encode())):
            return None
        j = body.rfind(".")
        try:
            exp = int(body[j + 1:])
            if exp <= self.clock():
                return None
            data = json.loads(b64decode(body[:j]))
        except (ValueError, UnicodeError):
            return None
        if not isinstance(data, dict):
            return None
        return data, exp

    # -- with requests and responses -----------------------------------------

    def load(self, request):
        """The request's Session (empty when there is none or it is invalid).
        Cached on the request: load it as often as you like."""
        s = _loaded(request)
        if isinstance(s, Session):
            return s
        got = self.loads(request.cookies.get(self.cookie))
        s = Session(*got) if got is not None else Session()
        try:
            request.session = s
        except AttributeError:
            pass
        return s

    def cookie_value(self, session):
        """The Set-Cookie value that stores `session` (or deletes the cookie
        when the session is empty)."""
        cookie_header = load("_cookie").cookie_header
        data = session.data if isinstance(session, Session) else session
        if data:
            value = self.dumps(data)
            max_age = self.max_age
        else:
            value = ""
            max_age = 0
        return cookie_header(self.cookie, value, max_age=max_age, path=self.path,
                             domain=self.domain, secure=self.secure,
                             http_only=self.http_only, same_site=self.same_site)

    def header(self, session):
        """("Set-Cookie", value) for a returned (body, status, headers)."""
        return ("Set-Cookie", self.cookie_value(session))

    def save(self, response, session, always=False):
        """Add the cookie to `response` if the session changed (or always)."""
        if always or getattr(session, "modified", True):
            response.headers.append(self.header(session))
            if isinstance(session, Session):
                session.modified = False

    def install(self, app):
        """Save every modified session loaded during a request, via the
        app's after_request hook (see docs/batteries.md)."""
        def after(request, response):
            s = _loaded(request)
            if isinstance(s, Session) and s.modified:
                self.save(response, s)
        app.after_request(after)
        return self
