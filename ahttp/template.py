"""A tiny template engine: compiled once to a Python generator, rendered by
streaming pieces to the client (the page is never whole in RAM).

One job: template text in, pieces of output out. The compiled form is
Python source run through compile()/exec() (both exist on MicroPython);
rendering is a plain generator, so the async driver (render), the blocking
one (render_sync) and tests (render_str) share it. No I/O but reading
template files.

Syntax:
    {{ expr }}          a Python expression, HTML-escaped
    {{! expr }}         the same, not escaped (trusted HTML only)
    {% if expr %} ... {% elif expr %} ... {% else %} ... {% endif %}
    {% for name in expr %} ... {% endfor %}      (names: "a" or "k, v")
    {% include "other.html" %}                   (same context)
    {# a comment #}
A block tag alone on its line leaves no blank line behind. Expressions see
the context's names (and Python's builtins). Errors name the template and
its line: TemplateError("page.html:12: NameError: ...").
"""


class TemplateError(Exception):
    """A template that does not compile or fails while rendering. `name`,
    `line`, `message`; `error` is the original exception (rendering)."""

    def __init__(self, name, line, message, error=None):
        super().__init__("%s:%d: %s" % (name, line, message))
        self.name = name
        self.line = line
        self.message = message
        self.error = error


def escape(value):
    """str(value) with & < > " ' escaped for HTML text and attributes."""
    s = value if isinstance(value, str) else str(value)
    if "&" in s:
        s = s.replace("&", "&amp;")
    if "<" in s:
        s = s.replace("<", "&lt;")
    if ">" in s:
        s = s.replace(">", "&gt;")
    if '"' in s:
        s = s.replace('"', "&quot;")
    if "'" in s:
        s = s.replace("'", "&#39;")
    return s


def _err(name):
    def wrap(exc, line):
        if isinstance(exc, TemplateError):
            return exc
        return TemplateError(name, line, "%s: %s" % (type(exc).__name__, exc), exc)
    return wrap


def _isname(s):
    if not s or not (s[0].isalpha() or s[0] == "_"):
        return False
    for c in s:
        if not (c.isalpha() or c.isdigit() or c == "_"):
            return False
    return True


class _Compiler:
    def __init__(self, name):
        self.name = name
        self.code = []
        self.stack = []       # open blocks: [kind, line]
        self.globals = []     # loop variables (declared global: see below)

    def fail(self, line, msg):
        raise TemplateError(self.name, line, msg)

    def emit(self, s):
        self.code.append("  " * (len(self.stack) + 2) + s)

    def expr(self, text, line):
        text = text.strip()
        if not text:
            self.fail(line, "empty expression")
        try:
            compile(text, self.name, "eval")
        except SyntaxError:
            self.fail(line, "invalid expression: " + text)
        return text

    def text(self, s):
        if s:
            self.emit("yield " + repr(s))

    def output(self, body, line):
        raw = body[:1] == "!"
        e = self.expr(body[1:] if raw else body, line)
        self.emit("_ln = %d" % line)
        self.emit("yield " + ("str(%s)" if raw else "_e(%s)") % e)

    def tag(self, body, line):
        body = body.strip()
        i = body.find(" ")
        word = body if i < 0 else body[:i]
        rest = "" if i < 0 else body[i + 1:].strip()
        stack = self.stack
        if word == "if":
            c = self.expr(rest, line)
            self.emit("_ln = %d" % line)
            self.emit("if %s:" % c)
            stack.append(["if", line])
            self.emit("pass")
        elif word in ("elif", "else"):
            if not stack or stack[-1][0] not in ("if", "elif"):
                self.fail(line, "{%% %s %%} without {%% if %%}" % word)
            stack.pop()
            if word == "elif":
                c = self.expr(rest, line)
                self.emit("elif (_ln := %d) and (%s):" % (line, c))
            else:
                if rest:
                    self.fail(line, "{% else %} takes nothing")
                self.emit("else:")
            stack.append([word, line])
            self.emit("pass")
        elif word == "for":
            j = rest.find(" in ")
            if j < 0:
                self.fail(line, "expected {% for name in expr %}")
            names = [n.strip() for n in rest[:j].strip().strip("()").split(",")]
            for n in names:
                if not _isname(n):
                    self.fail(line, "bad loop variable: " + rest[:j].strip())
                if n not in self.globals:
                    self.globals.append(n)
            it = self.expr(rest[j + 4:], line)
            self.emit("_ln = %d" % line)
            self.emit("for %s in %s:" % (", ".join(names), it))
            stack.append(["for", line])
            self.emit("pass")
        elif word in ("endif", "endfor"):
            want = word[3:]
            if not stack or (stack[-1][0] != want and not (
                    want == "if" and stack[-1][0] in ("elif", "else"))):
                self.fail(line, "{%% %s %%} without {%% %s %%}" % (word, want))
            stack.pop()
        elif word == "include":
            if len(rest) < 2 or rest[0] not in "\"'" or rest[-1] != rest[0]:
                self.fail(line, 'expected {% include "name" %}')
            self.emit("_ln = %d" % line)
            self.emit("yield from _inc(%r)" % rest[1:-1])
        else:
            self.fail(line, "unknown tag: {%% %s %%}" % word)

    def source(self):
        if self.stack:
            kind, line = self.stack[-1]
            self.fail(line, "{%% %s %%} is never closed" % kind)
        head = ["def _r():"]
        if self.globals:
            # Loop variables live in the context dict (the globals), so an
            # included template sees them too.
            head.append("  global " + ", ".join(self.globals))
        head += ["  _ln = 0", "  yield ''", "  try:"]
        tail = ["  except Exception as _x:", "    raise _err(_x, _ln)"]
        return "\n".join(head + self.code + ["    pass"] + tail) + "\n"


def compile_template(source, name="<template>"):
    """Python source for `source` (the template text): defines `_r()`."""
    c = _Compiler(name)
    pos = 0
    line = 1
    n = len(source)
    line_start = True       # nothing but blanks since the last newline
    while pos < n:
        i = source.find("{", pos)
        while i >= 0 and i + 1 < n and source[i + 1] not in "{%#":
            i = source.find("{", i + 1)
        if i < 0 or i + 1 >= n:
            c.text(source[pos:])
            break
        kind = source[i + 1]
        close = {"{": "}}", "%": "%}", "#": "#}"}[kind]
        j = source.find(close, i + 2)
        tag_line = line + source.count("\n", pos, i)
        if j < 0:
            c.fail(tag_line, "unclosed " + source[i:i + 2])
        text = source[pos:i]
        block = kind != "{"
        if block:
            # a block tag alone on its line: drop the blanks before it
            k = text.rfind("\n")
            tail = text[k + 1:]
            if not tail.strip(" \t") and (k >= 0 or line_start):
                text = text[:k + 1]
        c.text(text)
        body = source[i + 2:j]
        if kind == "{":
            c.output(body, tag_line)
        elif kind == "%":
            c.tag(body, tag_line)
        line = tag_line + body.count("\n")
        pos = j + 2
        line_start = False
        if block and source[pos:pos + 1] == "\n":
            pos += 1         # ...and the newline after it
            line += 1
            line_start = True
    return c.source()


class Template:
    """A compiled template. `Template(source, name)`, or from a file with
    Templates(directory).get(name). Render with render (async), render_sync,
    render_str or generate."""

    def __init__(self, source, name="<template>", loader=None):
        self.name = name
        self.loader = loader
        self.code = compile(compile_template(source, name), name, "exec")

    def generate(self, context=None, **kw):
        """The output as a generator of str pieces."""
        g = dict(context) if context else {}
        if kw:
            g.update(kw)
        return self._gen(g)

    def _gen(self, g):
        g["_e"] = escape
        g["_err"] = _err(self.name)
        loader = self.loader
        g["_inc"] = lambda name: loader.get(name)._gen(g) if loader else _no_loader(name)
        exec(self.code, g)
        return g["_r"]()

    def render_str(self, context=None, **kw):
        """The whole output as one str (small pages, tests)."""
        return "".join(self.generate(context, **kw))

    async def render(self, out, context=None, buffer=512, **kw):
        """Stream the output to `out`: an HTTPResponse whose head was sent
        (its async write(), chunked when the response is) or a stream writer
        (write() + drain()). Pieces are gathered up to `buffer` bytes per
        write."""
        drain = getattr(out, "drain", None)
        parts = []
        size = 0
        for piece in self.generate(context, **kw):
            if not piece:
                continue
            b = piece.encode()
            parts.append(b)
            size += len(b)
            if size >= buffer:
                data = b"".join(parts)
                parts = []
                size = 0
                if drain is not None:
                    out.write(data)
                    await drain()
                else:
                    await out.write(data)
        if parts:
            data = b"".join(parts)
            if drain is not None:
                out.write(data)
                await drain()
            else:
                await out.write(data)

    def render_sync(self, out, context=None, buffer=512, **kw):
        """render() for the blocking driver: out.write(bytes) calls."""
        parts = []
        size = 0
        for piece in self.generate(context, **kw):
            if piece:
                b = piece.encode()
                parts.append(b)
                size += len(b)
                if size >= buffer:
                    out.write(b"".join(parts))
                    parts = []
                    size = 0
        if parts:
            out.write(b"".join(parts))


def _no_loader(name):
    raise ValueError("{% include %} needs a template loaded through Templates")


class Templates:
    """Templates in a directory, compiled on first use and kept:
    `Templates("templates").get("page.html")`. `{% include %}` names are
    relative to the same directory."""

    def __init__(self, directory=".", cache=True):
        self.directory = directory.rstrip("/") or "/"
        self.cache = {} if cache else None

    def get(self, name):
        t = self.cache.get(name) if self.cache is not None else None
        if t is None:
            if ".." in name.split("/"):
                raise ValueError("template name outside the directory: " + name)
            with open(self.directory + "/" + name) as f:
                source = f.read()
            t = Template(source, name, self)
            if self.cache is not None:
                self.cache[name] = t
        return t
