"""A static web site: the files of a directory, as a browser expects them.
Runs under micropython and python3.

    micropython examples/static_site.py   # then open http://127.0.0.1:8080/

One mount, `app.static("/", SITE, max_age=...)`, and what it does:

- `/` and a folder's URL ending in `/` serve its index.html; a folder's
  URL without the slash redirects (301) to the one with it
- Content-Type from the file's extension (.html, .css, .js, .svg, ...)
- style.css.gz is sent in place of style.css (Content-Encoding: gzip) to a
  client that accepts gzip: compress big text files once on the PC
  (`gzip -9 -k -n style.css`), the board sends the smaller file as it is
- ETag and Last-Modified: a browser asking again with If-None-Match or
  If-Modified-Since gets 304 and no body; Cache-Control: max-age=N lets it
  not ask at all for N seconds
- a Range request gets 206 with that part (416 for a range past the end)
- HEAD gets the headers alone; a path with `..` or `%2e%2e` in it, or a
  hidden file (.name), gets 404, and one with a NUL 400: nothing outside
  the directory is ever sent

A file goes out in 1 KB pieces through the connection's buffer: a board
never holds a whole file in RAM, whatever its size.

Env: AHTTP_HOST, AHTTP_PORT (default 127.0.0.1:8080), SITE_DIR (default:
site_www beside this file), SITE_MAX_AGE (seconds, default 600). A board
has no environment: there it listens on every interface, port 8080.
"""
import os
import sys

try:
    from ahttp import HTTPServer
except ImportError:   # run from a checkout: the package is one level up
    sys.path.insert(0, (__file__.rsplit("/", 1)[0] if "/" in __file__ else ".") + "/..")
    from ahttp import HTTPServer

getenv = getattr(os, "getenv", None) or {}.get    # a board's os has no getenv

SITE = getenv("SITE_DIR") or (__file__.rsplit("/", 1)[0] if "/" in __file__ else ".") + "/site_www"

app = HTTPServer()
app.static("/", SITE, max_age=int(getenv("SITE_MAX_AGE") or 600))

# a PC: this machine only (AHTTP_HOST changes it); a board (its os has no
# getenv): every interface, as it is reached at its Wi-Fi address
host = getenv("AHTTP_HOST") or ("127.0.0.1" if hasattr(os, "getenv") else "0.0.0.0")
port = int(getenv("AHTTP_PORT") or 8080)
print("static site on http://%s:%d/ from %s" % (host, port, SITE))
app.run(host, port)
