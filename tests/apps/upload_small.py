"""A multipart upload endpoint for the small-heap runs (test_multipart):
a 1 MB file streamed to UPLOAD_DIR."""
import os

from ahttp import HTTPServer
from ahttp.multipart import read_form

# read_size=512: each socket read needs a free piece of that size; with the
# default 1024 the 64k ROMFS run passed or failed by heap layout (68k failed)
app = HTTPServer(max_body=1200000, max_connections=4, read_size=512)


@app.route("POST", "/upload")
async def upload(reader, writer, request):
    form = await read_form(request, dest=os.getenv("UPLOAD_DIR"), max_size=1200000,
                           chunk_size=512)
    f = form.files["file"]
    import gc
    gc.collect()
    return {"fields": form.fields, "size": f.size, "name": f.filename,
            "free": gc.mem_free() if hasattr(gc, "mem_free") else 0}


app.run(os.getenv("AHTTP_HOST") or "127.0.0.1", int(os.getenv("AHTTP_PORT")))
