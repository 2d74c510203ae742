# Test stand-in: a port without asyncio. The sync server must never need it.
raise ImportError("no uasyncio on this port (tests/noasyncio)")
