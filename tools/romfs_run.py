"""Run a script with a ROMFS image mounted at /rom, as on a board.

    micropython -X heapsize=N tools/romfs_run.py IMAGE SCRIPT [ARGS]

Boards with ROMFS (MicroPython 1.25+, `mpremote romfs deploy`) map the image
from flash and run the .mpy bytecode in it in place: the code takes no heap.
The unix port has no flash, so this reads the image into one buffer first;
that block is the only heap the code takes, and the figure printed on
stderr (`romfs: N bytes`) tells a heap measurement what to subtract.
"""
import os
import sys
import vfs

image, script = sys.argv[1], sys.argv[2]
buf = bytearray(os.stat(image)[6])
with open(image, "rb") as f:
    f.readinto(buf)
vfs.mount(vfs.VfsRom(buf), "/rom")
sys.path[:0] = ["/rom", "/rom/lib"]
sys.argv[:] = sys.argv[2:]
import ahttp
print("romfs: %d bytes mounted at /rom; ahttp from %s" % (len(buf), ahttp.__file__))
del f, image, ahttp
with open(script) as f:
    source = f.read()
exec(source, {"__name__": "__main__", "__file__": script})
