from typing import Any, Callable, List, Optional

from .sse import Broadcaster


class MQTTPublisher:
    """A Broadcaster's events published to an MQTT topic as well."""
    feed: Broadcaster
    topic: str
    server: str
    port: int
    client_id: str
    retain: bool
    queue: int
    reconnect: float
    connect_timeout: float
    stall: float
    log: Callable[[str], Any]
    pending: List[bytes]
    sent: int
    dropped: int
    connects: int
    failures: int
    connected: bool

    def __init__(self, feed: Broadcaster, topic: str, server: str, port: int = 1883,
                 client_id: Optional[str] = None, retain: bool = True, queue: int = 32,
                 reconnect: float = 2.0, connect_timeout: float = 3.0, stall: float = 0.5,
                 log: Optional[Callable[[str], Any]] = None, clock_ids: bool = True) -> None: ...
    def publish(self, data: Any = None, event: Optional[str] = None,
                retry: Optional[int] = None) -> int: ...
    def enqueue(self, payload: bytes) -> None: ...
    def start(self) -> Any: ...
    def stop(self) -> None: ...
    async def run(self) -> None: ...


def clock_id() -> Optional[int]: ...
