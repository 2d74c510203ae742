"""Helpers for the batteries' tests (cors, auth, multipart, session,
template, testing client, hooks): each test file runs under pytest
(CPython) and, as a script, under MicroPython (no pytest there), so its
tests keep to the MicroPython subset.
"""
import sys

MICROPYTHON = sys.implementation.name == "micropython"


def run(coro):
    import asyncio
    return asyncio.run(coro)


def main(mod_globals):
    """Run every test_* function of a module (MicroPython side)."""
    only = sys.argv[1] if len(sys.argv) > 1 else ""
    names = sorted(n for n in mod_globals if n.startswith("test_") and only in n
                   and not n.endswith("_under_micropython"))
    failed = 0
    for name in names:
        try:
            mod_globals[name]()
            print("PASS", name)
        except Exception as e:
            failed += 1
            print("FAIL", name, "-", type(e).__name__, e)
            if hasattr(sys, "print_exception"):
                sys.print_exception(e)
    if failed:
        print(failed, "FAILED")
        sys.exit(1)
    print("ALL PASSED", len(names))


def run_under_micropython(path, root=None):
    """pytest side: run a test file as a script under MicroPython."""
    import os
    import subprocess
    from conftest import ROOT, micropython_exe, runtime_env
    proc = subprocess.run([micropython_exe(), path], env=runtime_env("micropython"),
                          cwd=root or ROOT, capture_output=True, text=True, timeout=120)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0 and "ALL PASSED" in out, out
    return out
