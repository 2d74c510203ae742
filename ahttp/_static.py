"""Static files: which file a URL names and how to answer for it.

`plan()` resolves a URL path inside a root directory (never outside it),
picks the .gz variant, answers conditional and range requests, and returns
the status, headers and the byte range to send. The drivers stream the
bytes. Only os.stat here: no socket I/O.
"""
import os

from ._http import HTTPError
from ._compat import const
from ._dates import http_date, parse_http_date

# One string instead of a dict (a dict of 35 entries costs ~3 KB of heap
# on a board): " ext type" entries, searched with find().
_TEXT = "; charset=utf-8"
MIME = (" html text/html* htm text/html* css text/css* js text/javascript*"
        " mjs text/javascript* txt text/plain* csv text/csv* md text/markdown*"
        " json application/json xml application/xml svg image/svg+xml"
        " png image/png jpg image/jpeg jpeg image/jpeg gif image/gif"
        " ico image/x-icon webp image/webp bmp image/bmp woff font/woff"
        " woff2 font/woff2 ttf font/ttf wasm application/wasm"
        " pdf application/pdf zip application/zip gz application/gzip"
        " mp3 audio/mpeg wav audio/wav mp4 video/mp4 webm video/webm"
        " map application/json webmanifest application/manifest+json ")

_DIR = const(0o040000)
_LNK = const(0o120000)
_FMT = const(0o170000)


def _posix_vfs():
    # Symlinks exist only where MicroPython has a POSIX filesystem (the unix
    # port's VfsPosix); a board's FAT or littlefs has none to look for.
    if hasattr(os, "VfsPosix"):
        return True
    try:
        import vfs
    except ImportError:
        return False
    return hasattr(vfs, "VfsPosix")


_LINKS = _posix_vfs()


def guess_type(path):
    """The Content-Type for a file name (text types with charset=utf-8)."""
    i = path.rfind(".")
    if i >= 0 and "/" not in path[i:]:
        k = MIME.find(" " + path[i + 1:].lower() + " ")
        if k >= 0:
            k += len(path) - i + 1
            t = MIME[k:MIME.find(" ", k)]
            return t[:-1] + _TEXT if t[-1] == "*" else t
    return "application/octet-stream"


def _stat(path):
    try:
        return os.stat(path)
    except OSError:
        return None


def safe_join(root, subpath):
    """root + subpath, or None when subpath could leave root or names a
    hidden file. `subpath` is already percent-decoded."""
    if "\x00" in subpath or "\\" in subpath:
        return None
    parts = []
    for seg in subpath.split("/"):
        if not seg:
            continue
        if seg[:1] == "." or ":" in seg:
            return None   # "..", ".", hidden files, drive letters
        parts.append(seg)
    if not parts:
        return root
    return root.rstrip("/") + "/" + "/".join(parts)


def _inside(root, path):
    """Whether `path` really is below `root`, symlinks considered.

    CPython resolves them (realpath) and refuses one that leads outside.
    MicroPython has no realpath, lstat or readlink, so a symlink's target
    cannot be known there: any symlink below the root is refused (ilistdir
    reports its type; a scan of each directory on the way, ~27 us per
    request on the unix port). A board's filesystems have no symlinks: no
    scan there."""
    real = getattr(getattr(os, "path", None), "realpath", None)
    if real is not None:
        r = real(root)
        p = real(path)
        return p == r or p.startswith(r.rstrip("/") + "/")
    ilistdir = getattr(os, "ilistdir", None)
    if ilistdir is None or not _LINKS:
        return True     # (a board: no symlinks, no directory scans per request)
    parent = root.rstrip("/") or "/"
    for seg in path[len(parent):].strip("/").split("/"):
        for entry in ilistdir(parent):
            if entry[0] == seg:
                if entry[1] & _FMT == _LNK:
                    return False
                break
        parent = parent.rstrip("/") + "/" + seg
    return True


def plan(request, root, subpath, index=("index.html",), max_age=None,
         gzip=True):
    """(status, headers, file_path, offset, length) for a static request.

    Raises HTTPError 404 for anything missing or outside root; returns a
    301 to the slash-terminated URL for a directory without its slash.
    `file_path` is None when no body is to be sent.
    """
    path = safe_join(root, subpath)
    if path is None:
        raise HTTPError(404)
    st = _stat(path)
    if st is not None and st[0] & _FMT == _DIR:
        if not request.path.endswith("/"):
            loc = request.path + "/"
            if request.query_string:
                loc += "?" + request.query_string
            return 301, [("Location", loc)], None, 0, 0
        found = None
        for name in index:
            p = path.rstrip("/") + "/" + name
            s = _stat(p)
            if s is not None and s[0] & _FMT != _DIR:
                found = p
                st = s
                break
        if found is None:
            raise HTTPError(404)
        path = found
    elif subpath.endswith("/"):
        raise HTTPError(404)    # a file is not a directory: "file.txt/" names nothing
    ctype = guess_type(path)
    headers = []
    encoding = None
    if gzip:
        gz = _stat(path + ".gz")
        if gz is not None:
            headers.append(("Vary", "Accept-Encoding"))
            if _accepts_gzip(request.headers.get("accept-encoding")):
                encoding = "gzip"
                path = path + ".gz"
                st = gz
            elif st is None:
                raise HTTPError(406, "only a gzip-encoded variant exists")
    if st is None or st[0] & _FMT == _DIR or not _inside(root, path):
        raise HTTPError(404)
    size = st[6]
    mtime = int(st[8])
    etag = '"%x-%x%s"' % (mtime, size, "-gz" if encoding else "")
    headers.append(("ETag", etag))
    headers.append(("Last-Modified", http_date(mtime)))
    headers.append(("Cache-Control", "max-age=%d" % max_age if max_age else "no-cache"))
    headers.append(("Accept-Ranges", "bytes"))
    if encoding:
        headers.append(("Content-Encoding", encoding))
    if request.method not in ("GET", "HEAD"):
        raise HTTPError(405, headers=[("Allow", "GET, HEAD, OPTIONS")])
    if _not_modified(request.headers, etag, mtime):
        return 304, headers, None, 0, 0
    headers.append(("Content-Type", ctype))
    rng = request.headers.get("range")
    if rng is not None:
        if_range = request.headers.get("if-range")
        if if_range is None or if_range == etag or parse_http_date(if_range) == mtime:
            r = _parse_range(rng, size)
            if r == -1:
                headers.append(("Content-Range", "bytes */%d" % size))
                return 416, headers, None, 0, 0
            if r is not None:
                start, end = r
                headers.append(("Content-Range", "bytes %d-%d/%d" % (start, end, size)))
                return 206, headers, path, start, end - start + 1
    return 200, headers, path, 0, size


def respond(request, prefix, opts, response_class):
    """What both drivers' static handlers do per request: (response, path,
    offset, length); send the response, then stream `length` bytes of
    `path` from `offset` when `path` is not None. `opts` is the mount's
    (directory, index, max_age, gzip)."""
    directory, index, max_age, gzip = opts
    p = request.path
    sub = p[len(prefix):] if p.startswith(prefix) else ""
    status, headers, path, offset, length = plan(request, directory, sub, index,
                                                 max_age, gzip)
    resp = response_class(status, None,
                          content_length=length if path is not None else None,
                          body=None if path is not None else b"")
    hs = resp.headers       # plan() made them: no add_header() checks needed
    for h in headers:
        if h[0] == "Content-Type":
            resp.content_type = h[1]
        else:
            hs.append(h)
    if not length:
        path = None
    return resp, path, offset, length


def _accepts_gzip(ae):
    if not ae:
        return False
    for item in ae.split(","):
        item = item.strip().lower()
        name = item.split(";")[0].strip()
        if name in ("gzip", "*"):
            q = item.split("q=")
            if len(q) > 1:
                try:
                    return float(q[1].strip()) > 0
                except ValueError:
                    return False
            return True
    return False


def _not_modified(headers, etag, mtime):
    inm = headers.get("if-none-match")
    if inm is not None:
        for tag in inm.split(","):
            tag = tag.strip()
            if tag.startswith("W/"):
                tag = tag[2:]
            if tag == etag or tag == "*":
                return True
        return False
    ims = headers.get("if-modified-since")
    if ims is not None:
        t = parse_http_date(ims)
        return t is not None and mtime <= t
    return False


def _parse_range(value, size):
    """(start, end) inclusive, None to ignore the header (send it all), or
    -1 when unsatisfiable. Only a single byte range is honoured."""
    if not value.startswith("bytes=") or "," in value:
        return None
    spec = value[6:].strip()
    i = spec.find("-")
    if i < 0:
        return None
    a, b = spec[:i].strip(), spec[i + 1:].strip()
    if a:
        if not a.encode().isdigit() or (b and not b.encode().isdigit()):
            return None
        start = int(a)
        if start >= size:
            return -1
        end = int(b) if b else size - 1
        if end < start:
            return None
        return start, min(end, size - 1)
    if not b.encode().isdigit():
        return None
    n = int(b)
    if n == 0:
        return -1
    if size == 0:
        return -1
    return max(0, size - n), size - 1


_end = 1    # imported completely (see _compat.load)
