"""MicroPython only: the accept loop of the asyncio driver.

MicroPython's start_server ends its accept task for good when an
allocation fails in it (the port stays bound and never accepts again), and
loses the accepted socket without closing it (the client hangs). This loop
waits on the listening socket the way asyncio's own does, and on any
failure after accept() closes that one socket and goes on. It uses
asyncio's I/O queue (asyncio.core._io_queue), which is how MicroPython's
streams wait; used only on MicroPython.
"""
import gc


async def accept_loop(s, cb, ssl):
    # imported here so the module itself imports anywhere (CPython too)
    from asyncio import core
    from asyncio.stream import Stream
    while True:
        try:
            yield core._io_queue.queue_read(s)
        except core.CancelledError:
            s.close()               # server closed: stop listening
            return
        try:
            s2, addr = s.accept()
        except Exception:           # EAGAIN, EMFILE, MemoryError...
            continue
        try:
            if ssl:
                s2 = ssl.wrap_socket(s2, server_side=True,
                                     do_handshake_on_connect=False)
            s2.setblocking(False)
            st = Stream(s2, {"peername": addr})
            core.create_task(cb(st, st))
        except Exception:           # no memory for this client: drop it
            try:
                s2.close()
            except Exception:
                pass
            gc.collect()
