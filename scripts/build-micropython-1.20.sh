#!/usr/bin/env bash
# Builds the MicroPython v1.20.0 unix port: the oldest firmware the async
# server claims (asyncio is still named uasyncio there). As on the boards of
# that release, uasyncio is frozen into the binary; what needs a git
# submodule (ffi, btree, ssl, and mip from micropython-lib) is left out, as
# the tests of the async server need none of it.
#
# usage: scripts/build-micropython-1.20.sh OUT_BINARY
#   MICROPYTHON_GIT: a clone of github.com/micropython/micropython with its
#   tags (default: the mirror at /work/.mirror/micropython+micropython/repo)
# ~1.5 min on 2 cores; needs git, gcc, make, python3. Exits 3, saying why,
# when the clone is absent.
set -euo pipefail
out=${1:?usage: $0 OUT_BINARY}
git_dir=${MICROPYTHON_GIT:-/work/.mirror/micropython+micropython/repo}
tag=v1.20.0
if ! git -C "$git_dir" rev-parse -q --verify "$tag^{commit}" >/dev/null 2>&1; then
    echo "MicroPython $tag source unavailable: no git clone with tag $tag at $git_dir (set MICROPYTHON_GIT)" >&2
    exit 3
fi
case $out in /*) ;; *) out=$PWD/$out ;; esac
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git -C "$git_dir" archive "$tag" | tar x -C "$work"
cd "$work"
# Freezing checks that the micropython-lib submodule is there, though this
# manifest takes nothing from it.
echo "not a checkout: nothing is frozen from micropython-lib" > lib/micropython-lib/README.md
printf 'include("$(MPY_DIR)/extmod/uasyncio")\n' > "$work/manifest.py"
# (today's compilers warn where 2023's did not: keep the log for a failure)
if ! { make -s -C mpy-cross -j2 CWARN="-Wall -Wno-error" &&
       make -s -C ports/unix -j2 CWARN="-Wall -Wno-error" MICROPY_PY_FFI=0 \
            MICROPY_PY_BTREE=0 MICROPY_PY_USSL=0 MICROPY_SSL_AXTLS=0 \
            MICROPY_SSL_MBEDTLS=0 FROZEN_MANIFEST="$work/manifest.py"; } >"$work/build.log" 2>&1; then
    tail -40 "$work/build.log" >&2
    exit 1
fi
mkdir -p "$(dirname "$out")"
cp ports/unix/build-standard/micropython "$out"
"$out" -c "import sys, uasyncio, socket; print('built', sys.implementation.name, sys.implementation.version)"
