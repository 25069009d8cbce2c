"""A real HTTP receiver on 127.0.0.1 and a subscription of the demo world that points at it."""

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from zabota.webhooks.models import Subscription


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Records every POST; answers with the queued statuses, then 200."""

    port: int = 0
    requests: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/zabota?source=test"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    received = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            received.requests.append(Received(self.path, dict(self.headers.items()), body))
            status = received.statuses.pop(0) if received.statuses else 200
            answer = f"answer {status} ".encode() * 500  # longer than the 2 KB kept
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", "http://127.0.0.1:1/elsewhere")
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    received.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield received
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def subscription(world, receiver) -> Subscription:
    """ "Shop backend" takes every event of the demo store; it runs on this host, so an admin
    allowed private network addresses for it."""
    return Subscription.objects.create(
        name="Shop backend",
        store=world.store,
        url=receiver.url,
        event_types=["*"],
        allow_private_network=True,
        created_by=world.ada,
    )
