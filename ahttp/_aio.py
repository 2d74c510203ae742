"""MicroPython's asyncio internals, in one place: the asyncio driver's
modules reach `asyncio.core` (its I/O queue, the current task) only through
this module.

Its job: import asyncio (or uasyncio, as asyncio), make asyncio's socket
waits survive a full heap (_enqueue), wait on a raw socket (queue_read,
queue_write: in a generator, `yield queue_read(s)`), and cancel the tasks
still waiting on a socket that is about to close (cancel_waiters). No HTTP
here, no reads or writes of its own. Imported with ahttp.server (the async
driver's first use); the blocking driver never imports it.
"""
import gc

try:
    import asyncio
except ImportError:
    # MicroPython 1.20 and older name it uasyncio: registered as asyncio
    # too, for every `import asyncio` after this one
    import uasyncio as asyncio
    import sys
    sys.modules["asyncio"] = asyncio

_reserve = None     # freed to let a failed registration be undone (see _enqueue)


def _enqueue(self, s, idx):
    # asyncio's IOQueue._enqueue (MicroPython), except that a registration
    # that runs out of memory is undone. MicroPython's poll.register() that
    # fails to allocate leaves an entry with no object in the poll set, and
    # unregister(), modify() and every later poll() dereference it: the
    # process dies. A second register() of the same socket completes such
    # an entry, after which it can be removed; _reserve makes room for it.
    # And a wait on a closed socket fails at once (EBADF), as a read of it
    # would: the unix port's poll never reports one, and the task would
    # wait for good (a handler's child task that starts after its
    # connection closed).
    global _reserve
    t = asyncio.core.cur_task
    e = self.map.get(id(s))
    if e is None:
        f = getattr(s, "fileno", None)      # (a TLS socket has none)
        if f is not None and f() < 0:
            raise OSError(9)
        e = [None, None, s]
        e[idx] = t
        self.map[id(s)] = e
        try:
            self.poller.register(s, 1 if idx == 0 else 4)
        except MemoryError:
            del self.map[id(s)]
            n = 0
            while True:
                try:
                    self.poller.register(s, 0)
                    self.poller.unregister(s)
                    break
                except MemoryError:
                    n += 1
                    if n > 3:
                        break
                    _reserve = None
                    gc.collect()
            raise
    else:
        e[idx] = t
        self.poller.modify(s, 5)
    t.data = self


def cancel_waiters(s):
    # MicroPython: the tasks still waiting on socket s, which is about to
    # close, are cancelled: they would wait for good on a closed socket,
    # holding their memory. A handler's child task, or a read that
    # asyncio.wait_for left running: asyncio's own reaches the awaitable
    # only through a runner task, which can end without waiting on it (a
    # MemoryError taking that wait, a cancel before it ran); seen under
    # load, a WebSocket's closing read (docs/robustness.md).
    if _io_queue is not None:
        e = _io_queue.map.get(id(s))
        if e is not None:
            for t in e[:2]:
                if t is not None and t is not asyncio.core.cur_task:
                    t.cancel()


# MicroPython's I/O queue (CPython's asyncio has no core module; the
# WebAssembly port's asyncio waits without poll: None)
_io_queue = getattr(getattr(asyncio, "core", None), "_io_queue", None)
queue_read = queue_write = None
if _io_queue is not None:
    # every wait on a socket (ours and asyncio's own streams) registers
    # through _enqueue (None: a port whose asyncio waits without poll, such
    # as the WebAssembly one)
    type(_io_queue)._enqueue = _enqueue
    # The current task waits until raw socket s is readable (writable):
    # `yield queue_read(s)` in a generator that the task runs, as
    # asyncio's own streams wait.
    queue_read = _io_queue.queue_read
    queue_write = _io_queue.queue_write
