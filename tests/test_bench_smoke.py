"""The benchmark never rots: run bench/run.py in smoke mode (a fraction of
a second per case, one repeat) and check it wrote a table with every row
and the chart. No timing is asserted: the figures of a smoke run mean
nothing, only that every case still runs on both runtimes."""
import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))

import run as bench  # noqa: E402

try:
    import aiohttp  # noqa: F401
    HAS_AIOHTTP = True
except ImportError:
    HAS_AIOHTTP = False


@pytest.mark.timeout(180)
def test_bench_smoke(tmp_path):
    out = tmp_path / "results"
    # the peers' clones are the developer's, never the suite's: without
    # their variables the run says so and goes on without them
    env = {k: v for k, v in os.environ.items() if k not in [p[1] for p in bench.PEERS]}
    r = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "run.py"),
                        "--smoke", "--out", str(out)],
                       capture_output=True, text=True, timeout=170, cwd=ROOT, env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    for _, var, _, header, _ in bench.PEERS:
        assert "%s: absent (%s is not set)" % (header, var) in r.stdout
    # aiohttp (requirements-dev.txt) is measured under CPython when it
    # imports; without it the run says so and goes on
    if HAS_AIOHTTP:
        assert "CPython target: aiohttp " in r.stdout
    else:
        assert "aiohttp is absent from .venv: not measured" in r.stdout
    latest = (out / "latest.md").read_text()
    assert latest.strip() in r.stdout
    # the latest run only: earlier ones are in git history
    assert sorted(os.listdir(out)) == ["latest.md", "latest.png"], os.listdir(out)
    lines = latest.splitlines()

    def cells(line):
        return [c.strip() for c in line.strip().strip("|").split("|")]

    def row(label, after):
        """The row's cells by column name, from the table under `after`."""
        start = lines.index(after)
        header = None
        for line in lines[start:]:
            if line.startswith("| ") and header is None:
                header = cells(line)
            elif line.startswith("| %s |" % label):
                return dict(zip(header, cells(line)))
        raise AssertionError("no row %r under %r" % (label, after))

    for runtime, heading in (("mp", "## Throughput, MicroPython (unix port)"),
                             ("cpy", "## Throughput, CPython")):
        assert heading in lines
        for key, label, unit, _ in bench.THROUGHPUT:
            r = row(label, heading)
            assert r["unit"] == unit
            # floor, ahttp and microdot each measured something (a row of
            # an ahttp option: ahttp, and its ratio to the floor's base row)
            if key in bench.BASE_ROW:
                assert r["ahttp"] not in ("", "–"), (runtime, label, r)
                assert r["ahttp ÷ floor"] not in ("", "–"), (runtime, label, r)
                continue
            for server in ("floor", "ahttp", "microdot"):
                assert r[server] not in ("", "–"), (runtime, label, r)
            if runtime == "cpy" and HAS_AIOHTTP and key.startswith("hello_"):
                assert r["aiohttp"] not in ("", "–"), (runtime, label, r)
        # what users write: every shape and event loop answered on ahttp,
        # and on microdot where it has the route (a smoke run measures each
        # at one mode; `return "str"` is GET /hello at all four)
        users = heading.replace("## Throughput, ", "## What users write, ") \
            + " (ratio to the floor)"
        assert users in lines
        measured = 0
        for key, label, unit in bench.USER_ROWS:
            r = row(label, users)
            assert r["unit"] == unit
            if key.startswith("u_") and not key.startswith("u_str_") \
                    and key.rsplit("_", 1)[1] not in bench.SMOKE_MODES:
                continue
            if key.startswith("es") and int(key.lstrip("esfm")) not in bench.SMOKE_CLIENTS:
                continue
            measured += 1
            servers = ["floor", "ahttp", "microdot"]
            if runtime == "cpy" and HAS_AIOHTTP:
                servers.append("aiohttp")
            for server in servers:
                if server != "floor" and not bench.can_serve(server, key):
                    assert r[server] == "–", (runtime, label, r)
                    continue
                assert r[server] not in ("", "–"), (runtime, label, r)
            if "aiohttp" in servers and bench.can_serve("aiohttp", key):
                assert r["ahttp ÷ aiohttp"] not in ("", "–"), (runtime, label, r)
                assert r["target (ahttp)"].startswith("≥ aiohttp: "), (runtime, label, r)
        assert measured >= len(bench.SHAPES) + len(bench.EVENT_LOOPS) + len(bench.BROADCAST)
    target = [line for line in lines if line.startswith("CPython target (each shape")]
    assert len(target) == 1, target
    assert ("met on " if HAS_AIOHTTP else "aiohttp is absent") in target[0], target
    heading = "## Memory, hello + SSE app, MicroPython (unix port, 64-bit)"
    for key, label, unit in bench.HS_MEMORY:
        r = row(label, heading)
        for server in ("ahttp", "microdot"):
            assert r[server] not in ("", "–"), (label, r)
    heading = "## Memory and code size, 10-route app, MicroPython (unix port, 64-bit)"
    for key, label, unit in bench.MEMORY:
        r = row(label, heading)
        for server in ("floor", "ahttp", "microdot"):
            if server == "floor" and key in ("heap_app_romfs", "heap_app_wasm32"):
                continue    # the floor script is not run from ROMFS, nor on wasm
            if server != "ahttp" and key == "per_sse_detached":
                continue    # an ahttp option
            if key == "heap_app_wasm32" and not (shutil.which("node") and shutil.which("npm")):
                continue    # the 32-bit port runs under node
            assert r[server] not in ("", "–"), (label, r)
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return
    assert (out / "latest.png").stat().st_size > 1000
