"""Run the sync twin of a test app: `sync_launch.py tests/apps/X.py ARGS`
runs tests/apps/X_sync.py with ARGS, as __main__, under whichever
interpreter runs this (CPython or MicroPython). The harness uses it for the
sync-cpython / sync-micropython runtimes."""
import sys

app = sys.argv[1]
twin = app[:-3] + "_sync.py" if app.endswith(".py") else app + "_sync"
try:
    f = open(twin)
except OSError:
    raise SystemExit("no sync twin for %s (expected %s)" % (app, twin))
with f:
    source = f.read()
sys.argv[:] = [twin] + sys.argv[2:]
exec(source, {"__name__": "__main__", "__file__": twin})
