"""Chunked request bodies (RFC 9112 section 7.1), decoded sans-IO.

Loaded only when a client sends a chunked body. No I/O here.
"""
from ._compat import const
from ._http import HTTPError

_MAX_CHUNK_LINE = const(256)
_MAX_TRAILERS = const(4096)


class ChunkedDecoder:
    """Decodes a chunked request body fed in pieces of any size.

    `feed(data)` returns a list of body pieces; when the last chunk and the
    trailers have been seen, `done` is True and `rest` holds the bytes that
    followed (the next pipelined request). Trailers are read and dropped.
    """

    def __init__(self, max_body):
        self.max_body = max_body
        self.total = 0
        self.left = 0        # bytes of chunk data still expected
        self.state = 0       # 0 size line, 1 data, 2 CRLF after data, 3 trailers
        self.line = b""
        self.trailer = 0
        self.done = False
        self.rest = b""

    def feed(self, data):
        out = []
        pos = 0
        n = len(data)
        while pos < n and not self.done:
            st = self.state
            if st == 1:
                take = min(self.left, n - pos)
                out.append(data[pos:pos + take])
                pos += take
                self.left -= take
                if self.left == 0:
                    self.state = 2
                continue
            i = data.find(b"\n", pos)
            if i < 0:
                self.line += data[pos:]
                pos = n
                if len(self.line) > _MAX_CHUNK_LINE:
                    raise HTTPError(400, "chunk line too long")
                continue
            line = self.line + data[pos:i + 1]
            self.line = b""
            pos = i + 1
            if len(line) > _MAX_CHUNK_LINE:
                raise HTTPError(400, "chunk line too long")
            if line[-2:] != b"\r\n" or b"\r" in line[:-2]:
                raise HTTPError(400, "bad line ending in chunked body")
            line = line[:-2]
            if st == 0:
                self._size(line)
            elif st == 2:
                if line:
                    raise HTTPError(400, "chunk data longer than its size")
                self.state = 0
            else:
                if not line:
                    self.done = True
                    self.rest = data[pos:]
                    break
                self.trailer += len(line)
                if self.trailer > _MAX_TRAILERS:
                    raise HTTPError(431, "trailer section too large")
                if line.find(b":") <= 0:
                    raise HTTPError(400, "malformed trailer field")
        return out

    def _size(self, line):
        i = line.find(b";")
        if i >= 0:
            line = line[:i]
        line = line.rstrip(b" \t")
        if not line or len(line) > 8:
            raise HTTPError(400, "bad chunk size")
        for c in line:
            if not (48 <= c <= 57 or 65 <= c <= 70 or 97 <= c <= 102):
                raise HTTPError(400, "bad chunk size")
        size = int(line, 16)
        self.total += size
        if self.total > self.max_body:
            raise HTTPError(413, "request body too large")
        if size == 0:
            self.state = 3
        else:
            self.left = size
            self.state = 1


_end = 1    # imported completely (see _compat.load)
