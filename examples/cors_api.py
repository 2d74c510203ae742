"""A CORS-enabled JSON API, and a page on another origin that calls it.

    micropython examples/cors_api.py    # API on :8080, the page on :8081

The API (AHTTP_PORT, default 8080) allows the page's origin (the same host
on AHTTP_UI_PORT, default AHTTP_PORT + 1) with credentials: the browser
sends a preflight for the JSON POST, and reads the X-Total header it is
allowed to see. CORS works through the core's after_request hook.
"""
import os
import sys

try:
    from ahttp import HTTPServer
except ImportError:   # run from a checkout: the package is one level up
    sys.path.insert(0, (__file__.rsplit("/", 1)[0] if "/" in __file__ else ".") + "/..")
    from ahttp import HTTPServer
from ahttp.cors import CORS

getenv = getattr(os, "getenv", None) or {}.get    # a board's os has no getenv

# a PC: this machine only (AHTTP_HOST changes it); a board (its os has no
# getenv): every interface, as it is reached at its Wi-Fi address
host = getenv("AHTTP_HOST") or ("127.0.0.1" if hasattr(os, "getenv") else "0.0.0.0")
port = int(getenv("AHTTP_PORT") or 8080)
ui_port = int(getenv("AHTTP_UI_PORT") or port + 1)


def public_address():
    # the address a browser reaches the servers at: the board's Wi-Fi
    # address when they listen on every interface
    if host != "0.0.0.0":
        return host
    try:
        import network
        return network.WLAN(network.STA_IF).ifconfig()[0]
    except (ImportError, AttributeError, OSError):
        return "127.0.0.1"


public = public_address()
api_url = "http://%s:%d" % (public, port)
ui_origins = ["http://%s:%d" % (h, ui_port) for h in (public, "localhost")]

api = HTTPServer()
CORS(api, origins=ui_origins, credentials=True, headers=["Content-Type"],
     expose=["X-Total"], max_age=600)
items = []


@api.route("GET", "/api/items")
async def list_items(reader, writer, request):
    return items, 200, [("X-Total", str(len(items)))]


@api.route("POST", "/api/items")
async def add_item(reader, writer, request):
    item = await request.json()
    if not isinstance(item, dict) or not isinstance(item.get("name"), str):
        return {"error": "expected {\"name\": str}"}, 400
    items.append({"id": len(items) + 1, "name": item["name"][:40]})
    return items[-1], 201


PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>CORS demo</title></head>
<body>
<h1>Items from another origin</h1>
<p>API: <code id="api">%s</code></p>
<form id="add"><input id="name" value="first"> <button>Add</button></form>
<ul id="items"></ul>
<p>Total: <span id="total">?</span> <span id="status">loading</span></p>
<script>
const API = document.getElementById("api").textContent;
async function load() {
  const r = await fetch(API + "/api/items", {credentials: "include"});
  document.getElementById("total").textContent = r.headers.get("X-Total");
  const ul = document.getElementById("items");
  ul.innerHTML = "";
  for (const it of await r.json()) {
    const li = document.createElement("li");
    li.textContent = it.id + ": " + it.name;
    ul.appendChild(li);
  }
  document.getElementById("status").textContent = "ok";
}
document.getElementById("add").onsubmit = async (e) => {
  e.preventDefault();
  document.getElementById("status").textContent = "saving";
  try {
    const r = await fetch(API + "/api/items", {method: "POST", credentials: "include",
      headers: {"Content-Type": "application/json"},
      body: JSON.stringify({name: document.getElementById("name").value})});
    if (r.status !== 201) throw new Error("status " + r.status);
    await load();
  } catch (err) {
    document.getElementById("status").textContent = "error: " + err.message;
  }
};
load().catch(err => { document.getElementById("status").textContent = "error: " + err.message; });
</script>
</body></html>
"""

ui = HTTPServer()


@ui.route("GET", "/")
async def page(reader, writer, request):
    return PAGE % api_url


async def main():
    import asyncio
    await ui.start(host, ui_port)
    await api.start(host, port)
    print("API on %s/api/items, page on http://%s:%d/" % (api_url, public, ui_port))
    while True:
        await asyncio.sleep(3600)

try:
    import asyncio
    asyncio.run(main())
except KeyboardInterrupt:
    pass
