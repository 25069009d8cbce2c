"""State changes of live chats. ``do_*`` trusts its arguments; ``check_*`` validates and calls it.

Every conversation is a ticket with channel ``chat``: the visitor's lines are customer messages
and the agent's lines replies of that ticket (so rules, SLAs, routing and the timeline see them;
replies of chat tickets are not e-mailed, the e-mail channel sends ``channel=email`` messages
only). Each action is one transaction that locks the conversation row first (then the ticket
through the ticket actions), numbers its lines and sends its websocket frames after the commit
(``chat.broadcast``).
"""

import secrets
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from datetime import datetime, timedelta
from email.utils import formataddr
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop

from zabota.accounts.models import Group, User
from zabota.chat import access, broadcast
from zabota.chat.availability import agent_can_take, chat_group
from zabota.chat.constants import ConversationState, PrechatField, Sender
from zabota.chat.errors import ChatError, ChatErrorCode
from zabota.chat.models import ChatSettings, Conversation, Line, Presence, Visitor
from zabota.chat.tokens import sign_file, sign_visitor, visitor_from_token
from zabota.customers.actions import get_or_create_customer_by_identity
from zabota.customers.constants import IdentityKind
from zabota.customers.error_codes import CustomerError
from zabota.customers.models import Customer
from zabota.tickets.actions import (
    NewAttachment,
    check_attachment_size,
    do_add_customer_message,
    do_add_reply,
    do_assign,
    do_change_status,
    do_create_ticket,
)
from zabota.tickets.constants import ACTIVE_STATUSES, Channel, Status
from zabota.tickets.error_codes import TicketError
from zabota.tickets.models import Message, Ticket

# What a person types into one line (longer is refused, not cut).
MAX_BODY = 5000
MAX_NAME = 150
MAX_ORDER = 64
MAX_CLIENT_ID = 64
# Why the ticket of an ended chat is solved (the status change's reason on the timeline).
ENDED_REASON = "chat_ended"
# System lines, translated into the visitor's language when written.
JOINED = gettext_noop("%(name)s joined the chat.")
TRANSFERRED = gettext_noop("The chat was transferred to %(target)s.")
ENDED_BY_VISITOR = gettext_noop("The visitor ended the chat.")
ENDED_BY_AGENT = gettext_noop("%(name)s ended the chat.")


# --- visitors --------------------------------------------------------------------------------


def do_get_or_create_visitor(
    chat_settings: ChatSettings, token: str | None, *, language: str = ""
) -> tuple[Visitor, str]:
    """The visitor the token names, or a new one; returns the visitor and their token."""
    store = chat_settings.store
    now = timezone.now()
    visitor = visitor_from_token(token, store) if token else None
    if visitor is None:
        visitor = Visitor.objects.create(
            store=store,
            key=secrets.token_urlsafe(24),
            language=language[:8],
            created_at=now,
            last_seen_at=now,
        )
        return visitor, sign_visitor(visitor)
    fields: dict[str, Any] = {"last_seen_at": now}
    if language and language[:8] != visitor.language:
        fields["language"] = language[:8]
    Visitor.objects.filter(pk=visitor.pk).update(**fields)
    for name, value in fields.items():
        setattr(visitor, name, value)
    return visitor, token or sign_visitor(visitor)


def current_conversation(visitor: Visitor) -> Conversation | None:
    """The visitor's newest chat that has not ended."""
    return (
        Conversation.objects.select_related("ticket", "agent", "group", "store", "visitor")
        .filter(visitor=visitor)
        .exclude(state=ConversationState.ENDED)
        .order_by("-created_at", "-pk")
        .first()
    )


def _visitor_language(visitor: Visitor) -> str:
    """System lines are written in the language the visitor's widget speaks."""
    return visitor.language or visitor.store.default_language or "en"


def _check_body(body: str, *, attachments: Sequence[NewAttachment] = ()) -> str:
    body = body.strip()
    if not body and not attachments:
        raise ChatError({"body": gettext("Please write a message.")})
    if len(body) > MAX_BODY:
        raise ChatError(
            {"body": gettext("Please keep a message under %(max)d characters.") % {"max": MAX_BODY}}
        )
    try:
        check_attachment_size(attachments)
    except TicketError as exc:
        raise ChatError({"attachments": exc.message}) from exc
    return body


def _check_client_id(client_id: str) -> str:
    if len(client_id) > MAX_CLIENT_ID:
        raise ChatError({"client_id": gettext("Invalid message id.")})
    return client_id


def _check_not_blocked(visitor: Visitor) -> None:
    if visitor.blocked_at is not None:
        raise ChatError(code=ChatErrorCode.BLOCKED)


def _check_prechat(
    chat_settings: ChatSettings, *, name: str, email: str, order_number: str | None
) -> dict[str, str]:
    """The pre-chat fields cleaned; required ones present, lengths bounded, e-mail valid.
    ``order_number`` None: not asked here (a message left offline)."""
    errors: dict[str, str] = {}
    values = {
        "name": name.strip(),
        "email": email.strip(),
        "order_number": (order_number or "").strip(),
    }
    asked = {"name": chat_settings.ask_name, "email": chat_settings.ask_email}
    if order_number is not None:
        asked["order_number"] = chat_settings.ask_order
    for field, mode in asked.items():
        if mode == PrechatField.REQUIRED and not values[field]:
            errors[field] = gettext("This field is required.")
    if len(values["name"]) > MAX_NAME:
        errors["name"] = gettext("Please shorten the name.")
    if len(values["order_number"]) > MAX_ORDER:
        errors["order_number"] = gettext("Please check the order number.")
    if values["email"]:
        try:
            validate_email(values["email"])
        except ValidationError:
            errors["email"] = gettext("Please enter a valid e-mail address.")
    if errors:
        raise ChatError(errors)
    return values


def _customer_for(visitor: Visitor, *, name: str, email: str) -> Customer:
    """By e-mail when given (the visitor's earlier tickets are theirs), else the customer the
    widget made for this visitor before, else a new one known by the visitor's key."""
    try:
        if email:
            customer, _created = get_or_create_customer_by_identity(
                IdentityKind.EMAIL,
                email,
                display_name=name,
                language=visitor.language,
                actor=None,
            )
            return customer
        if visitor.customer_id is not None and visitor.customer is not None:
            return visitor.customer
        with translation.override(_visitor_language(visitor)):
            fallback = gettext("Chat visitor")
        customer, _created = get_or_create_customer_by_identity(
            IdentityKind.CHAT,
            visitor.key,
            display_name=name or fallback,
            language=visitor.language,
            actor=None,
        )
        return customer
    except CustomerError as exc:
        raise ChatError({"email": gettext("Please enter a valid e-mail address.")}) from exc


# --- lines and frames ------------------------------------------------------------------------


def _author(line: Line) -> str:
    if line.sender == Sender.AGENT and line.author_user is not None:
        return _first_name(line.author_user)
    if line.sender == Sender.VISITOR:
        return line.conversation.visitor.name
    return ""


def _first_name(user: User | None) -> str:
    if user is None:
        return ""
    parts = user.name.split()
    return parts[0] if parts else str(user)


def line_payload(line: Line, *, attachments: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A line as the ``line`` of a ``message`` frame (docs/chat.md); ``attachments`` when the
    caller knows them already."""
    if attachments is None:
        message = line.message if line.message_id is not None else None
        files = message.attachments.all() if message is not None else []
        attachments = [
            {
                "name": attachment.filename,
                "url": reverse("chat_widget:file", args=[sign_file(attachment.pk)]),
                "size": attachment.size,
            }
            for attachment in files
        ]
    return {
        "seq": line.seq,
        "sender": line.sender,
        "author": _author(line),
        "body": line.body,
        "client_id": line.client_id,
        "created_at": line.created_at.isoformat(),
        "attachments": attachments,
    }


def message_frame(line: Line, *, attachments: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "type": "message",
        "conversation": line.conversation_id,
        "line": line_payload(line, attachments=attachments),
    }


def lines_after(conversation: Conversation, seq: int, limit: int = 500) -> list[Line]:
    """The conversation's lines numbered above ``seq``, in order (what a reconnecting client
    missed)."""
    return list(
        Line.objects.filter(conversation=conversation, seq__gt=seq)
        .select_related("author_user", "conversation__visitor", "message")
        .prefetch_related("message__attachments")
        .order_by("seq")[:limit]
    )


def _locked(conversation: Conversation) -> Conversation:
    found = (
        Conversation.objects.select_for_update(of=("self",))
        .select_related("ticket", "visitor", "store", "agent", "group")
        .filter(pk=conversation.pk)
        .first()
    )
    if found is None:  # a socket named a chat that is not there (any more)
        raise ChatError(code=ChatErrorCode.NOT_FOUND)
    return found


# Set while do_post_line stores an agent's line: the ticket reply it makes is that line, not a
# reply written elsewhere that the chat must still show (chat.ticket_replies).
POSTING: ContextVar[bool] = ContextVar("zabota_chat_posting", default=False)


def add_reply_line(conversation: Conversation, message: Message, author: User | None) -> Line:
    """A reply written on the ticket page, through the API or by a rule, as the chat's next
    agent line (the caller is inside the reply's transaction)."""
    conversation = _locked(conversation)
    return _add_line(
        conversation,
        sender=Sender.AGENT,
        body=message.body_text,
        author=author,
        message=message,
        with_attachments=message.attachments.exists(),
    )


def _add_line(
    conversation: Conversation,
    *,
    sender: str,
    body: str,
    author: User | None = None,
    message: Message | None = None,
    client_id: str = "",
    with_attachments: bool = False,
) -> Line:
    """Number and store a line, and send it to both sides (caller holds the conversation lock)."""
    now = timezone.now()
    conversation.last_seq += 1
    Conversation.objects.filter(pk=conversation.pk).update(last_seq=conversation.last_seq)
    line = Line.objects.create(
        conversation=conversation,
        seq=conversation.last_seq,
        sender=sender,
        author_user=author,
        body=body,
        message=message,
        client_id=client_id,
        created_at=now,
    )
    # Without files posted there is nothing to look up for the frame.
    frame = message_frame(line, attachments=None if with_attachments else [])
    broadcast.send_on_commit(broadcast.conversation_group(conversation.pk), frame)
    return line


def _system_line(conversation: Conversation, text: str, **params: str) -> Line:
    with translation.override(_visitor_language(conversation.visitor)):
        body = gettext(text) % params if params else gettext(text)
    return _add_line(conversation, sender=Sender.SYSTEM, body=body)


def conversation_summary(conversation: Conversation) -> dict[str, Any]:
    """What the agents' queue shows of a chat (the ``conversation`` of a ``queue`` frame)."""
    visitor = conversation.visitor
    return {
        "id": conversation.pk,
        "state": conversation.state,
        "group": conversation.group_id,
        "group_name": conversation.group.name if conversation.group else "",
        "agent": _first_name(conversation.agent),
        "agent_id": conversation.agent_id,
        "visitor": visitor.name or visitor.email,
        "email": visitor.email,
        "page_url": conversation.page_url,
        "ticket": conversation.ticket.number,
        "ticket_id": conversation.ticket_id,
        "preview": conversation.ticket.preview,
        "created_at": conversation.created_at.isoformat(),
    }


def _announce(conversation: Conversation) -> None:
    """The chat's new state to both sides and the store's queue."""
    broadcast.send_on_commit(
        broadcast.conversation_group(conversation.pk),
        {
            "type": "state",
            "conversation": conversation.pk,
            "state": conversation.state,
            "agent": _first_name(conversation.agent),
        },
    )
    store_id = conversation.store_id

    def queue_frame() -> dict[str, Any]:
        # Counted at the commit, so that two chats queued at once both report the full count.
        waiting = Conversation.objects.filter(
            store_id=store_id, state=ConversationState.QUEUED
        ).count()
        return {
            "type": "queue",
            "store": store_id,
            "waiting": waiting,
            "conversation": conversation_summary(conversation),
        }

    broadcast.send_on_commit(broadcast.queue_group(store_id), queue_frame)


# --- conversations ---------------------------------------------------------------------------


def do_start_conversation(
    visitor: Visitor,
    *,
    body: str,
    client_id: str = "",
    name: str = "",
    email: str = "",
    order_number: str = "",
    page_url: str = "",
    attachments: Sequence[NewAttachment] = (),
) -> Conversation:
    """Open a chat with the visitor's first message: a ticket (channel chat) in the chat group,
    queued for its agents. A visitor who already has a chat writes into it instead."""
    _check_not_blocked(visitor)
    body = _check_body(body, attachments=attachments)
    client_id = _check_client_id(client_id)
    chat_settings = ChatSettings.objects.select_related("store__default_group", "group").get(
        store_id=visitor.store_id
    )
    values = _check_prechat(chat_settings, name=name, email=email, order_number=order_number)
    existing = current_conversation(visitor)
    if existing is not None:
        do_post_line(
            existing,
            sender=Sender.VISITOR,
            body=body,
            client_id=client_id,
            attachments=attachments,
        )
        return existing
    now = timezone.now()
    with transaction.atomic():
        visitor = Visitor.objects.select_for_update().select_related("store").get(pk=visitor.pk)
        customer = _customer_for(visitor, name=values["name"], email=values["email"])
        visitor.name = values["name"] or visitor.name
        visitor.email = values["email"] or visitor.email
        visitor.customer = customer
        visitor.last_seen_at = now
        visitor.save(update_fields=["name", "email", "customer", "last_seen_at"])
        group = chat_group(chat_settings)
        meta: dict[str, Any] = {"chat_visitor": visitor.pk}
        if values["order_number"]:
            meta["order_number"] = values["order_number"]
        if page_url:
            meta["page_url"] = page_url[:1000]
        ticket = do_create_ticket(
            store=chat_settings.store,
            customer=customer,
            subject="",
            body_text=body,
            channel=Channel.CHAT,
            language=visitor.language,
            group=group,
            attachments=attachments,
            channel_meta=meta,
            actor=None,
            at=now,
        )
        conversation = Conversation.objects.create(
            ticket=ticket,
            store=chat_settings.store,
            visitor=visitor,
            group=group,
            page_url=page_url[:1000],
            created_at=now,
        )
        message = ticket.messages.order_by("pk").first()
        _add_line(
            conversation,
            sender=Sender.VISITOR,
            body=body,
            message=message,
            client_id=client_id,
            with_attachments=bool(attachments),
        )
        _announce(conversation)
        # The visitor's open sockets (other tabs too) learn of the new chat and follow it.
        broadcast.send_on_commit(
            broadcast.visitor_group(visitor.pk),
            {"type": "state", "conversation": conversation.pk, "state": conversation.state},
        )
    return conversation


def do_post_line(
    conversation: Conversation,
    *,
    sender: str,
    body: str,
    client_id: str = "",
    actor: User | None = None,
    attachments: Sequence[NewAttachment] = (),
    admit: Callable[[Conversation], None] | None = None,
) -> tuple[Line, bool]:
    """Add a visitor's or the agent's line (and its ticket message). A line whose ``client_id``
    the conversation already has is a resend after a dropped connection: the stored one is
    returned (False) and nothing is written or sent again. ``admit`` checks a new line on the
    locked conversation before anything is written (raising ``ChatError``): the sockets' rate
    limits and permission, without a query of their own and not counting resends."""
    client_id = _check_client_id(client_id)
    body = _check_body(body, attachments=attachments)
    with transaction.atomic():
        conversation = _locked(conversation)
        if client_id:
            # Looked up under the lock: a resend racing its first copy waits for it here.
            known = Line.objects.filter(conversation=conversation, client_id=client_id).first()
            if known is not None:
                return known, False
        if admit is not None:
            admit(conversation)
        if conversation.state == ConversationState.ENDED:
            raise ChatError(code=ChatErrorCode.ENDED)
        if sender == Sender.VISITOR:
            _check_not_blocked(conversation.visitor)
            message = do_add_customer_message(
                conversation.ticket,
                body_text=body,
                channel=Channel.CHAT,
                attachments=attachments,
            )
            author = None
        elif sender == Sender.AGENT:
            if actor is None:
                raise ChatError(code=ChatErrorCode.NOT_ALLOWED)
            token = POSTING.set(True)
            try:
                message = do_add_reply(
                    conversation.ticket,
                    body_text=body,
                    then_status=Status.OPEN,
                    attachments=attachments,
                    actor=actor,
                )
            finally:
                POSTING.reset(token)
            author = actor
        else:
            raise ChatError({"sender": "unknown sender"})
        line = _add_line(
            conversation,
            sender=sender,
            body=body,
            author=author,
            message=message,
            client_id=client_id,
            with_attachments=bool(attachments),
        )
    return line, True


def check_post_line(
    conversation: Conversation,
    *,
    body: str,
    client_id: str = "",
    actor: User,
    attachments: Sequence[NewAttachment] = (),
) -> tuple[Line, bool]:
    """An agent writes: only the one holding the chat, while it is active — checked on the
    locked row, so a transfer or an end that commits first wins."""

    def admit(locked: Conversation) -> None:
        if not access.can_post(actor, locked):
            raise ChatError(
                code=ChatErrorCode.NOT_ALLOWED
                if access.can_see_conversation(actor, locked)
                else ChatErrorCode.NOT_FOUND
            )
        if locked.state != ConversationState.ACTIVE:
            raise ChatError(code=ChatErrorCode.ENDED)

    return do_post_line(
        conversation,
        sender=Sender.AGENT,
        body=body,
        client_id=client_id,
        actor=actor,
        attachments=attachments,
        admit=admit,
    )


def do_accept(conversation: Conversation, *, actor: User) -> Conversation:
    """The agent takes the chat: it becomes active with them, and the ticket is theirs."""
    with transaction.atomic():
        conversation = _locked(conversation)
        conversation.state = ConversationState.ACTIVE
        conversation.agent = actor
        conversation.accepted_at = conversation.accepted_at or timezone.now()
        conversation.save(update_fields=["state", "agent", "accepted_at"])
        do_assign(conversation.ticket, assignee=actor, group=conversation.group, actor=actor)
        _system_line(conversation, JOINED, name=_first_name(actor))
        _announce(conversation)
    return conversation


def check_accept(conversation: Conversation, *, actor: User) -> Conversation:
    """Refuse chats outside the agent's reach, chats no longer waiting and agents at their
    limit. The agent's row is locked, so two chats accepted at once cannot both take the last
    free place."""
    if not access.can_accept(actor, conversation):
        raise ChatError(code=ChatErrorCode.NOT_FOUND)
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=actor.pk).first()
        conversation = _locked(conversation)
        if conversation.state != ConversationState.QUEUED:
            raise ChatError(code=ChatErrorCode.NOT_WAITING)
        if not agent_can_take(actor):
            raise ChatError(code=ChatErrorCode.AT_CAPACITY)
        return do_accept(conversation, actor=actor)


def _group_of(user: User, conversation: Conversation) -> Group | None:
    if conversation.group is not None and (
        conversation.group.lead_id == user.pk
        or conversation.group.members.filter(pk=user.pk).exists()
    ):
        return conversation.group
    return (
        Group.objects.filter(store_id=conversation.store_id, members=user).order_by("pk").first()
        or Group.objects.filter(store_id=conversation.store_id, lead=user).order_by("pk").first()
        or conversation.group
    )


def do_transfer(
    conversation: Conversation,
    *,
    actor: User,
    to_user: User | None = None,
    to_group: Group | None = None,
) -> Conversation:
    """To an agent: the chat stays active with them. To a group only: it waits in that group's
    queue again."""
    with transaction.atomic():
        conversation = _locked(conversation)
        if to_user is not None:
            group = to_group or _group_of(to_user, conversation)
            conversation.state = ConversationState.ACTIVE
            conversation.agent = to_user
            conversation.group = group
            conversation.accepted_at = conversation.accepted_at or timezone.now()
            target = _first_name(to_user)
        else:
            conversation.state = ConversationState.QUEUED
            conversation.agent = None
            conversation.group = to_group
            target = to_group.name if to_group is not None else ""
        conversation.save(update_fields=["state", "agent", "group", "accepted_at"])
        do_assign(
            conversation.ticket, assignee=conversation.agent, group=conversation.group, actor=actor
        )
        _system_line(conversation, TRANSFERRED, target=target)
        _announce(conversation)
    return conversation


def check_transfer(
    conversation: Conversation,
    *,
    actor: User,
    to_user: User | None = None,
    to_group: Group | None = None,
) -> Conversation:
    if not access.can_transfer(actor, conversation):
        raise ChatError(code=ChatErrorCode.NOT_ALLOWED)
    if conversation.state == ConversationState.ENDED:
        raise ChatError(code=ChatErrorCode.ENDED)
    if to_user is None and to_group is None:
        raise ChatError({"to": gettext("Choose an agent or a group.")})
    if to_group is not None and to_group.store_id != conversation.store_id:
        raise ChatError({"to_group": gettext("The group belongs to another store.")})
    if to_user is not None:
        if not to_user.is_active:
            raise ChatError({"to_user": gettext("The agent's account is deactivated.")})
        probe = Conversation(store_id=conversation.store_id, group=to_group or conversation.group)
        reachable = (
            access.can_accept(to_user, probe)
            or Group.objects.filter(store_id=conversation.store_id, members=to_user).exists()
        )
        if not reachable:
            raise ChatError({"to_user": gettext("The agent does not answer this store's chats.")})
        if to_user.pk != conversation.agent_id and not agent_can_take(to_user):
            raise ChatError(code=ChatErrorCode.TARGET_AT_CAPACITY)
    return do_transfer(conversation, actor=actor, to_user=to_user, to_group=to_group)


def do_end(
    conversation: Conversation, *, actor: User | None, transcript_to: str = ""
) -> Conversation:
    """End the chat (``actor`` None: the visitor ended it). Its ticket is solved, with the
    reason ``chat_ended``; with ``transcript_to`` the transcript is e-mailed there."""
    transcript_to = _checked_email(transcript_to)
    with transaction.atomic():
        conversation = _locked(conversation)
        if conversation.state == ConversationState.ENDED:
            return conversation
        conversation.state = ConversationState.ENDED
        conversation.ended_at = timezone.now()
        conversation.save(update_fields=["state", "ended_at"])
        if actor is None:
            _system_line(conversation, ENDED_BY_VISITOR)
        else:
            _system_line(conversation, ENDED_BY_AGENT, name=_first_name(actor))
        ticket = Ticket.objects.get(pk=conversation.ticket_id)
        if ticket.status in ACTIVE_STATUSES:
            do_change_status(
                ticket,
                status=Status.SOLVED,
                actor=actor,
                actor_label="" if actor is not None else "visitor",
                reason=ENDED_REASON,
            )
        _announce(conversation)
        if transcript_to:
            do_send_transcript(conversation, transcript_to)
    return conversation


def check_end(conversation: Conversation, *, actor: User, transcript_to: str = "") -> Conversation:
    if not access.can_end(actor, conversation):
        raise ChatError(code=ChatErrorCode.NOT_ALLOWED)
    return do_end(conversation, actor=actor, transcript_to=_checked_email(transcript_to))


def _checked_email(address: str) -> str:
    address = address.strip()
    if address:
        try:
            validate_email(address)
        except ValidationError as exc:
            raise ChatError({"email": gettext("Please enter a valid e-mail address.")}) from exc
    return address


def do_send_transcript(conversation: Conversation, email: str) -> None:
    """Queue the transcript e-mail once the transaction commits (``chat.tasks``)."""
    from zabota.chat.tasks import send_transcript_task

    conversation_id = conversation.pk
    address = _checked_email(email)
    if address:
        transaction.on_commit(lambda: send_transcript_task.enqueue(conversation_id, address))


def do_mark(
    conversation: Conversation,
    *,
    side: str,
    delivered_seq: int | None = None,
    read_seq: int | None = None,
) -> dict[str, int]:
    """Move a side's watermarks forward (never back, never past the last line) and tell the
    other side. Reading a line implies having received it. Returns the watermarks moved."""
    if side not in (Sender.VISITOR, Sender.AGENT):
        raise ChatError({"side": "unknown side"})
    moved: dict[str, int] = {}
    delivered = max(delivered_seq or 0, read_seq or 0)
    with transaction.atomic():
        for kind, seq, announce in (
            ("delivered", delivered, delivered_seq is not None),
            ("read", read_seq or 0, True),
        ):
            if seq <= 0:
                continue
            field = f"{side}_{kind}_seq"
            updated = Conversation.objects.filter(
                pk=conversation.pk, last_seq__gte=seq, **{f"{field}__lt": seq}
            ).update(**{field: seq})
            if not updated:
                continue
            setattr(conversation, field, seq)
            moved[kind] = seq
            if announce:
                broadcast.send_on_commit(
                    broadcast.conversation_group(conversation.pk),
                    {"type": kind, "conversation": conversation.pk, "sender": side, "seq": seq},
                )
    return moved


def do_block_visitor(visitor: Visitor, *, actor: User) -> Visitor:
    """The visitor can no longer start chats, write or leave messages; their open chat ends."""
    with transaction.atomic():
        visitor = Visitor.objects.select_for_update().select_related("store").get(pk=visitor.pk)
        if visitor.blocked_at is None:
            visitor.blocked_at = timezone.now()
            visitor.blocked_by = actor
            visitor.save(update_fields=["blocked_at", "blocked_by"])
        current = current_conversation(visitor)
        if current is not None:
            do_end(current, actor=actor)
        broadcast.send_on_commit(
            broadcast.visitor_group(visitor.pk),
            {
                "type": "error",
                "code": ChatErrorCode.BLOCKED.value,
                "message": str(ChatErrorCode.BLOCKED.label),
            },
        )
    return visitor


def check_block_visitor(conversation: Conversation, *, actor: User) -> Visitor:
    if not access.can_block(actor, conversation):
        raise ChatError(code=ChatErrorCode.NOT_ALLOWED)
    return do_block_visitor(conversation.visitor, actor=actor)


def do_leave_message(
    chat_settings: ChatSettings,
    visitor: Visitor,
    *,
    name: str,
    email: str,
    body: str,
    attachments: Sequence[NewAttachment] = (),
) -> Ticket:
    """Nobody can chat now: the message becomes an e-mail ticket from the visitor's address, so
    that the answer goes out by e-mail (and the mailbox's acknowledgement, if it sends one)."""
    _check_not_blocked(visitor)
    errors: dict[str, str] = {}
    values: dict[str, str] = {}
    for check in (
        lambda: _check_body(body, attachments=attachments),
        lambda: values.update(
            _check_prechat(chat_settings, name=name, email=email, order_number=None)
        ),
    ):
        try:
            check()
        except ChatError as exc:
            errors.update(exc.errors)
    if not email.strip():
        errors["email"] = gettext("This field is required.")
    if errors:
        raise ChatError(errors)
    body = body.strip()
    with transaction.atomic():
        visitor = Visitor.objects.select_for_update().select_related("store").get(pk=visitor.pk)
        customer = _customer_for(visitor, name=values["name"], email=values["email"])
        visitor.name = values["name"] or visitor.name
        visitor.email = values["email"]
        visitor.customer = customer
        visitor.last_seen_at = timezone.now()
        visitor.save(update_fields=["name", "email", "customer", "last_seen_at"])
        sender = formataddr((values["name"], values["email"]))
        return do_create_ticket(
            store=chat_settings.store,
            customer=customer,
            subject="",
            body_text=body,
            channel=Channel.EMAIL,
            language=visitor.language,
            group=chat_group(chat_settings),
            attachments=attachments,
            channel_meta={"from": sender, "via": "chat_widget", "chat_visitor": visitor.pk},
            actor=None,
        )


def do_forget_stale_presence(*, now: datetime | None = None) -> int:
    """Delete presence rows of sockets that stopped answering (a crashed server's); they no
    longer count anyway, this only keeps the table small. Returns how many were deleted."""
    cutoff = (now or timezone.now()) - timedelta(seconds=settings.ZABOTA_CHAT_PRESENCE_SECONDS)
    deleted, _by_model = Presence.objects.filter(seen_at__lt=cutoff).delete()
    return deleted
