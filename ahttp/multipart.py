"""multipart/form-data uploads, streamed: fields into a dict, files to disk
in fixed-size chunks, never a whole part in RAM.

`Parser` is sans-IO (bytes in with feed(), events out of next_event());
`FormReader` turns events into fields and files (plain file writes);
`read_form` (async) and `read_form_sync` (the blocking driver) only pull
the request body through it. Limits on part count, field size and total
size fail with 413 as soon as they are passed, not after buffering.

The server refuses a body over `max_body` (default 16 KB) before the
handler runs: an upload route needs `HTTPServer(max_body=...)` raised.

    from ahttp.multipart import read_form

    @app.route("POST", "/upload")
    async def upload(reader, writer, request):
        form = await read_form(request, dest="/data")
        return {"fields": form.fields, "size": form.files["file"].size}
"""
import gc

from ._http import HTTPError

PART = 1      # (PART, name, filename or None, content_type): headers done
DATA = 2      # (DATA, bytes): more of the current part's body
END = 3       # (END,): the current part is complete
DONE = 4      # (DONE,): the closing boundary; nothing follows

_PREAMBLE = 0
_HEADERS = 1
_BODY = 2
_AFTER = 3     # just after a delimiter: "--" (last) or CRLF (next part)
_FINISHED = 4


def boundary_of(content_type):
    """The boundary of a multipart/form-data Content-Type (str), or raises
    HTTPError 400/415."""
    ct = content_type or ""
    if not ct.lower().startswith("multipart/form-data"):
        raise HTTPError(415, "expected multipart/form-data")
    b = _params(ct).get("boundary")
    if not b or len(b) > 70:
        raise HTTPError(400, "missing or invalid multipart boundary")
    return b


def _params(value):
    """Parameters of a header value: 'x; a=1; b="q;2"' -> {a: 1, b: q;2}
    (names lower-cased, quoted strings unquoted)."""
    out = {}
    i = value.find(";")
    n = len(value)
    while 0 <= i < n:
        i += 1
        j = value.find("=", i)
        if j < 0:
            break
        name = value[i:j].strip().lower()
        j += 1
        while value[j:j + 1] == " ":     # slices, never value[j]: see _http.isdigits
            j += 1
        if value[j:j + 1] == '"':
            k = j + 1
            pieces = []
            while True:
                q = value.find('"', k)
                e = value.find("\\", k)
                if e < 0 or (0 <= q < e):      # no escape before the closing quote
                    q = n if q < 0 else q
                    pieces.append(value[k:q])
                    k = q
                    break
                pieces.append(value[k:e])
                pieces.append(value[e + 1:e + 2])    # the escaped character
                k = e + 2
            out[name] = "".join(pieces)
            i = value.find(";", k)
        else:
            k = value.find(";", j)
            out[name] = (value[j:] if k < 0 else value[j:k]).strip()
            i = k
    return out


class Parser:
    """Sans-IO multipart parser: feed(bytes) then next_event() until it
    returns None (more bytes needed). Raises HTTPError (400 malformed, 413
    over `max_parts` or a part head over `max_header`)."""

    def __init__(self, boundary, max_parts=16, max_header=1024):
        if isinstance(boundary, str):
            boundary = boundary.encode()
        self.first = b"--" + boundary
        self.delim = b"\r\n--" + boundary
        self.max_parts = max_parts
        self.max_header = max_header
        self.parts = 0
        self._buf = b""
        self._pos = 0
        self._state = _PREAMBLE
        # DATA as memoryviews of the buffer, not copies: for a consumer that
        # copies or writes them at once (FormReader), one ~read-size
        # allocation less per piece of the body
        self.views = False
        self._held = None    # body bytes known to be data, handed out first

    def feed(self, data):
        if self._state == _FINISHED:
            return      # the epilogue: dropped
        if self._pos < len(self._buf):
            rest = self._buf[self._pos:]
            d = len(self.delim)
            if (self._state == _BODY and len(rest) < d and len(data) >= d + 2
                    and (rest + data[:d + 2]).find(self.delim) < 0):
                # The bytes kept back from the last piece (in case they
                # began a delimiter) are plain data: hand them out alone
                # and parse `data` where it is, rather than copying both
                # into one new buffer per piece.
                self._held = rest
                self._buf = data
            else:
                self._buf = rest + data
        else:
            self._buf = data
        self._pos = 0

    def next_event(self):
        if self._held is not None:
            held = self._held
            self._held = None
            return (DATA, held)
        buf = self._buf
        pos = self._pos
        st = self._state
        if st == _BODY:
            d = len(self.delim)
            i = buf.find(self.delim, pos)
            while i >= 0:
                # a delimiter is followed by "--" or CRLF; otherwise it is data
                after = buf[i + d:i + d + 2]
                if len(after) < 2:
                    if i == pos:
                        return None
                    break       # hand out the data before it; decide later
                if after == b"--" or after == b"\r\n":
                    break
                i = buf.find(self.delim, i + 1)
            if i == pos:
                self._pos = pos + len(self.delim)
                self._state = _AFTER
                return (END,)
            if i < 0:
                # keep what could be the start of a delimiter
                i = len(buf) - len(self.delim) + 1
                if i <= pos:
                    return None
            self._pos = i
            if self.views:
                return (DATA, memoryview(buf)[pos:i])
            return (DATA, buf[pos:i])
        if st == _AFTER:
            if len(buf) - pos < 2:
                return None
            two = buf[pos:pos + 2]
            if two == b"--":
                self._state = _FINISHED
                self._buf = b""
                self._pos = 0
                return (DONE,)
            if two != b"\r\n":
                raise HTTPError(400, "malformed multipart delimiter")
            self._pos = pos + 2
            self._state = _HEADERS
            return self.next_event()
        if st == _HEADERS:
            i = buf.find(b"\r\n\r\n", pos)
            if i < 0:
                if len(buf) - pos > self.max_header:
                    raise HTTPError(413, "multipart part headers too long")
                return None
            if i - pos > self.max_header:
                raise HTTPError(413, "multipart part headers too long")
            self.parts += 1
            if self.parts > self.max_parts:
                raise HTTPError(413, "too many multipart parts")
            head = buf[pos:i]
            self._pos = i + 4
            self._state = _BODY
            return self._part(head)
        if st == _PREAMBLE:
            # The body starts with the first delimiter (a preamble before it
            # is allowed by RFC 2046 but no browser sends one).
            if buf[pos:pos + len(self.first)] == self.first:
                self._pos = pos + len(self.first)
                self._state = _AFTER
                return self.next_event()
            i = buf.find(self.delim, pos)
            if i >= 0:
                self._pos = i + len(self.delim)
                self._state = _AFTER
                return self.next_event()
            if len(buf) - pos > 1024:
                raise HTTPError(400, "multipart body without a boundary")
            return None
        return None     # _FINISHED: the epilogue is ignored

    def finished(self):
        return self._state == _FINISHED

    def _part(self, head):
        name = filename = None
        ctype = "text/plain"
        try:
            lines = head.decode().split("\r\n")
        except UnicodeError:
            raise HTTPError(400, "multipart headers are not UTF-8")
        for line in lines:
            i = line.find(":")
            if i <= 0:
                raise HTTPError(400, "malformed multipart header")
            key = line[:i].strip().lower()
            value = line[i + 1:].strip()
            if key == "content-disposition":
                if not value.lower().startswith("form-data"):
                    raise HTTPError(400, "multipart part is not form-data")
                p = _params(value)
                name = p.get("name")
                filename = p.get("filename")
            elif key == "content-type":
                ctype = value
        if name is None:
            raise HTTPError(400, "multipart part without a name")
        return (PART, name, filename, ctype)


class UploadedFile:
    """A file part: `name` (the field), `filename` (as the client sent it),
    `content_type`, `size` (bytes), `path` (where it was written, or None
    when it was dropped)."""

    def __init__(self, name, filename, content_type, path):
        self.name = name
        self.filename = filename
        self.content_type = content_type
        self.path = path
        self.size = 0

    def __repr__(self):
        return "<UploadedFile %s %r %d bytes>" % (self.name, self.filename, self.size)


_NAME_OK = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-_"


def safe_filename(filename, default="upload"):
    """`filename` reduced to a safe base name: no directories, only ASCII
    letters, digits, '.', '-', '_' (a space or any other non-ASCII
    character becomes '_', other characters are dropped), no leading dot,
    at most 64 characters."""
    # bytes, not a loop over the str: on MicroPython that would intern
    # every character a client sends (see _http.isdigits)
    src = filename.replace("\\", "/").split("/")[-1].encode()
    out = bytearray()
    for b in src:
        if b in _NAME_OK:
            out.append(b)
        elif b == 32 or b >= 0xC0:      # a space, or a non-ASCII character's first byte
            out.append(95)
    s = out.decode().lstrip(".")[-64:]
    return s or default


class Form:
    """The result: `fields` ({name: str}, the last value of a repeated
    name wins), `files` ({name: UploadedFile})."""

    def __init__(self):
        self.fields = {}
        self.files = {}


class FormReader:
    """Feeds body pieces through a Parser and builds a Form (the part both
    drivers share). File parts go to files in fixed-size writes of
    `chunk_size` bytes from one preallocated buffer.

    `dest`: a directory (files are saved as dest/safe_filename(filename),
    replacing one of the same name), a callable(name, filename,
    content_type) -> path or None, or None (file parts are dropped, only
    their size is counted). Limits: `max_parts`, `max_field` (bytes of
    one non-file field), `max_size` (the whole body), `max_file` (one
    file; None for no limit besides max_size)."""

    def __init__(self, boundary, dest=None, max_parts=16, max_field=1024,
                 max_size=1048576 * 2, max_file=None, chunk_size=1024):
        self.parser = Parser(boundary, max_parts)
        self.parser.views = True
        self.dest = dest
        self.max_field = max_field
        self.max_size = max_size
        self.max_file = max_file
        self.form = Form()
        self.total = 0
        self._buf = bytearray(chunk_size)
        self._mv = memoryview(self._buf)
        self._n = 0
        self._file = None       # open file of the current part
        self._upload = None     # its UploadedFile
        self._field = None      # [name, pieces, size] of a field part
        self._paths = []        # written so far (removed on failure)

    def feed(self, data):
        """Take the next piece of the body (b"" at its end)."""
        if not data:
            if not self.parser.finished():
                raise HTTPError(400, "multipart body ends before its closing boundary")
            return
        self.total += len(data)
        if self.total > self.max_size:
            raise HTTPError(413, "upload larger than %d bytes" % self.max_size)
        p = self.parser
        p.feed(data)
        while True:
            ev = p.next_event()
            if ev is None:
                return
            kind = ev[0]
            if kind == DATA:
                self._data(ev[1])
            elif kind == PART:
                self._start(ev[1], ev[2], ev[3])
            elif kind == END:
                self._end()
            else:
                return

    def _start(self, name, filename, ctype):
        if filename is None:
            self._field = [name, [], 0]
            return
        path = None
        dest = self.dest
        if callable(dest):
            path = dest(name, filename, ctype)
        elif dest is not None:
            path = dest.rstrip("/") + "/" + safe_filename(filename)
        up = self._upload = UploadedFile(name, filename, ctype, path)
        if path is not None:
            self._file = open(path, "wb")
            self._paths.append(path)
        self.form.files[name] = up

    def _data(self, data):
        f = self._field
        if f is not None:
            f[2] += len(data)
            if f[2] > self.max_field:
                raise HTTPError(413, "form field %s longer than %d bytes"
                                % (f[0], self.max_field))
            f[1].append(bytes(data))
            return
        up = self._upload
        up.size += len(data)
        if self.max_file is not None and up.size > self.max_file:
            raise HTTPError(413, "file larger than %d bytes" % self.max_file)
        if self._file is None:
            return
        # copy into the fixed buffer; write it whenever it is full
        buf = self._buf
        size = len(buf)
        mv = self._mv
        src = memoryview(data)
        i = 0
        n = len(data)
        while i < n:
            k = size - self._n
            if k > n - i:
                k = n - i
            mv[self._n:self._n + k] = src[i:i + k]
            self._n += k
            i += k
            if self._n == size:
                self._file.write(buf)
                self._n = 0

    def _end(self):
        f = self._field
        if f is not None:
            try:
                self.form.fields[f[0]] = b"".join(f[1]).decode()
            except UnicodeError:
                raise HTTPError(400, "form field is not UTF-8")
            self._field = None
            return
        if self._file is not None:
            if self._n:
                self._file.write(self._mv[:self._n])
                self._n = 0
            self._file.close()
            self._file = None
        self._upload = None

    def abort(self):
        """After a failure: close and remove the files written so far."""
        if self._file is not None:
            try:
                self._file.close()
            except OSError:
                pass
            self._file = None
        import os
        for path in self._paths:
            try:
                os.remove(path)
            except OSError:
                pass
        self._paths = []


def _reader(request, options):
    body = getattr(request._reader, "body", None) if request._reader is not None else None
    ct = boundary_of(request.content_type)
    # The reader's buffers and the open file live for the whole upload:
    # collect first so they are placed in a compacted heap, not in the
    # holes that the body's pieces need (MicroPython's GC never moves).
    gc.collect()
    return body, FormReader(ct, **options)


async def read_form(request, **options):
    """Read a multipart/form-data request body (async driver) and return a
    Form. Options as FormReader (dest, max_parts, max_field, max_size,
    max_file, chunk_size). Raises HTTPError 400/413/415; on any failure the
    files written so far are removed."""
    body, fr = _reader(request, options)
    try:
        while True:
            piece = await body.chunk() if body is not None else b""
            fr.feed(piece)
            if not piece:
                return fr.form
    except BaseException:
        fr.abort()
        raise


def read_form_sync(request, **options):
    """read_form for the blocking driver (ahttp.sync)."""
    body, fr = _reader(request, options)
    try:
        while True:
            piece = body.chunk() if body is not None else b""
            fr.feed(piece)
            if not piece:
                return fr.form
    except BaseException:
        fr.abort()
        raise
