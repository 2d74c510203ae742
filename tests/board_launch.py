"""Run an example as a board would: `os` without getenv (a board has no
environment) and the server's run/start replaced by a line that says where
it would listen, so the example's whole setup runs and nothing listens.

    micropython tests/board_launch.py examples/hello.py
    micropython tests/board_launch.py --pc examples/hello.py   # getenv kept
"""
import sys

import os as real_os


class BoardOS:
    pass


pc = sys.argv[1] == "--pc"
if pc:
    sys.argv.pop(1)
else:
    board_os = BoardOS()
    for name in dir(real_os):
        if name != "getenv":
            setattr(board_os, name, getattr(real_os, name))
    sys.modules["os"] = board_os

import ahttp.server      # noqa: E402
import ahttp.sync        # noqa: E402


def run(self, host="0.0.0.0", port=80, ssl=None):
    print("WOULD LISTEN", host, port)
    raise SystemExit(0)


async def start(self, host="0.0.0.0", port=80, ssl=None):
    run(self, host, port)


ahttp.server.HTTPServer.run = run
ahttp.server.HTTPServer.start = start
ahttp.sync.HTTPServer.run = run
path = sys.argv[1]
sys.argv[:] = sys.argv[1:]
with open(path) as f:
    code = f.read()
exec(code, {"__name__": "__main__", "__file__": path})
