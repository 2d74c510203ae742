"""Regenerate the mip manifests from the files under ahttp/.

Usage: python tools/gen_mip.py [--check]

Writes, at the repository root:
  mip.json           every module of the package (ahttp/**/*.py)
  package-core.json  the async server + SSE: ahttp/__init__.py, server.py,
                     sse.py and every ahttp module they import
  package-sync.json  the blocking server: ahttp/sync.py, ahttp/__init__.py and
                     what they import at module level (written once sync.py
                     exists)

The subsets are computed from the import statements, so they follow the code
as modules are added or split. `--check` writes nothing and exits 1 if any
manifest on disk differs from what would be written. The version comes from
pyproject.toml. Other tools import the helpers here (package_files, version).
"""
import ast
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = "ahttp"


def package_files(root=ROOT, package=PACKAGE):
    """Every .py file of the package, as sorted '/'-separated paths relative
    to `root` (e.g. 'ahttp/server.py'). Caches and hidden dirs are skipped."""
    out = []
    base = os.path.join(root, package)
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames[:] = sorted(d for d in dirnames
                             if not d.startswith((".", "__pycache__")))
        for name in filenames:
            if name.endswith(".py") and not name.startswith("."):
                rel = os.path.relpath(os.path.join(dirpath, name), root)
                out.append(rel.replace(os.sep, "/"))
    return sorted(out)


def version(root=ROOT):
    """The `version = "..."` of the [project] table in pyproject.toml."""
    path = os.path.join(root, "pyproject.toml")
    in_project = False
    with open(path) as f:
        for line in f:
            s = line.strip()
            if s.startswith("["):
                in_project = s == "[project]"
            elif in_project:
                m = re.match(r'version\s*=\s*"([^"]+)"', s)
                if m:
                    return m.group(1)
    raise SystemExit("no [project] version in " + path)


def _module_name(path):
    """'ahttp/server.py' -> 'ahttp.server'; 'ahttp/__init__.py' -> 'ahttp'."""
    mod = path[:-3].replace("/", ".")
    if mod.endswith(".__init__"):
        mod = mod[:-9]
    return mod


def _imports(path, root, lazy):
    """Absolute module names imported by the file at `path` (repo-relative).

    With lazy=False, imports inside function bodies are ignored (they run only
    when that function is called: ahttp/__init__.py defers the async driver
    that way)."""
    with open(os.path.join(root, path), "rb") as f:
        tree = ast.parse(f.read(), path)
    mod = _module_name(path)
    is_pkg = path.endswith("/__init__.py")
    pkg = mod if is_pkg else mod.rpartition(".")[0]
    found = []

    def visit(node, in_func):
        for child in ast.iter_child_nodes(node):
            func = in_func or isinstance(
                child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if func and not lazy:
                continue
            if isinstance(child, ast.Import):
                found.extend(a.name for a in child.names)
            elif (isinstance(child, ast.Call) and isinstance(child.func, ast.Name)
                  and child.func.id in ("load", "cold")):
                # ahttp._compat.load("name") / cold(obj, "name", attr):
                # a lazy import of ahttp.name
                arg = child.args[0 if child.func.id == "load" else 1] \
                    if len(child.args) > (child.func.id == "cold") else None
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    found.append(mod.split(".")[0] + "." + arg.value)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    parts = pkg.split(".")
                    if child.level > 1:
                        parts = parts[:-(child.level - 1)]
                    base = ".".join(parts)
                    if child.module:
                        base = base + "." + child.module
                else:
                    base = child.module or ""
                found.append(base)
                # `from pkg import name` may name a submodule.
                found.extend(base + "." + a.name for a in child.names)
            visit(child, func)

    visit(tree, False)
    return found


def closure(roots, root=ROOT, lazy=True, files=None):
    """The package files reached from `roots` (repo-relative paths) through
    imports, plus every parent package __init__.py."""
    files = files if files is not None else package_files(root)
    by_mod = {_module_name(p): p for p in files}
    todo = [p for p in roots if p in files]
    seen = set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        mod = _module_name(path)
        # A submodule import runs each parent package's __init__ first.
        parts = mod.split(".")
        for i in range(1, len(parts)):
            parent = by_mod.get(".".join(parts[:i]))
            if parent:
                todo.append(parent)
        # ahttp/__init__.py's lazy imports belong to the async server, not
        # to whoever imports a submodule; follow them only when asked.
        follow_lazy = lazy or not path.endswith("/__init__.py")
        for name in _imports(path, root, follow_lazy):
            if name in by_mod:
                todo.append(by_mod[name])
    return sorted(seen)


def manifest(paths, ver, ext=None):
    """A mip package.json: `urls` relative to the manifest's own location."""
    urls = []
    for p in paths:
        if ext:
            p = p[:-3] + ext
        urls.append([p, p])
    return {"urls": urls, "version": ver}


def dumps(obj):
    """Stable text, one url pair per line (small diffs when files change)."""
    lines = ["{", '  "urls": [']
    urls = obj["urls"]
    for i, pair in enumerate(urls):
        lines.append("    " + json.dumps(pair) + ("," if i < len(urls) - 1 else ""))
    lines.append("  ],")
    rest = [k for k in sorted(obj) if k != "urls"]
    for i, k in enumerate(rest):
        lines.append("  %s: %s%s" % (json.dumps(k), json.dumps(obj[k]),
                                     "," if i < len(rest) - 1 else ""))
    lines.append("}")
    return "\n".join(lines) + "\n"


def variants(root=ROOT):
    """{filename: manifest dict} for every manifest that should exist."""
    files = package_files(root)
    ver = version(root)
    out = {"mip.json": manifest(files, ver)}
    p = PACKAGE + "/"
    core_roots = [p + "__init__.py", p + "server.py", p + "sse.py"]
    out["package-core.json"] = manifest(closure(core_roots, root, True, files), ver)
    if p + "sync.py" in files:
        sync_roots = [p + "__init__.py", p + "sync.py"]
        out["package-sync.json"] = manifest(
            closure(sync_roots, root, False, files), ver)
    return out


def main(argv):
    check = "--check" in argv[1:]
    stale = []
    for name, obj in sorted(variants(ROOT).items()):
        path = os.path.join(ROOT, name)
        text = dumps(obj)
        try:
            with open(path) as f:
                current = f.read()
        except OSError:
            current = None
        if current == text:
            continue
        stale.append(name)
        if not check:
            with open(path, "w") as f:
                f.write(text)
            print("wrote", name, "(%d files)" % len(obj["urls"]))
    if check and stale:
        print("stale:", ", ".join(stale), "- run: python tools/gen_mip.py")
        return 1
    if not stale:
        print("up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
