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
# the MQTT broker of the relay tests (tests/test_mqtt_relay.py)
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || need="$need mosquitto"
if [ -n "$need" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "bootstrap: installing$need (Debian packages)" >&2
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null
    else
        echo "bootstrap: please install$need (needed by the browser / MQTT tests and benchmarks)" >&2
    fi
fi
# MicroPython v1.11 (the base of Pycom's last WiPy firmware) for the sync
# server's tests: built from the source next to the checkout, only when
# missing. Without ../shared the tests skip that runtime and say why.
mp11=.venv/bin/micropython-1.11
build=../shared/runtimes/build-micropython-1.11.sh
if [ ! -x "$mp11" ]; then
    if [ -f "$build" ]; then
        echo "bootstrap: building MicroPython v1.11 into $mp11" >&2
        bash "$build" "$PWD/$mp11.$$.tmp" >/dev/null     # (it builds elsewhere: an absolute path)
        mv -f "$mp11.$$.tmp" "$mp11"
    else
        echo "bootstrap: $build not found: the sync-micropython-1.11 tests will skip" >&2
    fi
fi
# micropython-lib's umqtt.simple for the board side of the MQTT tests
# (.venv/mplib; pip cannot install PyPI's sdist of it, see the tool)
.venv/bin/python tools/get_umqtt.py >/dev/null || echo "bootstrap: could not fetch umqtt.simple: the MQTT tests will say so" >&2
# MicroPython v1.20.0 (the oldest firmware the async server claims) for the
# integration tests' micropython-1.20 runtime: built from a micropython git
# clone (MICROPYTHON_GIT, see the script), only when missing (~70 s). Without
# one the tests skip that runtime and say why.
mp120=.venv/bin/micropython-1.20
if [ ! -x "$mp120" ]; then
    echo "bootstrap: building MicroPython v1.20 into $mp120" >&2
    if bash scripts/build-micropython-1.20.sh "$PWD/$mp120.$$.tmp" >/dev/null; then
        mv -f "$mp120.$$.tmp" "$mp120"
    else
        rm -f "$mp120.$$.tmp"
        echo "bootstrap: MicroPython v1.20 not built: the micropython-1.20 tests will skip" >&2
    fi
fi
