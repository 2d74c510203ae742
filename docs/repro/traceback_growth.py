# Every raise of one exception instance appends the frames it unwinds to
# that instance's traceback, which is never reset: a preallocated exception
# raised again and again holds more heap each time.
#   micropython docs/repro/traceback_growth.py
#   -> "kept 96032 bytes" (64-bit unix port), then "kept 0 bytes" with
#      E.__traceback__ = None before each raise (as asyncio does for its
#      StopIteration)
import gc

E = MemoryError("preallocated")


def a(clear):
    if clear:
        E.__traceback__ = None
    raise E


def b(clear):
    a(clear)


def c(clear):
    b(clear)


for clear in (False, True):
    gc.collect()
    m0 = gc.mem_alloc()
    for i in range(1000):
        try:
            c(clear)
        except MemoryError:
            pass
    gc.collect()
    print("kept %d bytes" % (gc.mem_alloc() - m0), "(cleared)" if clear else "")
