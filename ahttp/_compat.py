"""Runtime shims so one source runs on MicroPython and CPython.

Only names whose spelling differs between the runtimes live here; no I/O,
no asyncio.
"""
import sys

try:
    from micropython import const
except ImportError:  # CPython
    def const(x):
        return x

try:
    from time import ticks_ms, ticks_diff, ticks_add
except ImportError:  # CPython
    import time as _time

    def ticks_ms():
        return int(_time.monotonic() * 1000)

    def ticks_diff(a, b):
        return a - b

    def ticks_add(a, b):
        return a + b

MICROPYTHON = sys.implementation.name == "micropython"

if hasattr(sys, "print_exception"):
    print_exception = sys.print_exception
else:
    def print_exception(exc, file=sys.stderr):
        import traceback
        traceback.print_exception(type(exc), exc, exc.__traceback__, file=file)


def format_exception(exc):
    """The traceback of `exc` as text (for debug-mode 500 pages)."""
    try:
        import io
        buf = io.StringIO()
        print_exception(exc, buf)
        return buf.getvalue()
    except Exception:
        return repr(exc)
