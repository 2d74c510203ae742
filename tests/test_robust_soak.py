"""CI's short soaks: tests/soak/soak.py for 30 s against MicroPython
(mixed static/JSON/POST/SSE/WebSocket load, heap sampled every second).
Zero failed requests, the server alive, no rising heap floor. Humans run
the same script with a long --seconds (docs/robustness.md).

Two deployments: the package in a ROMFS image (its bytecode stays in
flash on a board) at the 128 KB issue 8 asks for, and .mpy files loaded
into the heap, which need 192k on this 64-bit unix port (at 128k about a
third of the requests fail for memory; the server survives every
MemoryError).
"""
import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT

pytestmark = pytest.mark.timeout(300)

SECONDS = 30


@pytest.mark.parametrize("heap,build", [("128k", "romfs"), ("192k", "mpy")])
def test_soak_mixed_load_no_errors_no_heap_trend(heap, build):
    r = subprocess.run([sys.executable, os.path.join(ROOT, "tests", "soak", "soak.py"),
                        "--seconds", str(SECONDS), "--heapsize", heap, "--sample", "1"]
                       + (["--romfs"] if build == "romfs" else []),
                       capture_output=True, text=True, timeout=280)
    last = r.stdout.strip().splitlines()[-1] if r.stdout.strip() else "{}"
    summary = json.loads(last) if last.startswith("{") else {}
    print(last)
    assert r.returncode == 0, (summary.get("problems"), r.stdout[-4000:], r.stderr[-2000:])
    assert summary["errors"] == 0 and summary["total"] > 0
    assert {"static", "blob", "json", "echo", "sse", "ws"} <= set(summary["requests"])
    if build == "romfs":
        # MicroPython interns names in pools that grow by doubling (20, 40,
        # ... 320 entries): this app's 617 names (2026-12-01) fill five pools (620);
        # the 621st allocates a sixth of 640 entries (+7 KB), and the soak
        # no longer fits 128k (seen: 2 runs in 3 failed at 622 names).
        # Fewer new names on the import path, or a bigger heap here.
        assert summary["qstr"] is not None, summary
        assert summary["qstr"]["pools"] <= 5, summary["qstr"]
