"""Raw-socket HTTP/1.x client for tests that httpx cannot express.

Malformed requests, pipelining, Expect: 100-continue and byte-exact framing
checks need a client that sends exactly the bytes given and parses each
response with the framing the server chose (Content-Length, chunked or
close-delimited), so a framing bug shows up as a wrong status or a leftover
byte instead of being repaired by a forgiving client library.
"""
import socket
import time


class Response:
    def __init__(self, version, status, reason, headers, body, raw_head,
                 trailers=None, chunked=False):
        self.version = version
        self.status = status
        self.reason = reason
        self.headers = headers          # list of (name-lower, value) str pairs
        self.body = body
        self.raw_head = raw_head
        self.trailers = trailers or []
        self.chunked = chunked

    def header(self, name, default=None):
        name = name.lower()
        for k, v in self.headers:
            if k == name:
                return v
        return default

    def header_all(self, name):
        name = name.lower()
        return [v for k, v in self.headers if k == name]

    def has(self, name):
        return self.header(name) is not None

    def __repr__(self):
        return "<Response %s %r %r body=%r>" % (
            self.status, self.reason, self.headers, self.body[:200])


class ProtocolError(Exception):
    pass


class RawConnection:
    """One TCP connection; responses are read one at a time, in order."""

    def __init__(self, port, host="127.0.0.1", timeout=10.0):
        self.sock = socket.create_connection((host, port), timeout)
        self.sock.settimeout(timeout)
        self.timeout = timeout
        self.buf = b""
        self.eof = False

    def send(self, data):
        self.sock.sendall(data)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _fill(self):
        if self.eof:
            return False
        try:
            b = self.sock.recv(65536)
        except ConnectionResetError:
            b = b""
        if not b:
            self.eof = True
            return False
        self.buf += b
        return True

    def _read_until(self, marker):
        while marker not in self.buf:
            if not self._fill():
                raise ProtocolError("EOF before %r; have %r" % (marker, self.buf[:300]))
        i = self.buf.index(marker)
        out = self.buf[:i]
        self.buf = self.buf[i + len(marker):]
        return out

    def _read_exact(self, n):
        while len(self.buf) < n:
            if not self._fill():
                raise ProtocolError("EOF after %d of %d body bytes" % (len(self.buf), n))
        out = self.buf[:n]
        self.buf = self.buf[n:]
        return out

    def read_head(self):
        """Read one response head; returns (version, status, reason, headers, raw)."""
        raw = self._read_until(b"\r\n\r\n")
        lines = raw.split(b"\r\n")
        parts = lines[0].split(b" ", 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/"):
            raise ProtocolError("bad status line %r" % lines[0])
        version = parts[0].decode()
        status = int(parts[1])
        reason = parts[2].decode("latin-1") if len(parts) > 2 else ""
        headers = []
        for line in lines[1:]:
            if b":" not in line:
                raise ProtocolError("bad header line %r" % line)
            k, v = line.split(b":", 1)
            if k != k.strip() or not k:
                raise ProtocolError("bad header name %r" % line)
            headers.append((k.decode("latin-1").lower(), v.strip().decode("latin-1")))
        return version, status, reason, headers, raw

    def read_response(self, head=False, allow_interim=False):
        """Read the next response. `head=True`: the request was HEAD (no body).
        Interim 1xx responses are returned as themselves when allow_interim."""
        version, status, reason, headers, raw = self.read_head()
        r = Response(version, status, reason, headers, b"", raw)
        if 100 <= status < 200:
            if allow_interim:
                return r
            return self.read_response(head=head)
        if head or status in (204, 304):
            return r
        te = r.header("transfer-encoding")
        cl = r.header("content-length")
        if te is not None:
            if te.lower() != "chunked":
                raise ProtocolError("unexpected transfer-encoding %r" % te)
            if cl is not None:
                raise ProtocolError("response has both Content-Length and chunked")
            r.chunked = True
            body = []
            while True:
                size_line = self._read_until(b"\r\n")
                size = int(size_line.split(b";")[0].strip(), 16)
                if size == 0:
                    break
                body.append(self._read_exact(size))
                if self._read_exact(2) != b"\r\n":
                    raise ProtocolError("chunk not followed by CRLF")
            while True:
                line = self._read_until(b"\r\n")
                if not line:
                    break
                r.trailers.append(line)
            r.body = b"".join(body)
        elif cl is not None:
            if len(r.header_all("content-length")) != 1:
                raise ProtocolError("several Content-Length headers")
            r.body = self._read_exact(int(cl))
        else:
            # close-delimited
            while self._fill():
                pass
            r.body = self.buf
            self.buf = b""
        return r

    def wait_closed(self, timeout=None):
        """True when the server closes the connection within `timeout` seconds
        (any bytes received meanwhile are kept in self.extra)."""
        deadline = time.monotonic() + (timeout or self.timeout)
        self.extra = self.buf
        self.buf = b""
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                b = self.sock.recv(65536)
            except socket.timeout:
                return False
            except ConnectionResetError:
                return True
            except OSError:
                return True
            if not b:
                return True
            self.extra += b
        return False

    def is_open(self, wait=0.3):
        """True if the server has not closed the connection (nothing arrives
        within `wait` seconds and no EOF)."""
        if self.eof:
            return False
        self.sock.settimeout(wait)
        try:
            b = self.sock.recv(1, socket.MSG_PEEK)
        except socket.timeout:
            return True
        except OSError:
            return False
        finally:
            self.sock.settimeout(self.timeout)
        return bool(b)


def request(port, data, head=False, timeout=10.0):
    """Send `data` on a new connection and return the first response."""
    with RawConnection(port, timeout=timeout) as c:
        c.send(data)
        return c.read_response(head=head)


def exchange(port, data, count, heads=None, timeout=10.0, closed_wait=None):
    """Send `data` (possibly several pipelined requests) and read up to `count`
    responses (fewer if the server closes first). Returns (responses, closed):
    with `closed_wait` seconds, `closed` says whether the server closed the
    connection after the responses read (and no stray bytes came);
    without it, `closed` is None."""
    out = []
    with RawConnection(port, timeout=timeout) as c:
        c.send(data)
        for i in range(count):
            try:
                out.append(c.read_response(head=bool(heads and heads[i])))
            except ProtocolError:
                if not c.buf and c.eof:
                    break
                raise
        if closed_wait is None:
            return out, None
        if c.eof and not c.buf:
            return out, True
        return out, c.wait_closed(closed_wait) and c.extra == b""


def get(path, host="x", version="1.1", headers=()):
    lines = ["GET %s HTTP/%s" % (path, version), "Host: %s" % host]
    lines += ["%s: %s" % h for h in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
