"""Run an app as on MicroPython 1.20 and older, where the asyncio package
is importable only as `uasyncio`: `micropython uasyncio_launch.py APP ARGS`
runs APP with ARGS, as __main__.

The frozen asyncio is loaded whole first (every submodule and every name it
loads lazily, so nothing is imported under its own name later); then its
modules move to `uasyncio...` in sys.modules and `.frozen` leaves sys.path,
so that `import asyncio` raises ImportError, as it does there.
"""
import sys
import asyncio

for name in ("start_server", "open_connection", "StreamReader", "StreamWriter",
             "Event", "Lock", "ThreadSafeFlag", "wait_for", "wait_for_ms", "gather"):
    getattr(asyncio, name)
for name in list(sys.modules):
    if name == "asyncio" or name.startswith("asyncio."):
        sys.modules["u" + name] = sys.modules.pop(name)
del asyncio
sys.path[:] = [p for p in sys.path if p != ".frozen"]
try:
    import asyncio
except ImportError:
    pass
else:
    raise SystemExit("uasyncio_launch: asyncio is still importable")
app = sys.argv[1]
with open(app) as f:
    source = f.read()
sys.argv[:] = [app] + sys.argv[2:]
exec(source, {"__name__": "__main__", "__file__": app})
