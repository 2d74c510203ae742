# Freeze ahttp into MicroPython firmware: the modules become part of the
# firmware image, run from flash and cost no filesystem space or compile
# time. In your board's manifest (or with FROZEN_MANIFEST=...):
#
#     include("/path/to/this/repo/manifest.py")
#
# This freezes the whole package. For a smaller image, list only what you
# use instead (package-core.json and package-sync.json name the subsets):
#
#     package("ahttp", files=["__init__.py", "_compat.py", ...],
#             base_path="/path/to/this/repo")
#
# See docs/install.md.
metadata(
    description="Streaming-first async HTTP server (SSE, WebSocket).",
    version="0.1.0",
)

package("ahttp")
