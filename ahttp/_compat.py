"""Runtime shims so one source runs on MicroPython and CPython.

Only names whose spelling differs between the runtimes live here; no I/O,
no asyncio.
"""
import sys

# CPython's stand-ins are a module of their own: on a board, every name a
# loaded module mentions is interned, run or not
try:
    from micropython import const
except ImportError:
    from ._cpython import const
try:
    from time import ticks_ms, ticks_diff, ticks_add
except ImportError:
    from ._cpython import ticks_ms, ticks_diff, ticks_add

MICROPYTHON = sys.implementation.name == "micropython"

if MICROPYTHON:
    # On a small heap, collect every 4 KB allocated while the app is set up
    # (imports, routes, buffers): each step's garbage is reused by the next
    # instead of staying as holes between what lives on, so the server
    # starts with its free memory in one piece (figures: README, "Size
    # on a board"). Both servers' start() then set it for serving (_setup.serving:
    # a third of what is free when little is, else off). A threshold the
    # board set itself is left alone, and heaps of 512 KB and more do without.
    import gc
    try:
        if gc.threshold() < 0 and gc.mem_free() + gc.mem_alloc() < 524288:
            gc.threshold(4096)
    except AttributeError:      # a port built without gc.threshold
        pass

if hasattr(sys, "print_exception"):
    print_exception = sys.print_exception
else:
    from ._cpython import print_exception


def format_exception(exc):
    """The traceback of `exc` as text (for debug-mode 500 pages)."""
    try:
        import io
        buf = io.StringIO()
        print_exception(exc, buf)
        return buf.getvalue()
    except Exception:
        return repr(exc)


_loaded = {}     # name -> module, once complete


def load(name):
    """Module ahttp.`name`, imported on first use.

    MicroPython has no import lock: while one thread imports a module,
    another finds it in sys.modules half run and misses names. Modules
    loaded through here end with `_end = 1`; until that is set, wait.
    Complete modules are remembered, so later calls are one dict lookup.
    """
    m = _loaded.get(name)
    if m is not None:
        return m
    m = __import__("ahttp." + name, None, None, ("_",))
    n = 0
    while not hasattr(m, "_end"):      # (v1.11's modules have no __dict__)
        n += 1
        if n > 5000:
            raise ImportError("ahttp.%s never finished importing" % name)
        import time
        time.sleep(0.001)
    _loaded[name] = m
    return m


def unload(name):
    """Forget module ahttp.`name` (see load()), so that its code is freed
    once nothing else refers to it; a later load() imports it again."""
    _loaded.pop(name, None)
    sys.modules.pop("ahttp." + name, None)
    try:
        delattr(sys.modules["ahttp"], name)
    except (AttributeError, KeyError):
        pass


def cold(self, module, name):
    """Attribute `name` of `self` from `module`, which holds the class's
    rarely used code and is imported on first use.

    On a board every resident function costs heap (~400 bytes here), so a
    class keeps its hot methods and answers the rest from `__getattr__`
    through this. `module` is a name in ahttp (see load()); in it,
    `get_NAME(self)` computes an attribute;
    `NAME(self, ...)` is a method.
    """
    if name[:2] == "__":
        raise AttributeError(name)
    mod = load(module)
    f = getattr(mod, "get_" + name, None)
    if f is not None:
        return f(self)
    f = getattr(mod, name, None)
    if f is None:
        raise AttributeError("%s has no attribute %s" % (type(self).__name__, name))
    return lambda *a, **k: f(self, *a, **k)
