class ConnectionClosed(OSError):
    """The WebSocket is closed: `code` and `reason` of the close."""
    code: int
    reason: str

    def __init__(self, code: int = 1006, reason: str = "") -> None: ...
