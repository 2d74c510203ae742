"""A JSON REST API: a list of notes kept in RAM. Runs under micropython and python3.

    micropython examples/rest_api.py      # then, from another shell:

    curl -s localhost:8080/api/notes
    curl -s -d '{"title": "water the plants"}' localhost:8080/api/notes
    curl -s -X PATCH -d '{"done": true}' localhost:8080/api/notes/1
    curl -s 'localhost:8080/api/notes?done=true'
    curl -s -X DELETE localhost:8080/api/notes/1

A note is {"id": 1, "title": "...", "done": false}:

    GET    /api/notes             every note (?done=true / ?done=false filters)
    POST   /api/notes             make one from {"title", "done"?}: 201, Location
    GET    /api/notes/<id>        one note
    PUT    /api/notes/<id>        replace it ({"title", "done"?})
    PATCH  /api/notes/<id>        change some fields
    DELETE /api/notes/<id>        204

Every error answers a JSON body {"error": "..."} with its status: 400 for
a body that is not a JSON object or a field that is missing, unknown or of
the wrong type, 404 for an unknown note or path, 405 (with Allow) for a
method the path does not have, 409 when the list is full, 413 for a body
over 1 KB. The body is read as JSON whatever its Content-Type says, so
plain `curl -d` works. Ids are never reused.

Env: AHTTP_HOST, AHTTP_PORT (default 127.0.0.1:8080). A board has no
environment: there it listens on every interface, port 8080.
"""
import os
import sys

try:
    from ahttp import HTTPServer, HTTPError
except ImportError:   # run from a checkout: the package is one level up
    sys.path.insert(0, (__file__.rsplit("/", 1)[0] if "/" in __file__ else ".") + "/..")
    from ahttp import HTTPServer, HTTPError

getenv = getattr(os, "getenv", None) or {}.get    # a board's os has no getenv

# RAM bounds the list: each note costs ~150 bytes (its title and a
# two-item list); 20 of them fit beside the server in a 64 KB heap.
MAX_NOTES = 20
# a request body is buffered before it is parsed: keep the bound small
app = HTTPServer(max_body=1024)
notes = {}          # id -> [title, done]; a dict per note only on the way out
next_id = [1]


@app.errorhandler(HTTPError)
def error(request, exc):
    # the server's own refusals (404, 405, 413, bad JSON) get this too
    return {"error": exc.message}, exc.status, exc.headers


def fields(data, whole):
    """The note fields in a request's JSON; `whole`: title is required."""
    if not isinstance(data, dict):
        raise HTTPError(400, "the body must be a JSON object")
    for k in data:
        if k not in ("title", "done"):
            raise HTTPError(400, "unknown field: %s" % k)
    t = data.get("title")
    if t is None and whole:
        raise HTTPError(400, "title is required")
    if t is not None and not (isinstance(t, str) and 0 < len(t) <= 80):
        raise HTTPError(400, "title must be a string of 1 to 80 characters")
    if not isinstance(data.get("done", False), bool):
        raise HTTPError(400, "done must be true or false")
    return data


def note(i):
    n = notes[i]
    return {"id": i, "title": n[0], "done": n[1]}


def find(request):
    i = request.params["id"]
    if i not in notes:
        raise HTTPError(404, "no note %d" % i)
    return i


@app.route("GET", "/api/notes")
async def list_notes(reader, writer, request):
    done = request.args.get("done")
    if done not in (None, "true", "false"):
        raise HTTPError(400, "done must be true or false")
    # (sorted: a MicroPython dict keeps no order)
    return [note(i) for i in sorted(notes)
            if done is None or notes[i][1] == (done == "true")]


@app.route("POST", "/api/notes")
async def add_note(reader, writer, request):
    data = fields(await request.json(), True)
    if len(notes) >= MAX_NOTES:
        raise HTTPError(409, "the list is full (%d notes)" % MAX_NOTES)
    i = next_id[0]
    next_id[0] = i + 1
    notes[i] = [data["title"], data.get("done", False)]
    return note(i), 201, {"Location": "/api/notes/%d" % i}


@app.route("GET", "/api/notes/<int:id>")
async def get_note(reader, writer, request):
    return note(find(request))


@app.route(["PUT", "PATCH"], "/api/notes/<int:id>")
async def change_note(reader, writer, request):
    i = find(request)
    data = fields(await request.json(), request.method == "PUT")
    n = notes[i]
    if request.method == "PUT":
        n[1] = False
    n[0] = data.get("title", n[0])
    n[1] = data.get("done", n[1])
    return note(i)


@app.route("DELETE", "/api/notes/<int:id>")
async def delete_note(reader, writer, request):
    del notes[find(request)]
    return "", 204


# a PC: this machine only (AHTTP_HOST changes it); a board (its os has no
# getenv): every interface, as it is reached at its Wi-Fi address
host = getenv("AHTTP_HOST") or ("127.0.0.1" if hasattr(os, "getenv") else "0.0.0.0")
port = int(getenv("AHTTP_PORT") or 8080)
print("REST API on http://%s:%d/api/notes" % (host, port))
app.run(host, port)
