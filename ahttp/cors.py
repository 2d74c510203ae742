"""CORS: the Access-Control-* headers for cross-origin requests, and an
answer to every preflight.

One job: decide CORS headers from a request (sans-IO, so both drivers use
it). `CORS(app, ...)` installs itself as an after_request hook: every
response (returned values, streamed responses, error pages, the automatic
OPTIONS answer) gets the headers it needs. Never does I/O.

    from ahttp.cors import CORS
    CORS(app, origins=["https://ui.example"], credentials=True, max_age=600)
"""

_SIMPLE_METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"


def _csv(value):
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return ", ".join(value)


class CORS:
    """Options (all keyword):

    - `origins`: "*" (any), or a list of exact origins ("https://a.example:8443").
    - `credentials`: send `Access-Control-Allow-Credentials: true` (cookies,
      HTTP auth). With "*" the request's Origin is echoed, as browsers
      refuse "*" with credentials.
    - `methods`: allowed methods for preflights (list or "A, B"); default:
      the methods the route has (the automatic OPTIONS `Allow`).
    - `headers`: request headers a preflight may ask for (list), "*" to
      allow whatever is asked; default none beyond the CORS-safelisted.
    - `expose`: response headers scripts may read (list).
    - `max_age`: seconds a browser may cache a preflight answer.
    """

    def __init__(self, app=None, origins="*", credentials=False, methods=None,
                 headers=None, expose=None, max_age=None):
        if isinstance(origins, str) and origins != "*":
            origins = [origins]
        self.origins = origins
        self.credentials = credentials
        self.methods = _csv(methods)
        self.allow_headers = headers if headers == "*" else _csv(headers)
        self.expose = _csv(expose)
        self.max_age = max_age
        if app is not None:
            app.after_request(self.after)

    def allowed(self, origin):
        return origin is not None and (self.origins == "*" or origin in self.origins)

    def headers(self, request, allow=None):
        """The CORS headers for `request` as (name, value) pairs (empty when
        it has no allowed Origin). `allow`: the route's methods, used for a
        preflight when `methods` was not set."""
        h = request.headers
        origin = h.get("origin")
        out = []
        if self.origins != "*" or self.credentials:
            out.append(("Vary", "Origin"))
        if not self.allowed(origin):
            return out
        if self.origins == "*" and not self.credentials:
            out.append(("Access-Control-Allow-Origin", "*"))
        else:
            out.append(("Access-Control-Allow-Origin", origin))
        if self.credentials:
            out.append(("Access-Control-Allow-Credentials", "true"))
        want = h.get("access-control-request-method")
        if request.method == "OPTIONS" and want is not None:
            methods = self.methods or allow or _SIMPLE_METHODS
            if want.upper() not in [m.strip().upper() for m in methods.split(",")]:
                return [p for p in out if p[0] == "Vary"]   # refused
            out.append(("Access-Control-Allow-Methods", methods))
            asked = h.get("access-control-request-headers")
            if asked:
                if self.allow_headers == "*":
                    out.append(("Access-Control-Allow-Headers", asked))
                elif self.allow_headers:
                    out.append(("Access-Control-Allow-Headers", self.allow_headers))
            if self.max_age is not None:
                out.append(("Access-Control-Max-Age", str(int(self.max_age))))
        elif self.expose:
            out.append(("Access-Control-Expose-Headers", self.expose))
        return out

    def after(self, request, response):
        """after_request hook: add the headers to `response`."""
        allow = None
        if request.method == "OPTIONS":
            for k, v in response.headers:
                if k.lower() == "allow":
                    allow = v
        for name, value in self.headers(request, allow):
            if name == "Vary":
                _add_vary(response, value)
            else:
                response.set_header(name, value)


def _add_vary(response, value):
    hs = response.headers
    for i in range(len(hs)):
        k, v = hs[i]
        if k.lower() == "vary":
            if value.lower() not in [x.strip().lower() for x in v.split(",")]:
                hs[i] = (k, v + ", " + value)
            return
    hs.append(("Vary", value))
