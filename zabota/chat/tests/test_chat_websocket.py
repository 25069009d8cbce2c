"""The chat sockets through the real ASGI application (``zabota.asgi``): visitor and agent talk
with typing and read marks, nothing is lost or doubled across a dropped connection, resends are
stored once, presence follows the agent's socket. The last class repeats the exchange over the
Redis channel layer, as production runs it.

Each test drives its sockets from one event loop (``async_to_sync``); the consumers' database
work runs in other threads, so the tests need committed data (``transaction=True``).
"""

import asyncio
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.test import Client, override_settings

from zabota.asgi import application
from zabota.chat import availability
from zabota.chat.actions import check_accept, do_block_visitor
from zabota.chat.constants import Sender
from zabota.chat.models import Conversation, Line, Presence
from zabota.chat.tests.chat_world import chat_settings, make_present, new_visitor, start
from zabota.chat.tests.sockets import WebsocketCommunicator
from zabota.core import ratelimit
from zabota.routing.actions import do_set_availability
from zabota.routing.constants import Availability

pytestmark = pytest.mark.django_db(transaction=True)

TIMEOUT = 5
REDIS_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": ["redis://127.0.0.1:6379/11"], "prefix": "zabota-test-chat-a"},
    }
}


@pytest.fixture(autouse=True)
def _empty_layer():
    """The in-memory layer lives as long as the process: no test sees another's groups."""
    layer = get_channel_layer()
    if hasattr(layer, "flush"):
        async_to_sync(layer.flush)()
    yield


@pytest.fixture
def chat(world):
    return chat_settings(world)


@pytest.fixture
def talk(world, chat):
    """Maria's visitor with a chat that Anna accepted: lines 1 (Maria) and 2 (Anna joined)."""
    visitor, token = new_visitor(chat)
    conversation = start(visitor, name="Maria", email="maria@example.pl", client_id="v0")
    check_accept(conversation, actor=world.anna)
    return visitor, token, conversation


def visitor_socket(token: str, key: str = "demo") -> WebsocketCommunicator:
    return WebsocketCommunicator(application, f"/ws/chat/visitor/{key}/?token={quote(token)}")


def _session(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


async def agent_socket(user, origin: bytes = b"http://testserver") -> WebsocketCommunicator:
    """A signed-in agent's socket: their session cookie, from the page's own origin."""
    session = await database_sync_to_async(_session)(user)
    headers = [(b"cookie", f"{settings.SESSION_COOKIE_NAME}={session}".encode())]
    if origin:
        headers.append((b"origin", origin))
    return WebsocketCommunicator(application, "/ws/chat/agent/", headers=headers)


async def until(socket: WebsocketCommunicator, kind: str) -> dict[str, Any]:
    """The next frame of ``kind``, skipping others (queue updates, state changes …)."""
    while True:
        frame = await socket.receive_json_from(timeout=TIMEOUT)
        if frame["type"] == kind:
            return frame


async def synced(socket: WebsocketCommunicator, **request: Any) -> tuple[list[int], dict]:
    """Send ``sync``; the seqs of the message frames that come back, and the synced frame."""
    await socket.send_json_to({"type": "sync", **request})
    seqs = []
    while True:
        frame = await socket.receive_json_from(timeout=TIMEOUT)
        if frame["type"] == "message":
            seqs.append(frame["line"]["seq"])
        elif frame["type"] == "synced":
            return seqs, frame


async def connect(socket: WebsocketCommunicator) -> None:
    connected, _code = await socket.connect(timeout=TIMEOUT)
    assert connected


def exchange(world, token: str, conversation: Conversation) -> None:
    """Visitor and agent talk: typing reaches the other side only, messages both, read marks
    the other side."""

    async def scenario() -> None:
        visitor = visitor_socket(token)
        agent = await agent_socket(world.anna)
        await connect(visitor)
        await connect(agent)
        seqs, state = await synced(agent, conversation=conversation.pk, after=0)
        assert seqs == [1, 2]
        assert (state["last_seq"], state["state"]) == (2, "active")
        seqs, state = await synced(visitor, after=0)
        assert (seqs, state["conversation"]) == ([1, 2], conversation.pk)

        # typing: to the visitor, not echoed to the agent
        await agent.send_json_to({"type": "typing", "conversation": conversation.pk, "on": True})
        typing = await until(visitor, "typing")
        assert (typing["sender"], typing["on"]) == ("agent", True)

        # the agent writes: ack to the agent, the line to both
        await agent.send_json_to(
            {"type": "message", "conversation": conversation.pk, "client_id": "a1", "body": "Hi!"}
        )
        ack = await until(agent, "ack")
        assert (ack["client_id"], ack["seq"]) == ("a1", 3)
        line = (await until(visitor, "message"))["line"]
        assert (line["seq"], line["sender"], line["author"], line["body"]) == (
            3,
            "agent",
            "Anna",
            "Hi!",
        )
        assert (await until(agent, "message"))["line"]["seq"] == 3

        # the visitor reads it: the agent sees the read mark
        await visitor.send_json_to({"type": "read", "seq": 3})
        read = await until(agent, "read")
        assert (read["sender"], read["seq"]) == ("visitor", 3)

        # the visitor answers
        await visitor.send_json_to({"type": "typing", "on": True})
        assert (await until(agent, "typing"))["sender"] == "visitor"
        await visitor.send_json_to({"type": "message", "client_id": "v1", "body": "<b>Thanks</b>"})
        assert (await until(visitor, "ack"))["seq"] == 4
        line = (await until(agent, "message"))["line"]
        assert (line["seq"], line["sender"], line["body"]) == (4, "visitor", "<b>Thanks</b>")
        await agent.send_json_to({"type": "read", "conversation": conversation.pk, "seq": 4})
        assert (await until(visitor, "read"))["seq"] == 4
        # none of the visitor's own marks came back to it
        assert await visitor.receive_nothing(timeout=0.2)

        await visitor.disconnect()
        await agent.disconnect()

    async_to_sync(scenario)()
    conversation.refresh_from_db()
    assert (conversation.last_seq, conversation.visitor_read_seq, conversation.agent_read_seq) == (
        4,
        3,
        4,
    )
    ticket = conversation.ticket
    ticket.refresh_from_db()
    assert ticket.message_count == 3
    last = ticket.messages.order_by("-pk").first()
    # Plain text as typed: escaped where shown, not interpreted.
    assert last.body_text == "<b>Thanks</b>"
    assert "<b>" not in last.body_html


def dropped_connection(world, token: str, conversation: Conversation) -> None:
    """Lines sent while the visitor's socket is down arrive on reconnect, once each."""

    async def scenario() -> None:
        visitor = visitor_socket(token)
        agent = await agent_socket(world.anna)
        await connect(visitor)
        await connect(agent)
        seqs, state = await synced(visitor, after=0)
        last_seen = state["last_seq"]
        await synced(agent, conversation=conversation.pk, after=last_seen)
        await visitor.disconnect()

        for number in range(3):
            await agent.send_json_to(
                {
                    "type": "message",
                    "conversation": conversation.pk,
                    "client_id": f"a{number}",
                    "body": f"Update {number}",
                }
            )
            await until(agent, "ack")

        again = visitor_socket(token)
        await connect(again)
        seqs, state = await synced(again, after=last_seen)
        assert seqs == [last_seen + 1, last_seen + 2, last_seen + 3]
        assert state["last_seq"] == last_seen + 3
        assert await again.receive_nothing(timeout=0.3)

        # The socket follows the chat again: the next line arrives live, once.
        await agent.send_json_to(
            {"type": "message", "conversation": conversation.pk, "client_id": "a9", "body": "Ok"}
        )
        assert (await until(again, "message"))["line"]["seq"] == last_seen + 4
        assert await again.receive_nothing(timeout=0.3)
        await again.disconnect()
        await agent.disconnect()

    async_to_sync(scenario)()


def test_visitor_and_agent_exchange(world, talk):
    _visitor, token, conversation = talk
    exchange(world, token, conversation)


def test_dropped_connection_loses_and_doubles_nothing(world, talk):
    _visitor, token, conversation = talk
    dropped_connection(world, token, conversation)


def test_resent_message_is_stored_once(world, talk):
    _visitor, token, conversation = talk

    async def scenario() -> None:
        visitor = visitor_socket(token)
        agent = await agent_socket(world.anna)
        await connect(visitor)
        await connect(agent)
        await synced(agent, conversation=conversation.pk, after=2)
        await visitor.send_json_to({"type": "message", "client_id": "v7", "body": "Hello?"})
        first = await until(visitor, "ack")
        # the connection drops before the client saw the ack; it resends on a new socket
        await visitor.disconnect()
        again = visitor_socket(token)
        await connect(again)
        await again.send_json_to({"type": "message", "client_id": "v7", "body": "Hello?"})
        second = await until(again, "ack")
        assert first["seq"] == second["seq"] == 3
        assert (await until(agent, "message"))["line"]["seq"] == 3
        assert await agent.receive_nothing(timeout=0.3)
        await again.disconnect()
        await agent.disconnect()

    async_to_sync(scenario)()
    assert Line.objects.filter(conversation=conversation, client_id="v7").count() == 1
    conversation.ticket.refresh_from_db()
    assert conversation.ticket.message_count == 2


def test_agent_socket_needs_a_session_and_the_same_origin(world, chat):
    async def scenario() -> None:
        anonymous = WebsocketCommunicator(
            application, "/ws/chat/agent/", headers=[(b"origin", b"http://testserver")]
        )
        connected, _code = await anonymous.connect(timeout=TIMEOUT)
        assert not connected
        foreign = await agent_socket(world.anna, origin=b"https://evil.example")
        connected, _code = await foreign.connect(timeout=TIMEOUT)
        assert not connected
        no_origin = await agent_socket(world.anna, origin=b"")
        connected, _code = await no_origin.connect(timeout=TIMEOUT)
        assert not connected

    async_to_sync(scenario)()


def test_visitor_socket_refuses_forged_tokens_and_other_stores_keys(world, chat):
    _visitor, token = new_visitor(chat)

    async def refused(socket: WebsocketCommunicator) -> None:
        await connect(socket)
        frame = await socket.receive_json_from(timeout=TIMEOUT)
        assert (frame["type"], frame["code"]) == ("error", "invalid")
        assert (await socket.receive_output(timeout=TIMEOUT))["type"] == "websocket.close"

    async def scenario() -> None:
        await refused(visitor_socket(token[:-3] + "abc"))
        await refused(visitor_socket(token, key="unknown"))
        # the genuine token, from any origin, is accepted
        good = WebsocketCommunicator(
            application,
            f"/ws/chat/visitor/demo/?token={quote(token)}",
            headers=[(b"origin", b"https://shop.example")],
        )
        await connect(good)
        await good.send_json_to({"type": "ping"})
        assert await good.receive_json_from(timeout=TIMEOUT) == {"type": "pong"}
        await good.disconnect()

    async_to_sync(scenario)()


def test_presence_follows_the_agent_socket(world, chat):
    """Availability needs an open agent socket: connect, heartbeat, disconnect."""
    do_set_availability(world.anna, status=Availability.ONLINE, actor=world.anna)
    assert not availability.is_online(chat)

    async def scenario() -> None:
        agent = await agent_socket(world.anna)
        await connect(agent)
        assert await database_sync_to_async(availability.is_online)(chat)
        before = await database_sync_to_async(
            lambda: Presence.objects.get(user=world.anna).seen_at
        )()
        await asyncio.sleep(0.01)
        await agent.send_json_to({"type": "ping"})
        assert await until(agent, "pong") == {"type": "pong"}
        after = await database_sync_to_async(
            lambda: Presence.objects.get(user=world.anna).seen_at
        )()
        assert after > before
        await agent.disconnect()

    async_to_sync(scenario)()
    assert not Presence.objects.exists()
    assert not availability.is_online(chat)


def test_agent_sync_of_a_chat_out_of_reach_is_refused(world, talk):
    _visitor, _token, conversation = talk

    async def scenario() -> None:
        agent = await agent_socket(world.piotr)
        await connect(agent)
        await agent.send_json_to({"type": "sync", "conversation": conversation.pk, "after": 0})
        frame = await until(agent, "error")
        assert frame["code"] == "not_found"
        await agent.send_json_to(
            {"type": "message", "conversation": conversation.pk, "client_id": "p", "body": "x"}
        )
        assert (await until(agent, "error"))["code"] == "not_found"
        await agent.disconnect()

    async_to_sync(scenario)()
    assert not Line.objects.filter(conversation=conversation, client_id="p").exists()


def test_queue_frame_reaches_the_stores_agents(world, chat):
    async def scenario() -> None:
        agent = await agent_socket(world.anna)
        await connect(agent)
        visitor, _token = await database_sync_to_async(new_visitor)(chat)
        conversation = await database_sync_to_async(start)(visitor)
        frame = await until(agent, "queue")
        assert (frame["store"], frame["waiting"]) == (world.store.pk, 1)
        assert frame["conversation"]["id"] == conversation.pk
        assert frame["conversation"]["state"] == "queued"
        await agent.disconnect()

    async_to_sync(scenario)()


def test_visitor_socket_follows_a_chat_started_over_http(world, chat):
    """The widget may open its socket before the first message: the new chat's frames still
    reach it, and a later chat replaces the ended one."""
    visitor_row, token = new_visitor(chat)

    async def scenario() -> None:
        visitor = visitor_socket(token)
        await connect(visitor)
        seqs, state = await synced(visitor, after=0)
        assert (seqs, state["conversation"]) == ([], None)
        conversation = await database_sync_to_async(start)(visitor_row)
        frame = await until(visitor, "state")
        assert (frame["conversation"], frame["state"]) == (conversation.pk, "queued")
        await database_sync_to_async(check_accept)(conversation, actor=world.anna)
        line = (await until(visitor, "message"))["line"]
        assert (line["sender"], line["body"]) == ("system", "Anna joined the chat.")
        await visitor.send_json_to({"type": "message", "client_id": "x1", "body": "Hi Anna"})
        ack = await until(visitor, "ack")
        assert (ack["conversation"], ack["seq"]) == (conversation.pk, 3)
        await visitor.disconnect()

    async_to_sync(scenario)()


def test_rate_limited_visitor_gets_an_error(world, talk, monkeypatch):
    _visitor, token, _conversation = talk
    monkeypatch.setattr(
        ratelimit, "CHAT_MESSAGE_PER_VISITOR", ratelimit.Limit("chat-message-visitor-test", 2, 60)
    )

    async def scenario() -> None:
        visitor = visitor_socket(token)
        await connect(visitor)
        for number in range(2):
            await visitor.send_json_to({"type": "message", "client_id": f"r{number}", "body": "x"})
            await until(visitor, "ack")
        await visitor.send_json_to({"type": "message", "client_id": "r2", "body": "x"})
        frame = await until(visitor, "error")
        assert (frame["code"], frame["client_id"]) == ("rate_limited", "r2")
        await visitor.disconnect()

    async_to_sync(scenario)()
    assert not Line.objects.filter(client_id="r2").exists()


def test_blocked_visitor_is_disconnected_and_refused(world, talk):
    visitor_row, token, conversation = talk

    async def scenario() -> None:
        visitor = visitor_socket(token)
        await connect(visitor)
        await database_sync_to_async(do_block_visitor)(visitor_row, actor=world.anna)
        frame = await until(visitor, "error")
        assert frame["code"] == "blocked"
        assert (await visitor.receive_output(timeout=TIMEOUT))["type"] == "websocket.close"
        again = visitor_socket(token)
        await connect(again)
        assert (await until(again, "error"))["code"] == "blocked"

    async_to_sync(scenario)()
    conversation.refresh_from_db()
    assert conversation.state == "ended"
    assert Line.objects.filter(conversation=conversation, sender=Sender.SYSTEM).count() == 2


class TestOverRedis:
    """The same exchanges with channels_redis: frames cross the layer as msgpack, groups live in
    Redis (the production setup, where several web processes share them)."""

    @pytest.fixture(autouse=True)
    def _redis_layer(self):
        with override_settings(CHANNEL_LAYERS=REDIS_LAYERS):
            async_to_sync(get_channel_layer().flush)()
            yield

    def test_layer_is_redis(self):
        assert type(get_channel_layer()).__name__ == "RedisChannelLayer"

    def test_visitor_and_agent_exchange(self, world, talk):
        _visitor, token, conversation = talk
        exchange(world, token, conversation)

    def test_dropped_connection_loses_and_doubles_nothing(self, world, talk):
        _visitor, token, conversation = talk
        dropped_connection(world, token, conversation)

    def test_presence_makes_the_widget_online(self, world, chat):
        make_present(world.lena, age=timedelta(hours=1))
        assert not availability.is_online(chat)
        do_set_availability(world.anna, status=Availability.ONLINE, actor=world.anna)

        async def scenario() -> None:
            agent = await agent_socket(world.anna)
            await connect(agent)
            assert await database_sync_to_async(availability.online_agents)(chat) == [world.anna]
            await agent.disconnect()

        async_to_sync(scenario)()
