#!/usr/bin/env bash
# Run every test (both runtimes: CPython and MicroPython). Bootstraps .venv
# first. Extra arguments go to pytest, e.g. scripts/test.sh -k sse
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec .venv/bin/pytest -n 2 --timeout 300 -q "$@" tests
