# MicroPython: a poll.register() that runs out of memory leaves an entry
# with no object behind; unregister() (or the next poll()) then
# dereferences it.
import gc, select, socket


def main():
    p = select.poll()
    socks = [socket.socket() for _ in range(8)]
    for s in socks:             # the poll set's tables grown first, so
        p.register(s, 1)        # only the new entry's object is allocated
    for s in socks:
        p.unregister(s)
    hog = []
    failed = None
    i = 0
    try:                        # fill the heap
        while True:
            hog.append(bytearray(8))
    except MemoryError:
        pass
    while i < 8:
        try:
            p.register(socks[i], 1)
        except MemoryError:
            failed = socks[i]
            break
        i += 1
    hog = None
    gc.collect()
    print("register failed:", failed is not None)
    p.unregister(failed)        # segfault here
    print("not reached")


main()
