"""Fixtures of the chat pages' tests: the demo store's chat settings, visitors' chats started
through the real actions, and (browser tests) the ASGI app served by uvicorn with websockets.

pytest-django's ``live_server`` is WSGI only; the agent pages need ``/ws/chat/agent/``, so
``asgi_live_url`` runs ``zabota.asgi`` in uvicorn in a thread of the test process, against the
test database, with a Redis channel layer: the test's own actions broadcast from another
thread (and another event loop) than the server's, which the in-memory layer does not support.
Import the fixtures with ``from zabota.web.tests.chat_conftest import *``.
"""

import re
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connections
from django.test import Client

from zabota.chat.actions import do_get_or_create_visitor, do_start_conversation
from zabota.chat.models import ChatSettings, Conversation
from zabota.conftest import PASSWORD

REDIS_URL = "redis://127.0.0.1:6379/13"
# The fixtures a test module takes with ``from zabota.web.tests.chat_conftest import *``.
__all__ = ["asgi_live_url", "chat_settings", "redis_channel_layer", "start_chat"]


@pytest.fixture
def chat_settings(world) -> ChatSettings:
    """The demo store's widget, answered by Support (Anna; Lena leads)."""
    return ChatSettings.objects.create(store=world.store, widget_key="demo", group=world.support)


@pytest.fixture
def start_chat(chat_settings) -> Callable[..., Conversation]:
    """Start a visitor's chat through the real actions, as the widget does."""

    def start(
        body: str = "Hello, is my order on its way?",
        *,
        name: str = "Olga Visitor",
        email: str = "olga@example.com",
        page_url: str = "https://shop.example/cart",
    ) -> Conversation:
        visitor, _token = do_get_or_create_visitor(chat_settings, None, language="en")
        return do_start_conversation(
            visitor, body=body, name=name, email=email, page_url=page_url, client_id=""
        )

    return start


def client_for(user) -> Client:
    client = Client(enforce_csrf_checks=True)
    assert client.login(username=user.email, password=PASSWORD)
    return client


def csrf_post(client: Client, page_url: str, url: str, data: dict | None = None):
    """POST as the browser does: with the token of the form on ``page_url``."""
    page = client.get(page_url)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    assert token, f"no form with a CSRF token on {page_url}"
    return client.post(url, {"csrfmiddlewaretoken": token.group(1), **(data or {})})


def in_thread[R](fn: Callable[..., R], *args: Any, **kwargs: Any) -> R:
    """Run ``fn`` in a thread of its own and close its database connection.

    Browser tests need it for actions that broadcast: Playwright's sync API keeps an event loop
    in the test's thread, where ``async_to_sync`` refuses to run."""

    def run() -> R:
        try:
            return fn(*args, **kwargs)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def redis_channel_layer(settings) -> Iterator[None]:
    """The Redis channel layer, under a prefix of this test's own."""
    import redis
    from channels.layers import channel_layers

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        pytest.fail("Redis on 127.0.0.1:6379 is required for the chat browser tests")
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": f"zabota-test-{uuid.uuid4().hex[:8]}"},
        }
    }
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture
def asgi_live_url(transactional_db, settings, redis_channel_layer) -> Iterator[str]:
    """``http://127.0.0.1:<port>`` of uvicorn serving zabota.asgi (HTTP, static files and
    websockets)."""
    import uvicorn
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

    from zabota.asgi import application

    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
    port = _free_port()
    config = uvicorn.Config(
        ASGIStaticFilesHandler(application),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="off",
        ws="websockets-sansio",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="asgi-live-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)
