"""Overload and hostile load at the smallest heaps the docs give: the server
never dies, never wedges, answers every refusal with a complete 503 and
comes back by itself once the load is gone.

The app (tests/apps/hostile_app.py) serves hello, a 2 KB POST echo, a
static file, SSE and a WebSocket echo; tests/hostile.py makes the load
and sorts every exchange ("ok", "503", or what went wrong). MicroPython
runs it as a board would hold it: ROMFS (heap besides the image), `.mpy`
files and source. Time limits here bound "eventually"; none is a
measurement.
"""
import asyncio
import json
import os
import time

import pytest

import hostile
from conftest import ROOT

pytestmark = pytest.mark.timeout(240)

APP = "tests/apps/hostile_app.py"
WWW = os.path.join(ROOT, "tests", "apps", "www")

# how each layout runs, and its heap: the smallest the docs give for a
# hello + SSE + static app (README, docs/robustness.md)
LAYOUTS = {
    "romfs-64k": ("micropython-romfs", "64k"),
    "romfs-96k": ("micropython-romfs", "96k"),
    "romfs-128k": ("micropython-romfs", "128k"),
    "mpy-96k": ("micropython", "96k"),
    "source-120k": ("micropython", "120k"),
    "cpython": ("cpython", None),
}


# At ROMFS 64k ahttp.ws does not fit beside SSE (README): the app there has
# no WebSocket route and the load sends none.
NO_WS = ("romfs-64k",)


def kinds(layout):
    return [k for k in sorted(hostile.KINDS) if k != "ws" or layout not in NO_WS]


def start(start_app, mpy_dir, layout):
    runtime, heap = LAYOUTS[layout]
    extra = [mpy_dir] if layout.startswith("mpy") else []
    env = {"HOSTILE_WS": "0"} if layout in NO_WS else None
    return start_app(APP, runtime, heapsize=heap, extra_path=extra, env=env)


def state(app):
    """The server's /_mem: heap in use after a collection ("alloc"), open
    connections ("conns"), sockets a task waits on ("waits"); the
    MicroPython figures are None on CPython."""
    for _ in range(5):
        try:
            return json.loads(asyncio.run(_get_body(app.port, b"/_mem")))
        except ValueError:          # a 503: the heap was short just then
            time.sleep(0.5)
    raise AssertionError("/_mem never answered: " + app.log()[-2000:])


def mem(app):
    return state(app)["alloc"]


async def _get_body(port, path):
    r, w = await asyncio.open_connection(hostile.HOST, port)
    w.write(b"GET " + path + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    await w.drain()
    data = await asyncio.wait_for(r.read(), 10)
    w.close()
    return data.split(b"\r\n\r\n", 1)[1]


def served_after(app, n=30, within=15.0):
    """Plain GETs in the seconds after an attack: how many were answered 200."""
    t_end = time.monotonic() + within
    ok = 0
    for _ in range(n):
        if time.monotonic() > t_end:
            break
        ok += hostile.gets(app.port, 1, 0) == ["ok"]
        time.sleep(0.2)
    return ok


def warm_up(app, layout):
    """Every kind of exchange and the error paths (loading what each
    needs), then a burst of the mixed load: the heap's idle level counts
    what stays after, such as the poll set's and asyncio's tables sized for
    20 clients (from source at 256k: +3.8 KB after the first 8 s of load,
    then within 1.4 KB for 8 more rounds)."""
    extra = ["bad"] + (["ws_oversize"] if "ws" in kinds(layout) else [])
    for kind in kinds(layout) + extra:
        for _ in range(5):      # (a 503 when its module found no room yet)
            if asyncio.run(hostile.exchange(kind, app.port)) == "ok":
                break
            time.sleep(0.5)
    asyncio.run(hostile.mixed(app.port, 15, 20, WWW, kinds(layout)))
    time.sleep(2)


def floor(app):
    """The lowest of three heap readings a second apart (None on CPython):
    each one catches whatever the watchdog or a closing connection holds
    just then."""
    out = []
    for _ in range(3):
        out.append(mem(app))
        time.sleep(1)
    return None if out[0] is None else min(out)


@pytest.mark.parametrize("layout,sockets", [
    ("romfs-64k", 20), ("romfs-64k", 100), ("romfs-64k", 500),
    ("mpy-96k", 100), ("source-120k", 100), ("cpython", 500)])
def test_slowloris_leaves_the_server_alive_and_serving(start_app, mpy_dir, layout, sockets):
    app = start(start_app, mpy_dir, layout)
    # (20 s, the shortest run issue 20 asks for: ten head timeouts of the
    # app; the segfault this guards against came within seconds)
    made = hostile.slowloris(app.port, sockets, 20)
    # (past what the server holds and the listen backlog, connects wait)
    assert made >= min(sockets, 50), made
    assert app.alive(), app.log()[-3000:]
    ok = served_after(app)
    assert ok >= 29, (ok, app.log()[-3000:])
    assert app.alive()


def _bad(tally):
    """The exchanges that ended neither "ok" nor in a complete 503."""
    return {k: n for k, n in tally.items()
            if not k.endswith(": ok") and not k.endswith(": 503")}


# (ROMFS 64k, the smallest heap the docs give, without the WebSocket route:
# the app holds all but ~5 KB of it once SSE, static files and bodies are
# loaded; see docs/robustness.md)
@pytest.mark.parametrize("layout", ["romfs-96k", "romfs-64k", "cpython"])
def test_mixed_load_then_idle_comes_back(start_app, mpy_dir, layout):
    app = start(start_app, mpy_dir, layout)
    t0 = time.monotonic()
    warm_up(app, layout)
    idle = floor(app)
    # (60 s on MicroPython, as issue 20 asks; CPython, whose heap is not
    # the question, 20 s)
    seconds = 20 if layout == "cpython" else 60
    tally = asyncio.run(hostile.mixed(app.port, seconds, 20, WWW, kinds(layout)))
    assert app.alive(), app.log()[-3000:]
    total = sum(tally.values())
    assert total > 500, tally
    # under a full heap some exchanges fail: a body cut after its 200, a
    # WebSocket closed 1011, and a 503 followed by a reset (0.02 % of the
    # 503s in a 600 s run at ROMFS 96k); they stay rare (docs/robustness.md)
    cut = sum(n for k, n in _bad(tally).items()
              if "reset after 200" in k or "1011" in k or "ws reset" in k)
    assert sum(_bad(tally).values()) - cut <= total // 40, tally
    # (ROMFS 96k, 3 x 60 s: 2.6 % before a WebSocket's objects were made
    # before its 101 and its next message's coroutine ahead, 0.02 % after)
    assert cut <= total // 200, tally
    # A WebSocket the heap cannot hold gets a 503 before its 101, and a
    # full heap after it a ready-made 1011 close: no reset after the 101
    # (ROMFS 96k, 3 x 60 s: 2,655 in 113,000 exchanges before, 0 after)
    ws_cut = sum(n for k, n in _bad(tally).items()
                 if k.startswith("ws: ws reset") or k == "ws: closed with nothing")
    assert ws_cut <= total // 2000, tally
    # An SSE stream's head waits for its first event and a static file's
    # pieces allocate nothing: neither is cut after its 200 any more
    # (ROMFS 96k, 3 x 60 s: 120 in 72,600 exchanges before, 0 in 102,500
    # after); a rare one may still meet a full heap in what they allocate
    # once (the file's object, a drain)
    streams = sum(n for k, n in _bad(tally).items()
                  if k.startswith("sse:") or k.startswith("static:"))
    assert streams <= total // 2000, tally
    time.sleep(10)
    assert hostile.gets(app.port, 3, 0.5) == ["ok"] * 3, app.log()[-3000:]
    # nothing left behind: no connection but /_mem's own, no task waiting
    # on a socket but the accept loop (a wait asyncio.wait_for left behind
    # once waited for good on a closed socket)
    now = state(app)
    assert now["conns"] == 1, now
    assert now["waits"] in (1, None), now
    if idle is not None:
        # (a connection that ended holds nothing: see server._run)
        after = floor(app)
        assert after - idle <= 2048, (idle, after, tally)
    # logging under overload is a count per interval, not a traceback per
    # failure
    log = app.log()
    windows = int(time.monotonic() - t0) // 10 + 2
    assert log.count("Traceback") <= 10 * windows, log[-3000:]


@pytest.mark.parametrize("layout", ["romfs-64k", "romfs-128k", "cpython"])
def test_sse_subscribers_beyond_the_heap_get_a_stream_or_a_whole_503(start_app, mpy_dir, layout):
    app = start(start_app, mpy_dir, layout)
    tally = asyncio.run(hostile.arrivals(app.port, 200, 0.05))
    assert not _bad(tally), (tally, app.log()[-3000:])
    assert tally.get("sse: ok", 0) >= 1, tally
    assert app.alive()
    # served again within seconds: a refused client's slot is read for up
    # to 2 s, so a GET at once may still get a whole 503
    got = hostile.gets(app.port, 10, 0.3)
    assert set(got) <= {"ok", "503"} and got[-3:] == ["ok"] * 3, (got, app.log()[-3000:])


@pytest.mark.parametrize("layout", ["source-120k", "cpython"])
def test_a_task_a_handler_leaves_on_its_connection_ends_with_it(start_app, mpy_dir, layout):
    # (MicroPython: a read left waiting on a socket the server then closes
    # would wait for good, its memory with it; the server cancels it)
    app = start(start_app, mpy_dir, layout)
    for _ in range(3):
        assert asyncio.run(_get_body(app.port, b"/child")) == b"ok"
    time.sleep(1)
    now = state(app)
    assert now["children"] == 0, now
    assert now["waits"] in (1, None), now
    assert hostile.gets(app.port, 3, 0.2) == ["ok"] * 3
