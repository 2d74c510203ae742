"""A login-protected settings page: a form, a file upload, a session cookie.

    micropython examples/settings_login.py   # http://127.0.0.1:8080/ (admin / admin)

Shows the batteries together: ahttp.session (signed cookie), ahttp.auth
(constant-time password check, and Basic auth for the JSON API),
ahttp.multipart (streamed upload to UPLOAD_DIR), ahttp.template (streamed
pages) and a before_request hook that sends visitors without a session
to the login page. Uploads need the body limit
raised: HTTPServer(max_body=...).
"""
import os
import sys

try:
    from ahttp import HTTPServer, HTTPResponse, redirect
except ImportError:   # run from a checkout: the package is one level up
    sys.path.insert(0, (__file__.rsplit("/", 1)[0] if "/" in __file__ else ".") + "/..")
    from ahttp import HTTPServer, HTTPResponse, redirect
from ahttp.auth import BasicAuth, equal
from ahttp.multipart import read_form
from ahttp.session import Sessions
from ahttp.template import Template

getenv = getattr(os, "getenv", None) or {}.get    # a board's os has no getenv

USER = getenv("APP_USER") or "admin"
PASSWORD = getenv("APP_PASSWORD") or "admin"
SECRET = getenv("APP_SECRET") or "change me: a long random secret"
UPLOAD_DIR = getenv("UPLOAD_DIR") or "uploads"

app = HTTPServer(max_body=1024 * 1024 + 4096)   # room for a 1 MB upload
sessions = Sessions(SECRET, max_age=3600, same_site="Strict")
api_auth = BasicAuth({USER: PASSWORD}, realm="settings API")
settings = {"device": "board-1", "interval": 5, "led": False}
uploads = []

try:
    os.mkdir(UPLOAD_DIR)
except OSError:
    pass

LAYOUT_TOP = """<!doctype html><html><head><meta charset="utf-8">
<title>{{ title }}</title></head><body>
"""
LOGIN = Template(LAYOUT_TOP + """<h1>Log in</h1>
{% if error %}<p id="error">{{ error }}</p>{% endif %}
<form method="post" action="/login">
<label>User <input name="user" id="user"></label>
<label>Password <input name="password" id="password" type="password"></label>
<button id="login">Log in</button>
</form></body></html>
""", "login.html")
SETTINGS = Template(LAYOUT_TOP + """<h1>Settings</h1>
<p>Logged in as <b id="who">{{ user }}</b>.
<form method="post" action="/logout" style="display:inline"><button id="logout">Log out</button></form></p>
<form method="post" action="/settings" id="settings">
<label>Device name <input name="device" id="device" value="{{ s['device'] }}"></label>
<label>Interval (s) <input name="interval" id="interval" value="{{ s['interval'] }}"></label>
<label><input type="checkbox" name="led" id="led"{% if s['led'] %} checked{% endif %}> LED</label>
<button id="save">Save</button>
</form>
<h2>Upload</h2>
<form method="post" action="/upload" enctype="multipart/form-data">
<input type="file" name="file" id="file"> <input name="note" id="note" placeholder="note">
<button id="upload">Upload</button>
</form>
<ul id="uploads">
{% for u in uploads %}  <li>{{ u['filename'] }} ({{ u['size'] }} bytes){% if u['note'] %}: {{ u['note'] }}{% endif %}</li>
{% endfor %}</ul>
</body></html>
""", "settings.html")


@app.before_request
def require_login(request):
    if request.path in ("/login", "/api/settings"):
        return None
    if sessions.load(request).get("user") is None:
        return redirect("/login", 303)


async def page(writer, template, **context):
    resp = HTTPResponse(200, "text/html; charset=utf-8", chunked=True)
    await resp.send(writer)
    await template.render(resp, **context)
    await resp.end()


@app.route("GET", "/")
async def index(reader, writer, request):
    return redirect("/settings", 303)


@app.route("GET", "/login")
async def login_form(reader, writer, request):
    await page(writer, LOGIN, title="Log in", error=None)


@app.route("POST", "/login")
async def login(reader, writer, request):
    form = await request.form()
    ok_user = equal(form.get("user", ""), USER)
    ok_password = equal(form.get("password", ""), PASSWORD)
    if not (ok_user and ok_password):
        return LOGIN.render_str(title="Log in", error="Wrong user or password"), 401
    s = sessions.load(request)
    s["user"] = USER
    resp = redirect("/settings", 303)
    sessions.save(resp, s)
    return resp


@app.route("POST", "/logout")
async def logout(reader, writer, request):
    s = sessions.load(request)
    s.clear()
    resp = redirect("/login", 303)
    sessions.save(resp, s)
    return resp


@app.route("GET", "/settings")
async def show(reader, writer, request):
    await page(writer, SETTINGS, title="Settings", user=sessions.load(request)["user"],
               s=settings, uploads=uploads)


@app.route("POST", "/settings")
async def save(reader, writer, request):
    form = await request.form()
    settings["device"] = form.get("device", settings["device"])[:32]
    try:
        settings["interval"] = max(1, min(3600, int(form.get("interval", "5"))))
    except ValueError:
        return "interval must be a number", 400
    settings["led"] = "led" in form
    return redirect("/settings", 303)


@app.route("POST", "/upload")
async def upload(reader, writer, request):
    form = await read_form(request, dest=UPLOAD_DIR, max_size=1024 * 1024 + 4096,
                           max_parts=4)
    f = form.files.get("file")
    if f is not None and f.filename:
        uploads.append({"filename": f.filename, "size": f.size,
                        "note": form.fields.get("note", "")})
    return redirect("/settings", 303)


@app.route("GET", "/api/settings")
@api_auth.required
async def api_settings(reader, writer, request):
    return settings


# a PC: this machine only (AHTTP_HOST changes it); a board (its os has no
# getenv): every interface, as it is reached at its Wi-Fi address
host = getenv("AHTTP_HOST") or ("127.0.0.1" if hasattr(os, "getenv") else "0.0.0.0")
port = int(getenv("AHTTP_PORT") or 8080)
print("serving on http://%s:%d/ (user %s)" % (host, port, USER))
app.run(host, port)
