"""Print a markdown table of what each ahttp module costs on a board.

Usage: python tools/size_report.py

For every ahttp/**/*.py: its size as source and as .mpy (compiled into a
temporary directory with tools/build_mpy.py), and the heap it takes to
import, measured under the unix `micropython`: gc.collect() and
gc.mem_alloc() before and after the import, in a fresh process each time.
"alone" is the whole cost of importing the module into an empty interpreter
(parent package and everything it imports included, asyncio too where it is
imported at module level); "added" is what the module costs on top of an
already imported `ahttp` (for ahttp/__init__.py itself: the same as alone),
from the .py sources, from the .mpy files and from a ROMFS image of them
(bytecode run in place, as from a board's flash). The unix port is 64-bit: a
32-bit board needs less, so compare modules with each other, not with a
board's free heap.
"""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import build_mpy  # noqa: E402
import gen_mip  # noqa: E402

ROOT = gen_mip.ROOT

_MEASURE = """\
import gc
for m in %r:
    __import__(m)
gc.collect()
gc.collect()
a = gc.mem_alloc()
for m in %r:
    __import__(m)
gc.collect()
gc.collect()
print("ahttp-mem", gc.mem_alloc() - a)
"""


_MOUNT = """\
import os, sys, vfs
b = bytearray(os.stat(%r)[6])
f = open(%r, "rb")
f.readinto(b)
f.close()
vfs.mount(vfs.VfsRom(b), "/rom")
sys.path.insert(0, "/rom")
"""


def import_cost(modules, path, micropython=None, cwd=None, before=(), image=None):
    """Bytes of heap held after importing `modules` (a list of dotted names)
    with MICROPYPATH=path:.frozen (or from the ROMFS `image`, mounted at
    /rom), not counting what importing `before` first took; None if an
    import failed."""
    exe = micropython or build_mpy._tool("micropython")
    env = dict(os.environ)
    env["MICROPYPATH"] = (path + ":" if path else "") + ".frozen"
    code = _MEASURE % (list(before), list(modules))
    if image:
        code = _MOUNT % (image, image) + code
    r = subprocess.run([exe, "-c", code], env=env,
                       capture_output=True, text=True, timeout=60, cwd=cwd)
    for line in r.stdout.splitlines():
        if line.startswith("ahttp-mem "):
            return int(line.split()[1])
    sys.stderr.write("import of %s failed:\n%s%s" % (", ".join(modules),
                                                     r.stdout, r.stderr))
    return None


def report(root=ROOT):
    files = gen_mip.package_files(root)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "mpy")
        build_mpy.build(out, root=root, quiet=True)
        image = os.path.join(tmp, "ahttp.romfs")
        build_mpy.romfs(out, image)
        for rel in files:
            mod = gen_mip._module_name(rel)
            py = os.path.getsize(os.path.join(root, rel))
            mpy = os.path.getsize(os.path.join(out, rel[:-3] + ".mpy"))
            parents = []
            if "." in mod:
                parents = [mod.split(".")[0]]
            rows.append((rel, mod, py, mpy,
                         import_cost([mod], out, cwd=tmp),
                         import_cost([mod], root, cwd=tmp, before=parents),
                         import_cost([mod], out, cwd=tmp, before=parents),
                         import_cost([mod], None, cwd=tmp, before=parents, image=image)))
        mods = [r[1] for r in rows]
        alone = import_cost(mods, out, cwd=tmp)
        total = ("**all**", None, sum(r[2] for r in rows),
                 sum(r[3] for r in rows), alone,
                 import_cost(mods, root, cwd=tmp), alone,
                 import_cost(mods, None, cwd=tmp, image=image))
    return rows, total


def fmt(n):
    return "error" if n is None else "{:,}".format(n)


def table(rows, total):
    lines = ["| module | .py bytes | .mpy bytes | heap, alone (.mpy) "
             "| heap, added (.py) | heap, added (.mpy) | heap, added (ROMFS) |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for row in list(rows) + [total]:
        rel = row[0]
        lines.append("| %s | %s |" % (
            rel if rel.startswith("*") else "`%s`" % rel,
            " | ".join(fmt(n) for n in row[2:])))
    return "\n".join(lines)


def main(argv):
    rows, total = report()
    print(table(rows, total))
    print()
    print("Heap in bytes from gc.mem_alloc() under the unix micropython "
          "(64-bit words: a 32-bit board needs less), each figure from a "
          "fresh process. *alone*: importing just that module, with the "
          "package and everything it imports; *added*: on top of an "
          "already imported `ahttp`; ROMFS: the .mpy files in a ROMFS image, "
          "their bytecode run in place. **all** imports every module.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
