"""CPython's stand-ins for MicroPython's const, ticks_* and
sys.print_exception (see _compat, which imports this on CPython only)."""
import sys
import time


def const(x):
    return x


def ticks_ms():
    # (integer nanoseconds: cheaper than a float's int())
    return time.monotonic_ns() // 1000000


def ticks_diff(a, b):
    return a - b


def ticks_add(a, b):
    return a + b


def print_exception(exc, file=sys.stderr):
    import traceback
    traceback.print_exception(type(exc), exc, exc.__traceback__, file=file)
