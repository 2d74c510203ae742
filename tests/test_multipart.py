"""multipart/form-data (ahttp.multipart): the sans-IO parser fed whole,
byte by byte, split at every offset and in pieces of every size up to 40,
and followed by garbage; limits; files written in fixed-size
chunks; a 1 MB upload to a real MicroPython server on a small heap.
Pytest and, as a script, MicroPython."""
import sys
try:
    import ahttp  # noqa: F401
except ImportError:
    import os
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from batteries_util import run, main, MICROPYTHON

from ahttp import HTTPServer, HTTPError
from ahttp.multipart import (Parser, FormReader, read_form, safe_filename, boundary_of,
                             PART, DATA, END, DONE)
from ahttp.testing import TestClient, encode_multipart

TMP = "/tmp"
BODY = (b"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nvalue a\r\n"
        b"--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x;1.txt\"\r\n"
        b"Content-Type: text/plain\r\n\r\nline1\r\n--XyZnot-a-delimiter\r\n\r\n"
        b"--XyZ--\r\nepilogue")


def events(chunks, views=False):
    p = Parser("XyZ")
    p.views = views
    out = []
    for c in chunks:
        p.feed(c)
        while True:
            ev = p.next_event()
            if ev is None:
                break
            if ev[0] == DATA:
                ev = (DATA, bytes(ev[1]))
            if ev[0] == DATA and out and out[-1][0] == DATA:
                out[-1] = (DATA, out[-1][1] + ev[1])
            else:
                out.append(ev)
    return out


EXPECTED = [(PART, "a", None, "text/plain"), (DATA, b"value a"), (END,),
            (PART, "f", "x;1.txt", "text/plain"),
            (DATA, b"line1\r\n--XyZnot-a-delimiter\r\n"), (END,), (DONE,)]


def test_parser_fed_whole():
    assert events([BODY]) == EXPECTED


def test_parser_fed_one_byte_at_a_time():
    assert events([BODY[i:i + 1] for i in range(len(BODY))]) == EXPECTED


# A file part full of near-delimiters, so that pieces end inside them.
TRICKY_DATA = (b"\r\n--XyZnot\r\n--Xy\r\n-\r\n--X" + bytes(range(256)) + b"\r\n--XyZ-x\r\n")
TRICKY = (b"--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"t\"\r\n\r\n"
          + TRICKY_DATA + b"\r\n--XyZ--\r\n")
TRICKY_EXPECTED = [(PART, "f", "t", "text/plain"), (DATA, TRICKY_DATA), (END,), (DONE,)]


def test_parser_split_anywhere_parses_the_same():
    # Two pieces split at every offset, and pieces of every size from 1 to
    # 40, with data handed out as copies and as memoryviews (FormReader's
    # way, where bytes kept back at a piece's end may be handed out alone).
    for body, want in ((BODY, EXPECTED), (TRICKY, TRICKY_EXPECTED)):
        for views in (False, True):
            for i in range(1, len(body)):
                assert events([body[:i], body[i:]], views) == want, (i, views)
            for size in range(1, 41):
                chunks = [body[i:i + size] for i in range(0, len(body), size)]
                assert events(chunks, views) == want, (size, views)


def test_parser_ignores_garbage_after_the_last_boundary():
    assert events([BODY + b"\r\n--XyZ\r\ngarbage" * 3]) == EXPECTED


def expect_status(status, fn, *args):
    try:
        fn(*args)
    except HTTPError as e:
        assert e.status == status, (e.status, e.message)
        return e
    raise AssertionError("expected %d" % status)


def feed_all(reader, body, step=7):
    for i in range(0, len(body), step):
        reader.feed(body[i:i + step])
    reader.feed(b"")
    return reader.form


def test_limits_on_parts_field_size_and_total():
    body, ct = encode_multipart([("a", "1"), ("b", "2"), ("c", "3")], {})
    b = boundary_of(ct)
    assert feed_all(FormReader(b), body).fields == {"a": "1", "b": "2", "c": "3"}
    expect_status(413, feed_all, FormReader(b, max_parts=2), body)
    body2, _ = encode_multipart({"big": "x" * 100}, {})
    expect_status(413, feed_all, FormReader(b, max_field=99), body2)
    expect_status(413, feed_all, FormReader(b, max_size=len(body) - 1), body)
    expect_status(400, feed_all, FormReader(b), body[:-10])
    expect_status(400, feed_all, FormReader(b), b"no boundary here" * 100)
    expect_status(415, boundary_of, "application/json")
    expect_status(400, boundary_of, "multipart/form-data")
    assert boundary_of('multipart/form-data; boundary="a b;c"') == "a b;c"


class Recorder:
    def __init__(self):
        self.writes = []

    def write(self, data):
        self.writes.append(len(data))

    def close(self):
        pass


def test_file_parts_are_written_in_fixed_size_chunks():
    data = bytes(range(256)) * 40      # 10240 bytes
    body, ct = encode_multipart({"note": "n"}, {"up": ("a.bin", data, "application/x")})
    fr = FormReader(boundary_of(ct), dest=TMP, chunk_size=512)
    form = feed_all(fr, body, step=333)
    up = form.files["up"]
    assert form.fields == {"note": "n"} and up.size == len(data)
    assert up.path == TMP + "/a.bin" and up.content_type == "application/x"
    with open(up.path, "rb") as f:
        assert f.read() == data
    rec = Recorder()
    fr = FormReader(boundary_of(ct), dest=lambda name, fn, ctype: "x", chunk_size=512)
    import ahttp.multipart as mp
    real_open = mp.__dict__.get("open")
    mp.open = lambda path, mode: rec
    try:
        feed_all(fr, body, step=1000)
    finally:
        if real_open is None:
            del mp.open
        else:
            mp.open = real_open
    assert rec.writes == [512] * 20


def test_files_without_a_destination_are_counted_and_dropped():
    body, ct = encode_multipart({}, {"f": ("../../etc/passwd", b"abc")})
    form = feed_all(FormReader(boundary_of(ct)), body)
    assert form.files["f"].size == 3 and form.files["f"].path is None
    assert form.files["f"].filename == "../../etc/passwd"


def test_safe_filename():
    assert safe_filename("../../etc/passwd") == "passwd"
    assert safe_filename("C:\\dir\\my file.txt") == "my_file.txt"
    assert safe_filename(".hidden") == "hidden"
    assert safe_filename("..") == "upload"


def test_read_form_through_the_server():
    app = HTTPServer(max_body=200000)

    @app.route("POST", "/up")
    async def up(reader, writer, request):
        form = await read_form(request, dest=TMP, max_size=150000)
        f = form.files["file"]
        return {"fields": form.fields, "size": f.size, "name": f.filename}

    data = b"0123456789" * 10000
    async def go():
        c = TestClient(app)
        r = await c.post("/up", form={"who": "me"}, files={"file": ("big.bin", data)})
        assert r.status == 200, r.text
        assert r.json() == {"fields": {"who": "me"}, "size": 100000, "name": "big.bin"}
        r = await c.post("/up", files={"file": ("big.bin", data + data)})
        assert r.status == 413
        r = await c.post("/up", body="x", headers={"Content-Type": "text/plain"})
        assert r.status == 415
    run(go())
    with open(TMP + "/big.bin", "rb") as f:
        assert f.read() == data


if not MICROPYTHON:
    import os
    import subprocess

    def test_multipart_tests_pass_under_micropython():
        from batteries_util import run_under_micropython
        run_under_micropython(__file__)

    # The smallest heaps at which the 1 MB upload works on this 64-bit unix
    # port: with the package and the app in a ROMFS image (the heap besides
    # it, as on a board with its code in flash), and with .mpy files loaded
    # into the heap (tools/build_mpy.py).
    UPLOAD_HEAP = {"romfs": "64k", "mpy": os.environ.get("AHTTP_UPLOAD_MPY_HEAP", "112k")}

    import pytest

    @pytest.mark.parametrize("build", ["romfs", "mpy"])
    def test_one_megabyte_upload_on_a_small_micropython_heap(start_app, tmp_path, build):
        import httpx
        from conftest import ROOT
        up = tmp_path / "up"
        up.mkdir()
        data = os.urandom(1024 * 1024)
        env = {"UPLOAD_DIR": str(up)}
        if build == "romfs":
            app = start_app("tests/apps/upload_small.py", "micropython-romfs",
                            heapsize=UPLOAD_HEAP["romfs"], env=env)
        else:
            mpy = str(tmp_path / "mpy")
            subprocess.run([sys.executable, os.path.join(ROOT, "tools", "build_mpy.py"),
                            "--out", mpy], check=True, capture_output=True, timeout=120)
            app = start_app("tests/apps/upload_small.py", "micropython",
                            heapsize=UPLOAD_HEAP["mpy"], extra_path=[mpy], env=env)
        for i in range(2):
            r = httpx.post(app.url + "/upload", data={"note": "n%d" % i},
                           files={"file": ("one.bin", data)}, timeout=60)
            assert r.status_code == 200, (r.text, app.log())
            assert r.json()["size"] == len(data) and r.json()["fields"] == {"note": "n%d" % i}
            assert (up / "one.bin").read_bytes() == data
        assert app.alive()

if __name__ == "__main__":
    main(globals())
