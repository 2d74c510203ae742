"""Coverage-guided fuzzing of the sans-IO parsers for a bounded time.

    .venv/bin/python fuzz/run.py --seconds 60            # both targets, atheris
    .venv/bin/python fuzz/run.py --seconds 60 --target ws
    .venv/bin/python fuzz/run.py --seconds 60 --engine hypothesis

Targets (fuzz/targets.py): `http` (request heads, body framing, chunked
bodies, target decoding) and `ws` (WebSocket frames and messages). Each
input is checked for the invariants there: only the parser's own error
escapes, buffered bytes stay within the limits, and the input fed whole and
fed in pieces gives the same events.

Engine `atheris` (libFuzzer under CPython, `pip install atheris`) splits the
time between the targets, one child process each, and seeds each corpus
with valid requests/frames. Engine `hypothesis` (no native code needed) runs
random generation of the same shapes as tests/test_robust_parser.py until
the time is up. `--engine auto` (default) uses atheris when it imports.

Prints one line per target, `target ENGINE: N runs in S s, OK` (or the
failing input), and exits 1 on a failure. Crash inputs are written to
--artifacts (default: a temporary directory, printed).
"""
import argparse
import os
import random
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)
sys.path.insert(0, HERE)


def target_fn(name, skip_known=False):
    # Imported late: atheris must instrument ahttp before its first import.
    import targets
    targets.SKIP_KNOWN = skip_known
    return {"http": targets.http_one_input, "ws": targets.ws_one_input}[name]


def seeds(target):
    """A small corpus of valid inputs (selector byte + stream)."""
    from ahttp import _ws
    if target == "http":
        reqs = [
            b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
            b"GET /a%20b?x=1&y=%C3%A9 HTTP/1.0\r\n\r\n",
            b"POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
            b"GET /next HTTP/1.1\r\nHost: x\r\nCookie: a=1; b=2\r\n\r\n",
            b"PUT /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"3;ext=1\r\nabc\r\n0\r\nT: v\r\n\r\n",
            b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n",
            b"GET http://h/abs HTTP/1.1\r\nHost: h\r\n\r\n",
        ]
        return [bytes((sel,)) + r for r in reqs for sel in (0, 1, 6, 33)]
    m = b"\x01\x02\x03\x04"
    frames = [
        _ws.encode_frame(1, b"hello", mask=m),
        _ws.encode_frame(2, b"\x00" * 200, mask=m),
        _ws.encode_frame(2, b"ab", fin=False, mask=m) + _ws.encode_frame(9, b"p", mask=m)
        + _ws.encode_frame(0, b"cd", mask=m),
        _ws.encode_close(1000, "bye", mask=m),
    ]
    return [bytes((sel,)) + f for f in frames for sel in (0, 5, 10, 31)]


# -- atheris --------------------------------------------------------------------

def atheris_child(target, seconds, corpus, artifacts, skip_known):
    """Runs in a child process: libFuzzer for `seconds` on one target."""
    import atheris
    with atheris.instrument_imports(include=["ahttp", "targets"]):
        import targets  # noqa: F401
        import ahttp._http  # noqa: F401
        import ahttp._chunked  # noqa: F401
        import ahttp._query  # noqa: F401
        import ahttp._cookie  # noqa: F401
        import ahttp.request  # noqa: F401
        import ahttp._ws  # noqa: F401
    fn = target_fn(target, skip_known)
    args = [sys.argv[0], "-max_total_time=%d" % seconds, "-print_final_stats=1",
            "-rss_limit_mb=1024", "-timeout=10", "-max_len=4096",
            "-artifact_prefix=" + artifacts.rstrip("/") + "/", corpus]
    atheris.Setup(args, fn)
    atheris.Fuzz()


def run_atheris(target, seconds, workdir, artifacts, skip_known):
    corpus = os.path.join(workdir, "corpus-" + target)
    os.makedirs(corpus, exist_ok=True)
    for i, s in enumerate(seeds(target)):
        with open(os.path.join(corpus, "seed-%d" % i), "wb") as f:
            f.write(s)
    t0 = time.time()
    p = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", target,
                        "--seconds", str(seconds), "--corpus", corpus,
                        "--artifacts", artifacts]
                       + (["--skip-known"] if skip_known else []),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=seconds + 120)
    took = time.time() - t0
    out = p.stdout
    runs = None
    for line in out.splitlines():
        if "stat::number_of_executed_units" in line:
            runs = int(line.split(":")[-1])
        elif line.startswith("Done ") and " runs in " in line:
            runs = runs or int(line.split()[1])
    ok = p.returncode == 0
    print("%s atheris: %s runs in %.0f s, %s" % (
        target, runs, took, "OK" if ok else "FAILED (exit %d)" % p.returncode))
    if not ok:
        print(out[-4000:])
    return ok


# -- hypothesis -----------------------------------------------------------------

def run_hypothesis(target, seconds, artifacts, skip_known):
    """Random inputs of the shapes the property tests use, until time is up:
    valid streams, mutated ones and raw bytes, each split at random points."""
    rnd = random.Random(int(time.time()))
    fn = target_fn(target, skip_known)
    pool = seeds(target)
    t0 = time.time()
    n = 0
    while time.time() - t0 < seconds:
        kind = rnd.randrange(3)
        if kind == 0:
            data = bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 300)))
        else:
            data = bytearray(rnd.choice(pool))
            for _ in range(rnd.randrange(1, 6) if kind == 1 else 0):
                i = rnd.randrange(len(data))
                op = rnd.randrange(4)
                if op == 0:
                    data[i] = rnd.randrange(256)
                elif op == 1:
                    data[i:i] = rnd.choice([b"\r\n", b"\n", b"\x00", b" ", b"%", b"-1",
                                            b"Content-Length: 3\r\n", b"ffffffffff",
                                            b"Transfer-Encoding: chunked\r\n", b"\x7f"])
                elif op == 2:
                    del data[i:i + rnd.randrange(1, 4)]
                else:
                    j = rnd.randrange(i, len(data) + 1)
                    data[j:j] = data[i:j]
            if kind == 2:
                data[0] = rnd.randrange(256)
            data = bytes(data)
        try:
            fn(data)
        except Exception:
            path = os.path.join(artifacts, "crash-%s-%d" % (target, n))
            with open(path, "wb") as f:
                f.write(data)
            import traceback
            traceback.print_exc()
            print("%s hypothesis-mode: FAILED after %d runs; input saved to %s"
                  % (target, n, path))
            return False
        n += 1
        if kind == 1 and n % 7 == 0 and len(pool) < 500:
            pool.append(data)
    print("%s hypothesis-mode: %d runs in %.0f s, OK" % (target, n, time.time() - t0))
    return True


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=int, default=60, help="total time for all targets")
    ap.add_argument("--target", choices=["all", "http", "ws"], default="all")
    ap.add_argument("--engine", choices=["auto", "atheris", "hypothesis"], default="auto")
    ap.add_argument("--artifacts", default=None)
    ap.add_argument("--corpus", default=None)
    ap.add_argument("--skip-known", action="store_true",
                    help="do not stop at core bugs already reported (see targets.SKIP_KNOWN)")
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        atheris_child(a.child, a.seconds, a.corpus, a.artifacts, a.skip_known)
        return 0
    engine = a.engine
    if engine == "auto":
        try:
            import atheris  # noqa: F401
            engine = "atheris"
        except ImportError:
            engine = "hypothesis"
            print("atheris not installed: using the hypothesis-style random mode")
    names = ["http", "ws"] if a.target == "all" else [a.target]
    each = max(1, a.seconds // len(names))
    artifacts = a.artifacts or tempfile.mkdtemp(prefix="ahttp-fuzz-")
    os.makedirs(artifacts, exist_ok=True)
    ok = True
    with tempfile.TemporaryDirectory(prefix="ahttp-fuzz-work-") as work:
        for name in names:
            if engine == "atheris":
                ok = run_atheris(name, each, a.corpus or work, artifacts, a.skip_known) and ok
            else:
                ok = run_hypothesis(name, each, artifacts, a.skip_known) and ok
    print("artifacts: " + artifacts)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
