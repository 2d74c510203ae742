"""Run a test app on MicroPython v1.20: `micropython-1.20 mp120_launch.py
APP ARGS` runs APP with ARGS, as __main__.

The test apps `import asyncio` first, by the name asyncio has from 1.21
on; on 1.20 the package is `uasyncio`, and an app there writes `import
uasyncio as asyncio`, or imports asyncio after creating its HTTPServer,
which registers uasyncio as `asyncio` (docs/install.md). This registers
it up front, through the server's own module (ahttp._aio), then runs the app
unchanged.
"""
import sys

import ahttp._aio     # noqa: F401 (registers uasyncio as asyncio)

app = sys.argv[1]
with open(app) as f:
    source = f.read()
sys.argv[:] = [app] + sys.argv[2:]
exec(source, {"__name__": "__main__", "__file__": app})
