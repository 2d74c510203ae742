"""The in-process test client (ahttp.testing): JSON, form, cookies,
HEAD, chunked responses, SSE events, a WebSocket session. Pytest and, as a
script, MicroPython."""
import sys
try:
    import ahttp  # noqa: F401
except ImportError:
    import os
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from batteries_util import run, main, MICROPYTHON

from ahttp import HTTPServer, HTTPResponse
from ahttp.sse import EventSource
from ahttp.ws import WebSocket
from ahttp.testing import TestClient, HandshakeFailed, WebSocketClosed


def make_app():
    app = HTTPServer()

    @app.route(["POST", "PUT"], "/echo")
    async def echo(reader, writer, request):
        return {"json": await request.json(), "q": request.args}

    @app.route("POST", "/form")
    async def form(reader, writer, request):
        return await request.form()

    @app.route("GET", "/cookie")
    async def cookie(reader, writer, request):
        resp = HTTPResponse(200, "text/plain", body="set")
        resp.set_cookie("a", "1")
        resp.set_cookie("b", "2")
        return resp

    @app.route("GET", "/seen")
    async def seen(reader, writer, request):
        return request.cookies

    @app.route("GET", "/chunked")
    async def chunked(reader, writer, request):
        resp = HTTPResponse(200, "text/plain", chunked=True)
        await resp.send(writer)
        for i in range(5):
            await resp.write("part %d\n" % i)
        await resp.end()

    @app.route("GET", "/events")
    async def events(reader, writer, request):
        es = await EventSource(reader, writer)
        start = int(es.last_event_id or 0)
        for i in range(start + 1, start + 4):
            await es.send("line one\nline two %d" % i, event="tick", id=i)

    @app.route("GET", "/ws")
    async def ws(reader, writer, request):
        s = await WebSocket.accept(reader, writer, request, subprotocols=["chat"])
        async for m in s:
            if isinstance(m, str) and m == "bye":
                await s.close(4000, "done")
                break
            await s.send(m * 2 if isinstance(m, str) else bytes([m[i] for i in range(len(m) - 1, -1, -1)]))
    return app


def test_json_form_query_and_status():
    async def go():
        c = TestClient(make_app())
        r = await c.put("/echo", json={"a": [1, "é"]}, query={"x": "1 2"})
        assert r.status == 200 and r.json() == {"json": {"a": [1, "é"]}, "q": {"x": "1 2"}}
        r = await c.post("/form", form={"name": "a&b", "v": "ü"})
        assert r.json() == {"name": "a&b", "v": "ü"}
        r = await c.get("/nowhere")
        assert r.status == 404 and r.reason == "Not Found"
        r = await c.head("/seen")
        assert r.status == 200 and r.body == b"" and r.header("Content-Length")
    run(go())


def test_cookies_are_kept_and_sent():
    async def go():
        c = TestClient(make_app(), cookies={"pre": "x"})
        assert (await c.get("/seen")).json() == {"pre": "x"}
        await c.get("/cookie")
        assert c.cookies == {"pre": "x", "a": "1", "b": "2"}
        assert (await c.get("/seen")).json() == {"pre": "x", "a": "1", "b": "2"}
    run(go())


def test_chunked_response_is_decoded():
    async def go():
        r = await TestClient(make_app()).get("/chunked")
        assert r.header("Transfer-Encoding") == "chunked"
        assert r.text == "".join("part %d\n" % i for i in range(5))
    run(go())


def test_sse_events_one_by_one_and_resume():
    async def go():
        c = TestClient(make_app())
        s = await c.sse("/events")
        assert s.status == 200
        got = []
        async for ev in s:
            got.append((ev.event, ev.data, ev.id))
        await s.close()
        assert got == [("tick", "line one\nline two %d" % i, str(i)) for i in (1, 2, 3)]
        s = await c.sse("/events", last_event_id=7)
        ev = await s.next()
        assert ev.id == "8"
        await s.close()
    run(go())


def test_websocket_session():
    async def go():
        c = TestClient(make_app())
        ws = await c.websocket("/ws", subprotocols=["chat"])
        assert ws.subprotocol == "chat"
        await ws.send("ab")
        assert await ws.receive() == "abab"
        await ws.send(b"\x01\x02\x03")
        assert await ws.receive() == b"\x03\x02\x01"
        assert await ws.ping(b"hi") == b"hi"
        await ws.send("bye")
        try:
            await ws.receive()
            raise AssertionError("no close")
        except WebSocketClosed as e:
            assert e.code == 4000 and e.reason == "done"
        ws = await c.websocket("/ws")
        await ws.close()
        assert ws.close_code == 1000
        try:
            await c.websocket("/chunked")
            raise AssertionError("handshake accepted")
        except HandshakeFailed as e:
            assert e.response.status == 200
    run(go())


def test_a_handler_error_is_a_500():
    app = HTTPServer()

    @app.route("GET", "/boom")
    async def boom(reader, writer, request):
        raise RuntimeError("x")
    async def go():
        return await TestClient(app).get("/boom")
    app._log = lambda msg: None
    assert run(go()).status == 500


if not MICROPYTHON:
    def test_testing_client_tests_pass_under_micropython():
        from batteries_util import run_under_micropython
        run_under_micropython(__file__)

if __name__ == "__main__":
    main(globals())

