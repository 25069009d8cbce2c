"""Websocket consumers of live chat: the visitor's widget and the agents' chat pages.

Protocol: docs/chat.md ("Websocket protocol"). Both consumers are async: a socket costs no
thread while it waits, and database work runs in the thread pool (``thread_sensitive=False``:
each call is one short transaction on a pooled connection, so calls of different sockets run in
parallel instead of queueing for the one thread Django's default would give them all). Frames
an action produces are sent from the event loop after its commit (``broadcast.run_collected``).
"""

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.utils import timezone

from zabota.accounts.models import User
from zabota.chat import access, actions, broadcast
from zabota.chat.availability import chat_settings_for_key
from zabota.chat.constants import ConversationState, Sender
from zabota.chat.errors import ChatError, ChatErrorCode
from zabota.chat.models import Conversation, Line, Presence, Visitor
from zabota.chat.tokens import visitor_from_token
from zabota.core import ratelimit

# Lines sent per ``synced`` round; a longer backlog goes in several rounds of frames.
SYNC_BATCH = 500
# Close codes (4000–4999 are the application's): the client should not reconnect.
CLOSE_REFUSED = 4403

type Frame = dict[str, Any]
type Outgoing = list[tuple[str, Frame]]


def db[**P, R](fn: Callable[P, R]) -> Callable[P, Awaitable[R]]:
    return database_sync_to_async(fn, thread_sensitive=False)  # type: ignore[return-value]


def _int(value: object, default: int = 0) -> int:
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return default


def _error(code: ChatErrorCode, message: str = "", **extra: Any) -> Frame:
    return {"type": "error", "code": code.value, "message": message or str(code.label), **extra}


def _sync_frames(conversation: Conversation, after: int) -> tuple[list[Frame], Frame]:
    """Every line after ``after`` as ``message`` frames, then the ``synced`` frame."""
    frames: list[Frame] = []
    while True:
        lines = actions.lines_after(conversation, after, limit=SYNC_BATCH)
        frames += [actions.message_frame(line) for line in lines]
        if len(lines) < SYNC_BATCH:
            break
        after = lines[-1].seq
    state = Conversation.objects.filter(pk=conversation.pk).values("state", "last_seq").get()
    return frames, {
        "type": "synced",
        "conversation": conversation.pk,
        "last_seq": state["last_seq"],
        "state": state["state"],
    }


class _ChatConsumer(AsyncJsonWebsocketConsumer):
    side: str = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.joined: set[str] = set()

    async def join(self, group: str) -> None:
        if group not in self.joined:
            await self.channel_layer.group_add(group, self.channel_name)
            self.joined.add(group)

    async def leave_all(self) -> None:
        for group in self.joined:
            await self.channel_layer.group_discard(group, self.channel_name)
        self.joined.clear()

    async def publish(self, frames: Outgoing) -> None:
        for group, frame in frames:
            await self.channel_layer.group_send(group, broadcast.layer_message(frame))

    async def chat_frame(self, event: dict[str, Any]) -> None:
        """A frame sent to one of this socket's groups; a side's own typing and read marks are
        not echoed back to it."""
        frame = event["frame"]
        if (
            frame.get("type") in ("typing", "read", "delivered")
            and frame.get("sender") == self.side
        ):
            return
        await self.send_json(frame)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict):
            await self.send_json(_error(ChatErrorCode.INVALID))
            return
        kind = content.get("type")
        handler = getattr(self, f"on_{kind}", None) if isinstance(kind, str) else None
        if handler is None:
            await self.send_json(_error(ChatErrorCode.INVALID, kind=str(kind)[:32]))
            return
        try:
            await handler(content)
        except ChatError as exc:
            await self.send_json(_error(exc.code, exc.message, **_echo(content), errors=exc.errors))

    async def send_synced(self, frames: list[Frame], synced: Frame) -> None:
        for frame in frames:
            await self.send_json(frame)
        await self.send_json(synced)

    async def on_ping(self, content: Frame) -> None:
        await self.send_json({"type": "pong"})

    async def ack(self, conversation_id: int, client_id: str, seq: int) -> None:
        """The sender's line is stored as ``seq`` (also for a resend: the stored one's)."""
        await self.send_json(
            {"type": "ack", "conversation": conversation_id, "client_id": client_id, "seq": seq}
        )

    async def typing(self, conversation_id: int, on: object) -> None:
        await self.channel_layer.group_send(
            broadcast.conversation_group(conversation_id),
            broadcast.layer_message(
                {
                    "type": "typing",
                    "conversation": conversation_id,
                    "sender": self.side,
                    "on": bool(on),
                }
            ),
        )

    async def mark(self, conversation_id: int, content: Frame, kind: str) -> None:
        seq = _int(content.get("seq"))
        if seq <= 0:
            raise ChatError(code=ChatErrorCode.INVALID)
        kwargs = {"read_seq": seq} if kind == "read" else {"delivered_seq": seq}
        _moved, frames = await db(broadcast.run_collected)(
            actions.do_mark, Conversation(pk=conversation_id), side=self.side, **kwargs
        )
        await self.publish(frames)


def _echo(content: Frame) -> Frame:
    """The client's id of a refused message, so that it can drop it from its outbox."""
    client_id = content.get("client_id")
    return {"client_id": client_id} if isinstance(client_id, str) and client_id else {}


class VisitorConsumer(_ChatConsumer):
    """``/ws/chat/visitor/<widget_key>/?token=…`` — any origin; the signed token is the proof."""

    side = Sender.VISITOR

    async def connect(self) -> None:
        self.visitor: Visitor | None = None
        self.conversation_id: int | None = None
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        token = (query.get("token") or [""])[0]
        key = self.scope["url_route"]["kwargs"]["widget_key"]
        client = self.scope.get("client") or ("unknown", 0)
        self.ip = str(client[0])
        found = await db(self._find)(key, token)
        await self.accept()
        if found is None:
            await self.send_json(_error(ChatErrorCode.INVALID))
            await self.close(code=CLOSE_REFUSED)
            return
        visitor, conversation_id = found
        if visitor.blocked_at is not None:
            await self.send_json(_error(ChatErrorCode.BLOCKED))
            await self.close(code=CLOSE_REFUSED)
            return
        self.visitor = visitor
        await self.join(broadcast.visitor_group(visitor.pk))
        if conversation_id is not None:
            await self.follow(conversation_id)

    @staticmethod
    def _find(key: str, token: str) -> tuple[Visitor, int | None] | None:
        chat_settings = chat_settings_for_key(key)
        if chat_settings is None:
            return None
        visitor = visitor_from_token(token, chat_settings.store)
        if visitor is None:
            return None
        Visitor.objects.filter(pk=visitor.pk).update(last_seen_at=timezone.now())
        current = actions.current_conversation(visitor)
        return visitor, current.pk if current is not None else None

    async def disconnect(self, code: int) -> None:
        await self.leave_all()

    async def follow(self, conversation_id: int) -> None:
        """Receive this conversation's frames (and no longer an earlier one's)."""
        if self.conversation_id == conversation_id:
            return
        if self.conversation_id is not None:
            group = broadcast.conversation_group(self.conversation_id)
            await self.channel_layer.group_discard(group, self.channel_name)
            self.joined.discard(group)
        self.conversation_id = conversation_id
        await self.join(broadcast.conversation_group(conversation_id))

    def _conversation(self, content: Frame) -> Conversation | None:
        """The named conversation if it is the visitor's; else their open one, else their
        newest (an ended chat still shows its end)."""
        assert self.visitor is not None
        mine = Conversation.objects.filter(visitor=self.visitor)
        named = _int(content.get("conversation"))
        if named:
            return mine.filter(pk=named).first()
        return (
            mine.exclude(state=ConversationState.ENDED).order_by("-created_at", "-pk").first()
            or mine.order_by("-created_at", "-pk").first()
        )

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if self.visitor is None:
            return  # refused at connect; the close is on its way
        await super().receive_json(content, **kwargs)

    async def on_sync(self, content: Frame) -> None:
        after = _int(content.get("after"))

        def load() -> tuple[list[Frame], Frame] | None:
            conversation = self._conversation(content)
            if conversation is None:
                return None
            return _sync_frames(conversation, after)

        result = await db(load)()
        if result is None:
            await self.send_json(
                {"type": "synced", "conversation": None, "last_seq": 0, "state": ""}
            )
            return
        frames, synced = result
        await self.follow(synced["conversation"])
        await self.send_synced(frames, synced)

    async def on_message(self, content: Frame) -> None:
        body = content.get("body")
        client_id = content.get("client_id") or ""
        if not isinstance(body, str) or not isinstance(client_id, str):
            raise ChatError(code=ChatErrorCode.INVALID)
        (line, conversation_id), frames = await db(broadcast.run_collected)(
            self._post, content, body, client_id
        )
        await self.follow(conversation_id)
        await self.ack(conversation_id, client_id, line.seq)
        await self.publish(frames)

    def _post(self, content: Frame, body: str, client_id: str) -> tuple[Line, int]:
        assert self.visitor is not None
        named = _int(content.get("conversation"))
        conversation: Conversation | None
        if self.conversation_id is not None and named in (0, self.conversation_id):
            # The chat this socket follows was checked to be the visitor's when it followed it;
            # the action locks and loads the row itself.
            conversation = Conversation(pk=self.conversation_id)
        else:
            conversation = self._conversation(content)
        if conversation is None:
            raise ChatError(code=ChatErrorCode.NOT_FOUND)
        visitor = self.visitor

        def admit(_locked: Conversation) -> None:
            # Counted for new lines only: a resend is acknowledged without counting.
            visitor_ok = ratelimit.hit(ratelimit.CHAT_MESSAGE_PER_VISITOR, visitor.key)
            ip_ok = ratelimit.hit(ratelimit.CHAT_MESSAGE_PER_IP, self.ip)
            if not (visitor_ok and ip_ok):
                raise ChatError(code=ChatErrorCode.RATE_LIMITED)

        line, _created = actions.do_post_line(
            conversation, sender=Sender.VISITOR, body=body, client_id=client_id, admit=admit
        )
        return line, conversation.pk

    async def on_typing(self, content: Frame) -> None:
        if self.conversation_id is not None:
            await self.typing(self.conversation_id, content.get("on"))

    async def on_read(self, content: Frame) -> None:
        if self.conversation_id is not None:
            await self.mark(self.conversation_id, content, "read")

    async def on_delivered(self, content: Frame) -> None:
        if self.conversation_id is not None:
            await self.mark(self.conversation_id, content, "delivered")

    async def chat_frame(self, event: dict[str, Any]) -> None:
        frame = event["frame"]
        started = frame.get("conversation")
        is_newer = isinstance(started, int) and started > (self.conversation_id or 0)
        if frame.get("type") == "state" and is_newer:
            # A chat this visitor started elsewhere (another tab, the HTTP call): follow it.
            await self.follow(started)
        await super().chat_frame(event)
        if frame.get("type") == "error" and frame.get("code") == ChatErrorCode.BLOCKED:
            await self.close(code=CLOSE_REFUSED)


class AgentConsumer(_ChatConsumer):
    """``/ws/chat/agent/`` — a signed-in team member's session, same origin only. Follows the
    chat queues of the stores the agent serves and their own group; ``sync`` joins one chat.
    While open (and answering pings) it is the agent's presence for availability."""

    side = Sender.AGENT

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            await self.close()
            return
        self.user: User = user
        self.conversations: set[int] = set()
        stores = await db(self._register)()
        await self.accept()
        await self.join(broadcast.user_group(self.user.pk))
        for store_id in stores:
            await self.join(broadcast.queue_group(store_id))

    def _register(self) -> list[int]:
        Presence.objects.update_or_create(
            channel_name=self.channel_name,
            defaults={"user": self.user, "seen_at": timezone.now()},
        )
        return access.served_store_ids(self.user)

    async def disconnect(self, code: int) -> None:
        if getattr(self, "user", None) is None:
            return
        await self.leave_all()
        await db(Presence.objects.filter(channel_name=self.channel_name).delete)()

    async def on_ping(self, content: Frame) -> None:
        await db(self._refresh)()
        await self.send_json({"type": "pong"})

    def _refresh(self) -> None:
        now = timezone.now()
        updated = Presence.objects.filter(channel_name=self.channel_name).update(seen_at=now)
        if not updated:  # swept as stale meanwhile (a long pause): present again
            Presence.objects.create(user=self.user, channel_name=self.channel_name, seen_at=now)

    def _conversation_id(self, content: Frame) -> int:
        conversation_id = _int(content.get("conversation"))
        if not conversation_id:
            raise ChatError(code=ChatErrorCode.INVALID)
        return conversation_id

    async def on_sync(self, content: Frame) -> None:
        conversation_id = self._conversation_id(content)
        after = _int(content.get("after"))

        def load() -> tuple[list[Frame], Frame]:
            conversation = access.access_conversation_by_id(self.user, conversation_id)
            return _sync_frames(conversation, after)

        frames, synced = await db(load)()
        self.conversations.add(conversation_id)
        await self.join(broadcast.conversation_group(conversation_id))
        await self.send_synced(frames, synced)

    async def on_message(self, content: Frame) -> None:
        conversation_id = self._conversation_id(content)
        body = content.get("body")
        client_id = content.get("client_id") or ""
        if not isinstance(body, str) or not isinstance(client_id, str):
            raise ChatError(code=ChatErrorCode.INVALID)

        def post() -> tuple[Line, bool]:
            # Who may write is checked on the locked row (check_post_line): the chat's holder.
            return actions.check_post_line(
                Conversation(pk=conversation_id), body=body, client_id=client_id, actor=self.user
            )

        (line, _created), frames = await db(broadcast.run_collected)(post)
        if conversation_id not in self.conversations:
            self.conversations.add(conversation_id)
            await self.join(broadcast.conversation_group(conversation_id))
        await self.ack(conversation_id, client_id, line.seq)
        await self.publish(frames)

    async def on_typing(self, content: Frame) -> None:
        conversation_id = self._conversation_id(content)
        if conversation_id in self.conversations:
            await self.typing(conversation_id, content.get("on"))

    async def on_read(self, content: Frame) -> None:
        conversation_id = self._conversation_id(content)
        if conversation_id in self.conversations:
            await self.mark(conversation_id, content, "read")

    async def on_delivered(self, content: Frame) -> None:
        conversation_id = self._conversation_id(content)
        if conversation_id in self.conversations:
            await self.mark(conversation_id, content, "delivered")
