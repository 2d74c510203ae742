# Test stand-in: a port without asyncio. The sync server must never need it.
raise ImportError("no asyncio on this port (tests/noasyncio)")
