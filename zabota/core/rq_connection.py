"""One Redis client per process and URL for the task queue.

django_rq builds a new Redis client, with a connection pool of its own, on every ``get_queue``:
every task enqueued (one per transaction that publishes events) opened a TCP connection to Redis,
said hello and dropped it — a sixth of the web server's time per chat message under
``bench/chat.py``. A redis-py client is thread-safe and renews its pool after a fork, so one per
process is enough. Installed by ``CoreConfig.ready``.
"""

from collections.abc import Callable
from typing import Any

from redis import Redis

_clients: dict[tuple[str, Any], Redis] = {}


def shared(original: Callable[..., Redis]) -> Callable[..., Redis]:
    def get_connection(name: str = "default", use_strict_redis: bool = False) -> Redis:
        from django_rq.settings import QUEUES

        config = QUEUES[name]
        url = config.get("URL")
        if not url or use_strict_redis:
            return original(name, use_strict_redis)
        key = (url, config.get("DB"))
        client = _clients.get(key)
        if client is None:
            client = _clients[key] = original(name, use_strict_redis)
        return client

    get_connection.zabota_shared = True  # type: ignore[attr-defined]
    return get_connection


def install() -> None:
    from django_rq import queues

    if not getattr(queues.get_connection, "zabota_shared", False):
        queues.get_connection = shared(queues.get_connection)
