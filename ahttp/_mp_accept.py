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
        raw = s2
        try:
            if ssl:
                s2 = ssl.wrap_socket(s2, server_side=True,
                                     do_handshake_on_connect=False)
            s2.setblocking(False)
            st = Stream(s2, {"peername": addr})
            if ssl:
                # closing a TLS socket whose handshake failed leaves the TCP
                # socket open (the client hangs, the descriptor leaks until
                # a GC): the server closes this one too
                st.raw = raw
            core.create_task(cb(st, st))
        except Exception:           # no memory for this client: drop it
            try:
                s2.close()
                raw.close()
            except Exception:
                pass
            gc.collect()
