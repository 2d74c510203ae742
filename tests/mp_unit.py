"""Run tests/test_core_unit.py (or the module named in MP_UNIT_MODULE)
under MicroPython (no pytest there).

Usage (from the repo root, with MICROPYPATH holding the repo, tests/ and
.frozen): micropython tests/mp_unit.py [name-substring]
Prints PASS/FAIL per test and "ALL PASSED" at the end; exits 1 on failure.
"""
import os
import sys

mod = __import__(os.getenv("MP_UNIT_MODULE") or "test_core_unit")

only = sys.argv[1] if len(sys.argv) > 1 else ""
names = sorted(n for n in dir(mod) if n.startswith("test_") and only in n)
failed = 0
for name in names:
    if name.endswith("_tests_pass_under_micropython"):
        continue
    try:
        getattr(mod, name)()
        print("PASS", name)
    except Exception as e:
        failed += 1
        print("FAIL", name, "-", type(e).__name__, e)
if failed:
    print(failed, "FAILED")
    sys.exit(1)
print("ALL PASSED")
