"""The template engine (ahttp.template): syntax, escaping, includes,
errors with the template line, streaming output. Pytest and, as a script,
MicroPython."""
import sys
try:
    import ahttp  # noqa: F401
except ImportError:
    import os
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from batteries_util import run, main, MICROPYTHON

from ahttp import HTTPServer, HTTPResponse
from ahttp.template import Template, Templates, TemplateError, escape
from ahttp.testing import TestClient

TMP = "/tmp/ahttp-template-test-%d" % id(run)


def expect_error(source, line, words, **ctx):
    try:
        Template(source, "t.html").render_str(**ctx)
    except TemplateError as e:
        assert e.line == line and e.name == "t.html", (str(e), line)
        assert words in str(e), (str(e), words)
        return
    raise AssertionError("no error for %r" % source)


def test_expressions_are_escaped_and_raw_output_is_not():
    t = Template("<p title=\"{{ a }}\">{{ b }}{{! c }}</p>")
    assert t.render_str(a='x"y', b="<&'>", c="<i>") == \
        "<p title=\"x&quot;y\">&lt;&amp;&#39;&gt;<i></p>"
    assert escape(5) == "5"


def test_if_elif_else():
    t = Template("{% if n > 1 %}many{% elif n == 1 %}one{% else %}none{% endif %}")
    assert [t.render_str(n=i) for i in (0, 1, 2)] == ["none", "one", "many"]


def test_for_loops_nest_and_unpack():
    t = Template("{% for k, vs in rows %}{{ k }}:{% for v in vs %}[{{ v }}]{% endfor %};{% endfor %}")
    assert t.render_str(rows=[("a", [1, 2]), ("b", [])]) == "a:[1][2];b:;"


def test_block_tags_alone_on_a_line_leave_no_blank_lines():
    src = "<ul>\n  {% for x in xs %}\n  <li>{{ x }}</li>\n  {% endfor %}\n</ul>\n{# note #}\nend"
    assert Template(src).render_str(xs=[1, 2]) == "<ul>\n  <li>1</li>\n  <li>2</li>\n</ul>\nend"


def test_text_with_braces_is_kept():
    assert Template("a { b } {x} }} %}").render_str() == "a { b } {x} }} %}"


def test_compile_errors_point_to_the_line():
    expect_error("a\n\n{% if x %}\nb", 3, "never closed")
    expect_error("a\n{% endfor %}", 2, "without")
    expect_error("a\nb\n{{ 1 + }}", 3, "invalid expression")
    expect_error("{% while 1 %}", 1, "unknown tag")
    expect_error("x\n{{ a", 2, "unclosed")
    expect_error("{% else %}", 1, "without")
    expect_error("\n{% for 1 in x %}{% endfor %}", 2, "bad loop variable")


def test_render_errors_point_to_the_line():
    expect_error("ok\n{{ 1 // n }}", 2, "ZeroDivisionError", n=0)
    expect_error("a\nb\n{% for x in missing %}{% endfor %}", 3, "NameError")
    expect_error("{% if 0 %}\n{% elif boom %}\n{% endif %}", 2, "NameError")


class Sink:
    """A stream writer that records every write."""

    def __init__(self):
        self.writes = []

    def write(self, data):
        self.writes.append(bytes(data))

    async def drain(self):
        pass


def test_render_streams_in_bounded_pieces():
    t = Template("{% for i in range(n) %}<p>row {{ i }}</p>\n{% endfor %}")
    sink = Sink()
    run(t.render(sink, n=500, buffer=256))
    data = b"".join(sink.writes)
    assert data == t.render_str(n=500).encode()
    assert len(sink.writes) > 20
    assert max(len(w) for w in sink.writes) < 256 + 40
    sync = Sink()
    t.render_sync(sync, n=50, buffer=100)
    assert b"".join(sync.writes) == t.render_str(n=50).encode() and len(sync.writes) > 5


def _write(path, text):
    with open(path, "w") as f:
        f.write(text)


def test_includes_share_the_context_and_loop_variables():
    import os
    try:
        os.mkdir(TMP)
    except OSError:
        pass
    _write(TMP + "/page.html", "<h1>{{ title }}</h1>\n{% for it in items %}{% include \"item.html\" %}{% endfor %}")
    _write(TMP + "/item.html", "<li>{{ it }}/{{ title }}</li>")
    _write(TMP + "/bad.html", "x\n{% include \"broken.html\" %}")
    _write(TMP + "/broken.html", "1\n2\n{{ nope }}")
    ts = Templates(TMP)
    assert ts.get("page.html").render_str(title="T", items=["a", "<b>"]) == \
        "<h1>T</h1>\n<li>a/T</li><li>&lt;b&gt;/T</li>"
    assert ts.get("page.html") is ts.get("page.html")
    try:
        ts.get("bad.html").render_str()
        raise AssertionError("no error")
    except TemplateError as e:
        assert e.name == "broken.html" and e.line == 3, str(e)


def test_a_page_streamed_by_the_server():
    app = HTTPServer()
    page = Template("<title>{{ t }}</title>{% for i in range(200) %}<p>{{ i }}</p>{% endfor %}")

    @app.route("GET", "/")
    async def index(reader, writer, request):
        resp = HTTPResponse(200, "text/html; charset=utf-8", chunked=True)
        await resp.send(writer)
        await page.render(resp, t="<x>")
        await resp.end()

    async def go():
        return await TestClient(app).get("/")
    r = run(go())
    assert r.status == 200 and r.header("Transfer-Encoding") == "chunked"
    assert r.text == page.render_str(t="<x>") and r.text.startswith("<title>&lt;x&gt;")


if not MICROPYTHON:
    def test_template_tests_pass_under_micropython():
        from batteries_util import run_under_micropython
        run_under_micropython(__file__)

if __name__ == "__main__":
    main(globals())

