"""Test hook shared by tests/apps/sse_app.py and its sync twin: the
TCP_NODELAY setting of stream sockets, read back where the runtime can.
Imported by the apps' /debug/nodelay route only (nothing else pays for it)."""


def nodelay_of(writers):
    """TCP_NODELAY of each writer's socket (CPython; MicroPython sockets have
    no getsockopt: None)."""
    out = []
    for w in writers:
        s = getattr(w, "s", None)                      # sync driver
        if s is None:
            try:
                s = w.get_extra_info("socket")         # CPython asyncio
            except (KeyError, AttributeError):
                s = None
        get = getattr(s, "getsockopt", None)
        out.append(get(6, 1) if get is not None else None)  # IPPROTO_TCP, TCP_NODELAY
    return out
