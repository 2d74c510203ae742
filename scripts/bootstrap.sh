#!/usr/bin/env bash
# Create .venv with everything the demo and the tests need. Idempotent: a
# second run only checks that the requirements are installed.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PY" -m venv .venv
fi
stamp=.venv/.ahttp-requirements
if [ ! -f "$stamp" ] || ! cmp -s requirements-dev.txt "$stamp"; then
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -r requirements-dev.txt
    cp requirements-dev.txt "$stamp"
fi
# System tools the browser tests and benchmarks use (Debian packages). Only
# installed when missing, and only where we may (root with apt-get).
need=""
command -v chromium >/dev/null 2>&1 || need="$need chromium chromium-driver"
command -v wrk >/dev/null 2>&1 || need="$need wrk"
if [ -n "$need" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "bootstrap: installing$need (Debian packages)" >&2
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null
    else
        echo "bootstrap: please install$need (needed by the browser tests / benchmarks)" >&2
    fi
fi
