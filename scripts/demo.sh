#!/usr/bin/env bash
# The main demo: the live sensor dashboard (Server-Sent Events) served by
# MicroPython on http://127.0.0.1:8080/ (AHTTP_PORT / AHTTP_HOST change it).
# Bootstraps .venv (with the micropython command) first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec .venv/bin/micropython examples/sensor_feed.py
