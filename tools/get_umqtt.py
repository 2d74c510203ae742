"""Put micropython-lib's `umqtt.simple` where the MicroPython unix port can
import it (default: .venv/mplib/umqtt/simple.py), for the MQTT tests and
examples on a PC.

On a board, `mip.install("umqtt.simple")` does this. On a PC without
access to micropython.org, PyPI's `micropython-umqtt.simple` sdist holds the
same source, but pip cannot install it (no setup.py): download the sdist
through PyPI's JSON API and unpack the module. Idempotent.

    python tools/get_umqtt.py [DIR]
"""
import io
import json
import os
import sys
import tarfile
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT = os.path.join(ROOT, ".venv", "mplib")
PACKAGE = "micropython-umqtt.simple"


def main(dest=DEFAULT):
    target = os.path.join(dest, "umqtt", "simple.py")
    if os.path.exists(target):
        return target
    with urllib.request.urlopen("https://pypi.org/pypi/%s/json" % PACKAGE, timeout=30) as r:
        meta = json.load(r)
    urls = [u["url"] for u in meta["urls"] if u["packagetype"] == "sdist"]
    if not urls:
        raise SystemExit("no sdist of %s on PyPI" % PACKAGE)
    with urllib.request.urlopen(urls[0], timeout=30) as r:
        blob = r.read()
    with tarfile.open(fileobj=io.BytesIO(blob)) as tar:
        member = next((m for m in tar.getmembers()
                       if m.name.endswith("umqtt/simple.py")), None)
        if member is None:
            raise SystemExit("umqtt/simple.py not in " + urls[0])
        src = tar.extractfile(member).read()
    os.makedirs(os.path.dirname(target), exist_ok=True)
    for name in ("umqtt/__init__.py",):
        p = os.path.join(dest, name)
        if not os.path.exists(p):
            open(p, "w").close()
    tmp = target + ".tmp"
    with open(tmp, "wb") as f:
        f.write(src)
    os.replace(tmp, target)
    return target


if __name__ == "__main__":
    print(main(*sys.argv[1:2]))
