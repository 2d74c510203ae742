"""Run a script with a ROMFS image mounted at /rom, as on a board.

    micropython -X heapsize=N tools/romfs_run.py IMAGE SCRIPT [ARGS]
    micropython -X heapsize=N tools/romfs_run.py IMAGE -m MODULE [ARGS]

Boards with ROMFS (MicroPython 1.25+, `mpremote romfs deploy`) map the image
from flash and run the .mpy bytecode in it in place: the code takes no heap.
The unix port has no flash, so this reads the image into one buffer first;
that block is the only heap the code takes, and the first line printed
(`romfs: N bytes ...`) tells a heap measurement what to subtract. Give
`-X heapsize` the heap you mean plus the image's size.

Build an image with `python tools/build_mpy.py --romfs dist/ahttp.romfs`
(`--app app.py` puts an app beside the package, as a board would hold it).
Few names on purpose: each global here is an interned string in the heap
the app is measured in.
"""
import os
import sys
import vfs

buf = bytearray(os.stat(sys.argv[1])[6])
with open(sys.argv[1], "rb") as f:
    f.readinto(buf)
vfs.mount(vfs.VfsRom(buf), "/rom")
sys.path.insert(0, "/rom")
sys.argv[:] = sys.argv[2:]
print("romfs: %d bytes mounted at /rom" % len(buf))
del f
if sys.argv[0] == "-m":
    sys.argv.pop(0)
    __import__(sys.argv[0])
else:
    with open(sys.argv[0]) as f:
        exec(f.read(), {"__name__": "__main__", "__file__": sys.argv[0]})
