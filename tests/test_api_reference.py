"""docs/api.md and the type stubs (ahttp/*.pyi) against the code.

The package's public names are read from the code on CPython: every name a
module defines (or lists in __all__) that does not start with `_`, and every
public method and attribute of its public classes (class members, the
`self.x = ...` of their methods, and what they answer through __getattr__
from a `_cold` module, which dir() does not show; a module's names that its
own __getattr__ loads on first use too). Each one must be in
docs/api.md, in its module's (or class's) section, and in the module's
stub; every function in the stubs must exist and take the parameters the
real one takes (names, kinds, literal defaults, async or not). The
documents must not point outside the repository or at files it lacks.

Issue 19's handler-contract names (the @app.get/post/... shortcuts, which
AppCore.__getattr__ answers itself, abort, HTTPServer's options as named
keyword arguments) are checked by `test_issue_19_names_exist_as_stubbed`.
"""
import ast
import glob
import importlib
import inspect
import os
import re
import sys

import pytest

from conftest import ROOT

if ROOT not in sys.path:        # the package as it is in this checkout
    sys.path.insert(0, ROOT)

MODULES = ("ahttp", "ahttp.request", "ahttp.response", "ahttp.server",
           "ahttp.sse", "ahttp.ws", "ahttp.sync", "ahttp.auth", "ahttp.cors",
           "ahttp.session", "ahttp.template", "ahttp.multipart", "ahttp.testing",
           "ahttp.sse_client", "ahttp.mqtt_pub", "ahttp.mqtt_relay")

# the section of docs/api.md that documents a module's names
DOC_SECTION = {"ahttp.request": "ahttp", "ahttp.response": "ahttp",
               "ahttp.server": "ahttp"}
# sync classes are documented by their differences: a member found in the
# async twin's section is documented
TWINS = {"ahttp.sync": ("ahttp", "ahttp.sse", "ahttp.ws")}

# re-exported from a private module without being in __all__
RE_EXPORTS = {"ahttp.ws": ("ConnectionClosed",),
              "ahttp.sse_client": ("Event", "SSEParser", "SSEParseError")}

# public by spelling, not API (with the reason)
NOT_API = {
    ("ahttp.sync", "sleep_ms"): "time.sleep_ms, or the driver's shim of it on CPython",
}

# What a class answers through __getattr__ (ahttp._compat.cold): its cold
# module and the names. Checked below to resolve on a real object.
COLD = {
    "AppCore": ("_app_cold", ("add_routes", "errorhandler", "static", "log_access",
                              "url_for", "mount", "before_request", "after_request",
                              "run_before", "run_after") + ("get", "post", "put",
                                                            "patch", "delete")),
    "ahttp.server.HTTPServer": ("_server_cold", ("stop", "run_in_thread")),
    "ahttp.server.Stream": ("_server_cold", ("readexactly", "readline", "awrite",
                                             "wait_closed", "get_extra_info")),
    "ahttp.request.Request": ("_request_cold", ("query_string", "args", "content_length",
                                                "content_type", "client", "cookies",
                                                "keep_alive")),
    "ahttp._response.BaseResponse": ("_response_cold", ("set_header", "set_cookie",
                                                        "delete_cookie", "chunk")),
    "ahttp.ws.WebSocket": ("_ws_cold", ("receive_piece", "send_piece")),
}
COLD["ahttp._app.AppCore"] = COLD.pop("AppCore")

# Added by issue 19's handler work: checked against the code by
# test_issue_19_names_exist_as_stubbed (HTTPServer.__init__ with its
# options in any order, as the stubs make them keyword-only).
# (Stubs mirror the code: the servers' shared methods are AppCore's, in
# ahttp/_app.pyi; the async HTTPServer is in ahttp/server.pyi.) route(extension=True)
# lets an extension method through the new method check; stop() returns an
# awaitable that stops the server even when it is not awaited.
PENDING = {
    ("ahttp", "abort"),
    ("ahttp.server", "HTTPServer.stop"),
    ("ahttp.server", "HTTPServer.__init__"),
    ("ahttp.sync", "HTTPServer.__init__"),
}
SHORTCUTS = ("get", "post", "put", "patch", "delete")
for _v in SHORTCUTS + ("route", "add_route"):
    PENDING.add(("ahttp._app", "AppCore." + _v))     # both servers' base
# HTTPServer's options as named keyword arguments (both servers)
OPTIONS = ("debug", "log", "access_log", "backlog", "send_chunk", "max_request_line",
           "max_header_line", "max_headers", "max_head", "max_body", "head_timeout",
           "idle_timeout", "send_timeout", "max_connections", "read_size", "min_free")

API_MD = os.path.join(ROOT, "docs", "api.md")


def _read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def _module(name):
    return importlib.import_module(name)


def _source_path(name):
    m = _module(name)
    return m.__file__


def _stub_path(name):
    p = _source_path(name)
    return p[:-3] + ".pyi"


def _top_level_defs(tree):
    """Names bound at module level (also inside top-level if/try)."""
    out = set()

    def visit(body):
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                out.add(node.name)
            elif isinstance(node, ast.Assign):
                for t in node.targets:
                    if isinstance(t, ast.Name):
                        out.add(t.id)
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                out.add(node.target.id)
            elif isinstance(node, ast.If):
                visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)
                for h in node.handlers:
                    visit(h.body)
                visit(node.orelse)
    visit(tree.body)
    return out


def _lazy_names(m, tree):
    """Public names the module's own __getattr__ answers (loaded on first
    use, so neither dir() nor the top-level definitions show them): the
    string constants in that function which the module resolves."""
    out = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == "__getattr__":
            for c in ast.walk(node):
                if (isinstance(c, ast.Constant) and isinstance(c.value, str)
                        and c.value.isidentifier() and not c.value.startswith("_")
                        and hasattr(m, c.value)):
                    out.add(c.value)
    return out


def _builtin_members(cls):
    """Members that come from a non-ahttp base (object, Exception, OSError)."""
    out = set()
    for base in cls.__mro__:
        if not base.__module__.startswith("ahttp"):
            out.update(dir(base))
    return out


def _self_attrs(cls):
    """Public names a class and its ahttp bases assign as `self.NAME = ...`."""
    out = set()
    for base in cls.__mro__:
        if not base.__module__.startswith("ahttp"):
            continue
        try:
            src = inspect.getsource(base)
        except (OSError, TypeError):
            continue
        tree = ast.parse(_dedent(src))
        for node in ast.walk(tree):
            targets = []
            if isinstance(node, ast.Assign):
                targets = node.targets
            elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
                targets = [node.target]
            for t in targets:
                for e in (t.elts if isinstance(t, ast.Tuple) else [t]):
                    if (isinstance(e, ast.Attribute) and isinstance(e.value, ast.Name)
                            and e.value.id == "self" and not e.attr.startswith("_")):
                        out.add(e.attr)
    return out


def _dedent(src):
    lines = src.splitlines()
    n = len(lines[0]) - len(lines[0].lstrip())
    return "\n".join(line[n:] for line in lines)


def _answered(cls, name):
    """What the class's own __getattr__ answers for `name` (not from its
    cold module), on an object made without __init__; None if nothing."""
    try:
        return getattr(cls.__new__(cls), name, None)
    except Exception:
        return None


def _cold_for(cls):
    """[(cold module, names)] for a class and its bases."""
    out = []
    for base in cls.__mro__:
        key = base.__module__ + "." + base.__name__
        if key in COLD:
            out.append(COLD[key])
    return out


def public_names():
    """{module: {name: set of member names (empty for non-classes)}}."""
    out = {}
    for mod in MODULES:     # all first: ahttp.server's `asyncio` is then the module
        _module(mod)
    for mod in MODULES:
        m = _module(mod)
        tree = ast.parse(_read(_source_path(mod)))
        names = {n for n in _top_level_defs(tree) if not n.startswith("_")}
        names.update(getattr(m, "__all__", ()))
        names.update(_lazy_names(m, tree))
        names.update(RE_EXPORTS.get(mod, ()))
        names = {n for n in names if (mod, n) not in NOT_API}
        table = {}
        for n in sorted(names):
            v = getattr(m, n)
            if inspect.ismodule(v):
                continue
            members = set()
            if inspect.isclass(v):
                skip = _builtin_members(v)
                members = {a for a in dir(v) if not a.startswith("_") and a not in skip}
                members |= _self_attrs(v)
                for _, cold_names in _cold_for(v):
                    members.update(cold_names)
            table[n] = members
        out[mod] = table
    return out


PUBLIC = public_names()


def test_the_inventory_finds_the_contract_names():
    # the listing itself must see what SPEC-level users rely on
    assert {"HTTPServer", "HTTPResponse", "Request", "sendfile", "redirect",
            "HTTPError"} <= set(PUBLIC["ahttp"])
    assert {"route", "start", "run", "stop", "static", "mount", "url_for",
            "errorhandler"} <= PUBLIC["ahttp"]["HTTPServer"]
    assert {"method", "path", "query_string", "args", "params", "headers",
            "version", "client", "cookies", "content_length", "content_type",
            "read", "json", "form"} <= PUBLIC["ahttp"]["Request"]
    assert {"EventSource", "Broadcaster", "Full", "Lagged"} <= set(PUBLIC["ahttp.sse"])
    assert {"WebSocket", "ConnectionClosed"} <= set(PUBLIC["ahttp.ws"])
    assert {"HTTPServer", "HTTPResponse", "sendfile", "EventSource", "WebSocket",
            "Connection", "Broadcaster", "Full", "Lagged", "SSEError",
            "ConnectionClosed"} <= set(PUBLIC["ahttp.sync"])
    assert {"TestClient", "read_form", "Sessions", "CORS", "BasicAuth",
            "Template"} <= {n for mod in PUBLIC.values() for n in mod}


@pytest.mark.parametrize("key", sorted(COLD))
def test_cold_names_resolve_on_a_real_object(key):
    """COLD above is what the classes' __getattr__ answers: every name
    listed there is in its cold module, and every public function there
    is listed (a new one must be documented and stubbed too)."""
    mod_name, names = COLD[key]
    mod = importlib.import_module("ahttp." + mod_name)
    cls = getattr(importlib.import_module(key.rpartition(".")[0]), key.rpartition(".")[2])
    functions = {n for n, v in vars(mod).items()
                 if inspect.isfunction(v) and not n.startswith("_")
                 and v.__module__ == mod.__name__}
    for n in names:
        # in the cold module, now a method of the class itself, or
        # answered by the class's __getattr__ itself (the shortcuts)
        assert (n in functions or "get_" + n in functions
                or inspect.getattr_static(cls, n, None) is not None
                or callable(_answered(cls, n))), (key, n)
    listed = {n for _, ns in COLD.values() for n in ns}
    # called by the drivers (load(module).name(...)), not attributes
    helpers = {"origin_path", "piece_frame", "redirect", "decode_json", "utf8"}
    for f in functions:
        assert f in listed or f[4:] in listed or f in helpers, (
            "%s.%s is answered through __getattr__: list it in COLD" % (mod_name, f))


# -- docs/api.md ----------------------------------------------------------------

def _sections(text, level):
    """[(heading line, body)] for headings of `level` (## or ###)."""
    out = []
    marker = "#" * level + " "
    cur = None
    buf = []
    fenced = False
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced     # (a "# comment" in a code block is no heading)
        if line.startswith("#") and not fenced:
            hashes = len(line) - len(line.lstrip("#"))
            if hashes <= level:
                if cur is not None:
                    out.append((cur, "\n".join(buf)))
                cur = line if line.startswith(marker) else None
                buf = []
                continue
        if cur is not None:
            buf.append(line)
    if cur is not None:
        out.append((cur, "\n".join(buf)))
    return out


def _module_section(text, mod):
    for head, body in _sections(text, 2):
        if head.startswith("## `%s`" % mod):
            return head + "\n" + body
    return None


def _class_sections(module_text, cls):
    pat = re.compile(r"`(?:[\w.]*\.)?%s[`(.]" % re.escape(cls))
    return [h + "\n" + b for h, b in _sections(module_text, 3) if pat.search(h)]


def _mentions(text, name):
    """Whether `name` is a word of some code span of `text`."""
    word = re.compile(r"(?<![\w])%s\b" % re.escape(name))
    fence = re.compile(r"^```.*?^```", re.S | re.M)
    spans = fence.findall(text) + re.findall(r"`([^`]+)`", fence.sub("", text))
    return any(word.search(span) for span in spans)


def test_api_md_documents_every_public_name():
    text = _read(API_MD)
    missing = []
    for mod, table in PUBLIC.items():
        sec = DOC_SECTION.get(mod, mod)
        mod_text = _module_section(text, sec)
        assert mod_text is not None, "docs/api.md has no section ## `%s`" % sec
        twins = [_module_section(text, t) or "" for t in TWINS.get(mod, ())]
        for name, members in sorted(table.items()):
            if not _mentions(mod_text, name):
                missing.append("%s.%s" % (mod, name))
                continue
            if not members:
                continue
            class_texts = _class_sections(mod_text, name)
            for t in twins:
                class_texts += _class_sections(t, name)
            if not class_texts:
                missing.append("%s: no ### section for `%s`" % (sec, name))
                continue
            for member in sorted(members):
                if not any(_mentions(t, member) for t in class_texts):
                    missing.append("%s.%s.%s" % (mod, name, member))
    assert not missing, "not in docs/api.md:\n  " + "\n  ".join(missing)


def test_api_md_documents_the_issue_19_names():
    text = _read(API_MD)
    server = _class_sections(_module_section(text, "ahttp"), "HTTPServer")
    assert server
    for v in ("get", "post", "put", "patch", "delete"):
        assert any(_mentions(t, v) for t in server), v
    for opt in OPTIONS + ("threads", "thread_stack"):
        assert _mentions(text, opt), opt
    assert _mentions(_module_section(text, "ahttp"), "abort")


# -- stubs ----------------------------------------------------------------------

def _stubs():
    """{module: ast.Module} for every module's .pyi (next to its .py), and
    the private modules' stubs the public ones build on (AppCore...)."""
    out = {}
    private = sorted("ahttp." + os.path.basename(p)[:-4]
                     for p in glob.glob(os.path.join(ROOT, "ahttp", "_*.pyi"))
                     if not p.endswith("__init__.pyi"))
    for mod in MODULES + tuple(private):
        path = _stub_path(mod)
        if os.path.exists(path):    # (a missing one fails the tests below)
            out[mod] = ast.parse(_read(path), path)
    return out


def _stub_names(tree):
    """Top-level names of a stub, with `from .x import Y as Y` re-exports
    as {name: (module, name)} beside."""
    names = _top_level_defs(tree)
    imported = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module != "typing":
            for a in node.names:
                if a.asname == a.name:          # an explicit re-export
                    names.add(a.name)
                imported[a.asname or a.name] = (node.level, node.module, a.name)
    return names, imported


def _stub_module(mod, level, module):
    if not level:
        return module
    base = mod if _source_path(mod).endswith("__init__.py") else mod.rpartition(".")[0]
    for _ in range(level - 1):
        base = base.rpartition(".")[0]
    return base + ("." + module if module else "")


def _stub_classes(stubs):
    """{(module, class): (ClassDef, [(module, base name)])}."""
    out = {}
    for mod, tree in stubs.items():
        _, imported = _stub_names(tree)
        local = {n.name for n in tree.body if isinstance(n, ast.ClassDef)}
        for node in tree.body:
            if not isinstance(node, ast.ClassDef):
                continue
            bases = []
            for b in node.bases:
                if isinstance(b, ast.Name):
                    if b.id in local:
                        bases.append((mod, b.id))
                    elif b.id in imported:
                        level, module, name = imported[b.id]
                        bases.append((_stub_module(mod, level, module), name))
            out[(mod, node.name)] = (node, bases)
    return out


def _class_body_names(node):
    out = set()
    for n in node.body:
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
            out.add(n.name)
        elif isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name):
            out.add(n.target.id)
        elif isinstance(n, ast.Assign):
            out.update(t.id for t in n.targets if isinstance(t, ast.Name))
    return out


def _resolve(classes, mod, name, stubs):
    """The stub ClassDef for `name` as seen from module `mod` (following
    re-exports), and its module."""
    if (mod, name) in classes:
        return mod, name
    _, imported = _stub_names(stubs[mod])
    if name in imported:
        level, module, orig = imported[name]
        target = _stub_module(mod, level, module)
        if target in stubs:
            return _resolve(classes, target, orig, stubs)
    return None


def _members(classes, key, stubs, seen=()):
    node, bases = classes[key]
    out = _class_body_names(node)
    for b in bases:
        r = _resolve(classes, b[0], b[1], stubs) if b[0] in stubs else None
        if r is not None and r not in seen:
            out |= _members(classes, r, stubs, seen + (key,))
    return out


STUBS = _stubs()
CLASSES = _stub_classes(STUBS)


def test_stubs_declare_every_public_name():
    missing = []
    for mod, table in PUBLIC.items():
        if mod not in STUBS:
            missing.append("%s: no stub %s" % (mod, os.path.relpath(_stub_path(mod), ROOT)))
            continue
        names, _ = _stub_names(STUBS[mod])
        for name, members in sorted(table.items()):
            if name not in names:
                missing.append("%s.%s" % (mod, name))
                continue
            if not members:
                continue
            key = _resolve(CLASSES, mod, name, STUBS)
            if key is None:
                missing.append("%s.%s: not a class in the stubs" % (mod, name))
                continue
            have = _members(CLASSES, key, STUBS)
            missing += ["%s.%s.%s" % (mod, name, m) for m in sorted(members - have)]
    assert not missing, "not in the stubs:\n  " + "\n  ".join(missing)


def _params(args):
    """[(name, kind, default node or None)] of an ast.arguments."""
    out = []
    pos = list(args.posonlyargs) + list(args.args)
    defaults = [None] * (len(pos) - len(args.defaults)) + list(args.defaults)
    for a, d in zip(args.posonlyargs, defaults):
        out.append((a.arg, "POSITIONAL_ONLY", d))
    for a, d in zip(args.args, defaults[len(args.posonlyargs):]):
        out.append((a.arg, "POSITIONAL_OR_KEYWORD", d))
    if args.vararg:
        out.append((args.vararg.arg, "VAR_POSITIONAL", None))
    for a, d in zip(args.kwonlyargs, args.kw_defaults):
        out.append((a.arg, "KEYWORD_ONLY", d))
    if args.kwarg:
        out.append((args.kwarg.arg, "VAR_KEYWORD", None))
    return out


def _decorators(node):
    return {d.id for d in node.decorator_list if isinstance(d, ast.Name)}


def _stub_functions():
    """[(module, qualified name, FunctionDef, class key or None)]."""
    out = []
    for mod, tree in STUBS.items():
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                out.append((mod, node.name, node, None))
            elif isinstance(node, ast.ClassDef):
                for n in node.body:
                    if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
                        out.append((mod, node.name + "." + n.name, n, (mod, node.name)))
    return out


def _runtime(mod, qualname):
    """The real function for a stub's `name` or `Class.method` (a cold
    method as the function in its cold module), and whether its first
    parameter is the object (to drop)."""
    m = _module(mod)
    if "." not in qualname:
        return getattr(m, qualname, None), False
    cls_name, meth = qualname.split(".")
    cls = getattr(m, cls_name, None)
    if cls is None:
        return None, False
    f = inspect.getattr_static(cls, meth, None)
    if f is not None:
        if isinstance(f, classmethod):
            return f.__func__, True
        if isinstance(f, staticmethod):
            return f.__func__, False
        return f, True
    for mod_name, names in _cold_for(cls):
        if meth in names:
            cm = importlib.import_module("ahttp." + mod_name)
            f = getattr(cm, meth, None)
            if f is not None:
                return f, True
            # answered by __getattr__ itself (@app.get...): the bound callable
            return _answered(cls, meth), False
    return None, False


def _signature_problems(mod, qualname, node, strict=True):
    """What differs between a stub's function and the code's. With strict
    False (keyword options), the parameters' order and kinds may differ."""
    if "property" in _decorators(node):
        return []
    f, bound = _runtime(mod, qualname)
    if f is None:
        return ["%s.%s: no such function in the code" % (mod, qualname)]
    if not callable(f):
        return ["%s.%s: not callable in the code" % (mod, qualname)]
    try:
        sig = inspect.signature(f)
    except (TypeError, ValueError):
        return []       # a builtin slot (object.__init__...)
    real = [(p.name, p.kind.name, p.default) for p in sig.parameters.values()]
    stub = _params(node.args)
    if bound:
        real = real[1:]
    if qualname.count(".") and not ({"staticmethod"} & _decorators(node)):
        stub = stub[1:]         # self / cls
    problems = []
    if not strict:
        real = sorted(p for p in real if p[1] != "VAR_KEYWORD")
        stub = sorted((p for p in stub if p[1] != "VAR_KEYWORD"), key=lambda p: p[0])
        real = [(n, "", d) for n, _, d in real]
        stub = [(n, "", d) for n, _, d in stub]
    if [(n, k) for n, k, _ in real] != [(n, k) for n, k, _ in stub]:
        problems.append("%s.%s: stub (%s) != code (%s)" % (
            mod, qualname, ", ".join(n for n, _, _ in stub), ", ".join(n for n, _, _ in real)))
        return problems
    for (n, _, rd), (_, _, sd) in zip(real, stub):
        if sd is None:
            if rd is not inspect.Parameter.empty:
                problems.append("%s.%s: %s has a default in the code" % (mod, qualname, n))
            continue
        if isinstance(sd, ast.Constant) and sd.value is Ellipsis:
            continue
        try:
            want = ast.literal_eval(sd)
        except ValueError:
            continue
        if want != rd:
            problems.append("%s.%s: %s=%r in the stub, %r in the code" % (
                mod, qualname, n, want, rd))
    is_async = isinstance(node, ast.AsyncFunctionDef)
    if is_async != inspect.iscoroutinefunction(f):
        problems.append("%s.%s: async in %s only" % (
            mod, qualname, "the stub" if is_async else "the code"))
    return problems


def test_stub_signatures_match_the_code():
    problems = []
    for mod, qualname, node, _ in _stub_functions():
        if (mod, qualname) in PENDING:
            continue
        problems += _signature_problems(mod, qualname, node)
    assert not problems, "\n  ".join([""] + problems)


def test_stubs_name_nothing_the_code_lacks():
    extra = []
    for mod, tree in STUBS.items():
        m = _module(mod)
        names, _ = _stub_names(tree)
        for n in sorted(names):
            if n.startswith("_") or (mod, n) in PENDING:
                continue
            if not hasattr(m, n):
                extra.append("%s.%s" % (mod, n))
    assert not extra, "stubbed but not in the code: " + ", ".join(extra)


def test_issue_19_names_exist_as_stubbed():
    """Issue 19's handler work: the HTTP-method shortcuts on both servers, `from ahttp import abort`, and HTTPServer's
    options as named keyword arguments, as the stubs declare them."""
    problems = []
    found = {(mod, q): node for mod, q, node, _ in _stub_functions()}
    for key in sorted(PENDING):
        assert key in found, "%s.%s is not stubbed" % key
        problems += _signature_problems(key[0], key[1], found[key],
                                        not key[1].endswith(".__init__"))
    for mod in ("ahttp", "ahttp.sync"):
        params = inspect.signature(_module(mod).HTTPServer.__init__).parameters
        problems += ["%s.HTTPServer(%s=...) is not a named keyword argument" % (mod, o)
                     for o in OPTIONS if o not in params]
    assert not problems, "\n  ".join([""] + problems)


def test_stubs_are_not_installed_on_boards_but_ship_with_pip():
    import json
    for name in ("mip.json", "package-core.json", "package-sync.json"):
        urls = json.loads(_read(os.path.join(ROOT, name)))["urls"]
        assert not [u for u in urls if u[0].endswith(".pyi")], name
    # manifest.py's package("ahttp") freezes .py files only; pip ships the
    # stubs and the PEP 561 marker
    pyproject = _read(os.path.join(ROOT, "pyproject.toml"))
    assert re.search(r'"ahttp"\s*=\s*\[[^\]]*"\*\.pyi"', pyproject)
    assert re.search(r'"ahttp"\s*=\s*\[[^\]]*"py\.typed"', pyproject)
    assert os.path.exists(os.path.join(ROOT, "ahttp", "py.typed"))
    for mod in MODULES:
        assert os.path.exists(_stub_path(mod))


# -- pointers -------------------------------------------------------------------

DOCS = ["README.md"] + sorted(os.path.relpath(p, ROOT)
                              for p in glob.glob(os.path.join(ROOT, "docs", "*.md")))
_PATH = re.compile(r"`((?:docs|tests|examples|tools|ahttp|bench|scripts|fuzz)/[^`\s]*)`")


def test_readme_links_the_api_reference():
    assert "](docs/api.md)" in _read(os.path.join(ROOT, "README.md"))


@pytest.mark.parametrize("doc", DOCS)
def test_documents_point_only_inside_the_repository(doc):
    path = os.path.join(ROOT, doc)
    text = _read(path)
    assert "../shared" not in text and "commit message" not in text
    bad = []
    for m in re.finditer(r"\]\(([^)\s]+)\)", text):
        target = m.group(1).split("#")[0]
        if not target or "://" in target or target.startswith("mailto:"):
            continue
        p = os.path.normpath(os.path.join(os.path.dirname(path), target))
        if not p.startswith(ROOT + os.sep) or not os.path.exists(p):
            bad.append(m.group(1))
    for m in _PATH.finditer(text):
        p = re.split(r"[:\[(]", m.group(1))[0].rstrip(".,")
        if "<" in p or p.endswith(".mpy"):
            continue        # a placeholder, or a build product (dist/mpy/)
        full = os.path.join(ROOT, p)
        if not (glob.glob(full) if "*" in p else os.path.exists(full)):
            bad.append(m.group(1))
    assert not bad, "%s points at what the repository lacks: %s" % (doc, bad)


def test_code_and_examples_name_only_existing_docs():
    bad = []
    for path in (glob.glob(os.path.join(ROOT, "ahttp", "*.py"))
                 + glob.glob(os.path.join(ROOT, "examples", "*.py"))
                 + glob.glob(os.path.join(ROOT, "tests", "*.py"))):
        for ref in re.findall(r"\bdocs/[\w/-]+\.(?:md|diff|txt)", _read(path)):
            if not os.path.exists(os.path.join(ROOT, ref)):
                bad.append("%s: %s" % (os.path.relpath(path, ROOT), ref))
    assert not bad, bad
