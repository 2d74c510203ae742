from typing import Any, Callable, Dict, List, Optional, Sequence, Union

from .sse import Broadcaster


class MQTTRelay:
    """MQTT topics served as Server-Sent Events (CPython, aiomqtt)."""
    server: str
    port: int
    topics: List[str]
    ring: int
    max_subscribers: int
    heartbeat: Optional[float]
    retry: Optional[int]
    replay: int
    max_payload: int
    max_topics: int
    reconnect: float
    client_id: Optional[str]
    log: Callable[[str], Any]
    feeds: Dict[str, Broadcaster]
    forwarded: int
    malformed: int
    stale: int
    connects: int
    connected: bool

    def __init__(self, server: str, topics: Union[str, Sequence[str]], port: int = 1883,
                 ring: int = 256, max_subscribers: int = 1000,
                 heartbeat: Optional[float] = 15, retry: Optional[int] = 1000,
                 replay: int = 1, max_payload: int = 4096, max_topics: int = 64,
                 reconnect: float = 1.0, client_id: Optional[str] = None,
                 log: Optional[Callable[[str], Any]] = None) -> None: ...
    def feed(self, topic: str, create: bool = True) -> Optional[Broadcaster]: ...
    def route(self, app: Any, prefix: str = "/events") -> Callable[..., Any]: ...
    def handle(self, topic: str, payload: bytes) -> bool: ...
    async def run(self) -> None: ...
