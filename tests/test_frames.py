"""Call frames on the heap (tools/frames.py).

MicroPython takes a function's frame from the heap when its locals, stack
and handlers need more than 11 words, and frees it on return, which costs
every later allocation a scan (10 us a call at a 2 MB heap, see
tools/frames.py). The functions that run for every published event keep
their frames on the C stack; these tests hold them to it, and check the
tool's reading of the .mpy files against what the real MicroPython does.
"""
import os
import subprocess
import sys

import pytest

from conftest import ROOT, micropython_exe

sys.path.insert(0, os.path.join(ROOT, "tools"))
import build_mpy  # noqa: E402
import frames  # noqa: E402

# run for every event a Broadcaster publishes or EventSource.send sends
# (module, qualified name); _encode_event: an event with a retry, a str id
# or empty lines of data
HOT = [
    ("_sse.py", "encode_event"),
    ("_sse.py", "_encode_event"),
    ("_broadcast.py", "BroadcastCore._store"),
    ("_broadcast.py", "BroadcastCore.take"),
    ("broadcast.py", "Broadcaster.publish"),
]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return frames.build(str(tmp_path_factory.mktemp("frames")))


@pytest.mark.parametrize("module,name", HOT)
def test_per_event_functions_keep_their_frame_off_the_heap(built, module, name):
    words = frames.frame_words(os.path.join(ROOT, "ahttp", module),
                               os.path.join(built, "ahttp", module[:-3] + ".mpy"))
    assert name in words, sorted(words)
    assert words[name] <= frames.LIMIT, (
        "%s %s needs %d words: its frame would come from the heap on every "
        "call (tools/frames.py); move names into a helper" % (module, name, words[name]))


def test_every_module_pairs_with_its_mpy(built):
    # the tool names functions by order: a mismatch would misname them
    pkg = os.path.join(ROOT, "ahttp")
    n = 0
    for fn in sorted(os.listdir(pkg)):
        if fn.endswith(".py"):
            n += len(frames.frame_words(os.path.join(pkg, fn),
                                        os.path.join(built, "ahttp", fn[:-3] + ".mpy")))
    assert n > 300


# functions with 0..12 locals (and two with a handler), each asking
# probe() for the heap in use while its frame exists
PROBE_SRC = '''
import gc

def probe():
    return gc.mem_alloc()

%s

def measure(f):
    gc.collect()
    gc.disable()
    before = gc.mem_alloc()
    inside = f()
    gc.enable()
    return inside - before
'''


def _probe_functions():
    out = []
    for k in range(13):
        names = ["v%d" % i for i in range(k)]
        body = "".join("    %s = %d\n" % (v, i) for i, v in enumerate(names))
        out.append("def f%d():\n%s    return probe()\n" % (k, body))
    # a handler is three words more: h1 fits, h6 does not
    for k in (1, 6):
        body = "".join("    v%d = %d\n" % (i, i) for i in range(k))
        out.append("def h%d():\n%s    try:\n        return probe()\n"
                   "    except Exception:\n        return v0\n" % (k, body))
    return "\n".join(out)


def test_the_tool_agrees_with_micropython(tmp_path):
    src = tmp_path / "frameprobe.py"
    src.write_text(PROBE_SRC % _probe_functions())
    mpy = tmp_path / "frameprobe.mpy"
    subprocess.run(build_mpy.mpy_cross_cmd() + ["-o", str(mpy), str(src)], check=True)
    words = frames.frame_words(str(src), str(mpy))
    names = ["f%d" % k for k in range(13)] + ["h1", "h6"]
    script = ("import sys\nsys.path.insert(0, %r)\nimport frameprobe as m\n"
              "for n in %r:\n    print(n, m.measure(getattr(m, n)))\n"
              % (str(tmp_path), names))
    out = subprocess.run([micropython_exe(), "-c", script], capture_output=True,
                         text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    grown = dict((n, int(v)) for n, v in (line.split() for line in out.stdout.split("\n") if line))
    on_heap = [n for n in names if words[n] > frames.LIMIT]
    # both sides of the limit are exercised
    assert on_heap and len(on_heap) < len(names), words
    for n in names:
        if words[n] > frames.LIMIT:
            assert grown[n] > 0, (n, words[n], grown[n])
        else:
            assert grown[n] == 0, (n, words[n], grown[n])
