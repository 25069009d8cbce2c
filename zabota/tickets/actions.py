"""State changes of tickets. ``do_*`` trusts its arguments; ``check_*`` validates, calls ``do_*``.

Every ``do_*`` locks the ticket row, bumps its version, writes the timeline row and publishes
the event in one transaction.
"""

import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F, Q, Value
from django.utils import timezone

from zabota.accounts.models import Group, User
from zabota.commerce.models import Store
from zabota.core import event_types
from zabota.core.events import publish_all_on_commit, publish_on_commit
from zabota.core.html import html_to_text, sanitize_html, text_to_html
from zabota.customers.models import Customer
from zabota.tickets import access
from zabota.tickets.constants import (
    REOPENED_BY_CUSTOMER,
    Channel,
    EventKind,
    MessageKind,
    Priority,
    Status,
)
from zabota.tickets.error_codes import TicketError, TicketErrorCode
from zabota.tickets.models import Attachment, Message, Tag, Ticket, TicketEvent, TicketViewer


@dataclass(frozen=True)
class NewAttachment:
    filename: str
    content_type: str
    data: bytes
    content_id: str = ""


# Called inside the transaction of every agent reply (ticket, message), by channels that carry
# replies themselves rather than through a listener: a live chat must show a reply written on
# the ticket page, through the API or by a rule to the visitor at once (chat.ticket_replies).
ReplyHook = Callable[[Ticket, Message], None]
_reply_hooks: list[ReplyHook] = []


def on_reply(hook: ReplyHook) -> ReplyHook:
    _reply_hooks.append(hook)
    return hook


def _actor_id(actor: User | None) -> int | None:
    return actor.pk if actor is not None else None


def _locked(ticket: Ticket) -> Ticket:
    """Re-read the ticket under a row lock so that version bumps never interleave."""
    return Ticket.objects.select_for_update().get(pk=ticket.pk)


def _record(
    ticket: Ticket,
    kind: str,
    *,
    actor: User | None,
    actor_label: str = "",
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
    update_fields: Sequence[str] = (),
) -> TicketEvent:
    """Bump the version, save the given fields and write the timeline row."""
    now = at or timezone.now()
    ticket.version += 1
    ticket.updated_at = now
    ticket.save(update_fields=["version", "updated_at", *update_fields])
    return TicketEvent.objects.create(
        ticket=ticket,
        kind=kind,
        actor=actor,
        actor_label=actor_label or ("" if actor else "system"),
        data=data or {},
        version=ticket.version,
        created_at=now,
    )


def _preview(text: str) -> str:
    return " ".join(text.split())[:160]


def _store_attachments(message: Message, attachments: Iterable[NewAttachment]) -> None:
    for attachment in _saved_files(message, attachments):
        attachment.save()


def _saved_files(message: Message, attachments: Iterable[NewAttachment]) -> list[Attachment]:
    """The message's attachment rows, not yet saved, with their files written to storage."""
    rows = []
    for item in attachments:
        digest = hashlib.sha256(item.data).hexdigest()
        attachment = Attachment(
            message=message,
            filename=item.filename[:255] or "attachment",
            content_type=item.content_type[:127] or "application/octet-stream",
            size=len(item.data),
            sha256=digest,
            content_id=item.content_id,
        )
        attachment.file.save(digest, ContentFile(item.data), save=False)
        rows.append(attachment)
    return rows


def _bodies(body_text: str, body_html: str) -> tuple[str, str]:
    """Sanitise the HTML and make sure there is a plain-text version for search and previews."""
    clean_html = sanitize_html(body_html) if body_html else text_to_html(body_text)
    text = body_text.strip() or html_to_text(clean_html)
    return text, clean_html


def _new_message(
    ticket: Ticket,
    kind: str,
    *,
    text: str,
    html: str,
    at: datetime,
    channel: str | None = None,
    author_user: User | None = None,
    author_customer: Customer | None = None,
    author_customer_id: int | None = None,
    channel_meta: dict[str, Any] | None = None,
    external_id: str = "",
    attachments: Iterable[NewAttachment] = (),
) -> Message:
    message = Message.objects.create(
        ticket=ticket,
        kind=kind,
        author_user=author_user,
        author_customer_id=author_customer.pk if author_customer else author_customer_id,
        channel=channel or ticket.channel,
        body_text=text,
        body_html=html,
        channel_meta=channel_meta or {},
        external_id=external_id,
        original_ticket_number=ticket.number,
        created_at=at,
    )
    _store_attachments(message, attachments)
    return message


def _next_number(store: Store) -> int:
    Store.objects.filter(pk=store.pk).update(ticket_seq=F("ticket_seq") + 1)
    return Store.objects.values_list("ticket_seq", flat=True).get(pk=store.pk)


def do_create_ticket(
    *,
    store: Store,
    customer: Customer,
    subject: str,
    body_text: str,
    body_html: str = "",
    channel: str = Channel.EMAIL,
    priority: int = Priority.NORMAL,
    language: str = "",
    group: Group | None = None,
    assignee: User | None = None,
    tags: Iterable[Tag] = (),
    attachments: Iterable[NewAttachment] = (),
    channel_meta: dict[str, Any] | None = None,
    external_id: str = "",
    from_agent: bool = False,
    actor: User | None,
    at: datetime | None = None,
) -> Ticket:
    """Open a ticket with its first message: the customer's, or an agent's outbound one."""
    now = at or timezone.now()
    text, clean_html = _bodies(body_text, body_html)
    with transaction.atomic():
        ticket = Ticket.objects.create(
            store=store,
            number=_next_number(store),
            subject=subject.strip()[:300] or text[:80] or "(no subject)",
            status=Status.PENDING if from_agent else Status.NEW,
            priority=priority,
            channel=channel,
            language=language or customer.language,
            customer=customer,
            group=group if group is not None else store.default_group,
            assignee=assignee,
            last_activity_at=now,
            last_customer_message_at=None if from_agent else now,
            first_reply_at=now if from_agent else None,
            message_count=1,
            preview=_preview(text),
            created_at=now,
        )
        if tags:
            ticket.tags.add(*tags)
        message = _new_message(
            ticket,
            MessageKind.AGENT if from_agent else MessageKind.CUSTOMER,
            text=text,
            html=clean_html,
            at=now,
            channel=channel,
            author_user=actor if from_agent else None,
            author_customer=None if from_agent else customer,
            channel_meta=channel_meta,
            external_id=external_id,
            attachments=attachments,
        )
        TicketEvent.objects.create(
            ticket=ticket,
            kind=EventKind.CREATED,
            actor=actor,
            actor_label="" if actor else "customer",
            data={"channel": channel, "message_id": message.pk},
            version=ticket.version,
            created_at=now,
        )
        publish_on_commit(
            event_types.TICKET_CREATED,
            ticket_id=ticket.pk,
            store_id=store.pk,
            customer_id=customer.pk,
            actor_id=_actor_id(actor),
        )
        publish_on_commit(
            event_types.MESSAGE_SENT if from_agent else event_types.MESSAGE_RECEIVED,
            ticket_id=ticket.pk,
            message_id=message.pk,
        )
    return ticket


@dataclass(frozen=True)
class NewTicket:
    """A ticket a channel opens for a customer's message (``do_create_tickets``)."""

    store: Store
    customer: Customer
    subject: str
    body_text: str
    body_html: str = ""
    channel: str = Channel.EMAIL
    language: str = ""
    attachments: Sequence[NewAttachment] = ()
    channel_meta: dict[str, Any] | None = None
    external_id: str = ""
    at: datetime | None = None


def _reserve_numbers(store: Store, count: int) -> range:
    """``count`` consecutive ticket numbers of the store; the counter stays locked until the
    transaction ends, as with ``_next_number``."""
    Store.objects.filter(pk=store.pk).update(ticket_seq=F("ticket_seq") + count)
    last = Store.objects.values_list("ticket_seq", flat=True).get(pk=store.pk)
    return range(last - count + 1, last + 1)


def do_create_tickets(new: Sequence[NewTicket], *, actor: User | None) -> list[Message]:
    """``do_create_ticket`` for many customers' messages at once (a channel's batch): the same
    rows — ticket, first message, attachments, timeline row, ``ticket.created`` and
    ``message.received`` events — written with one insert per table and one counter update per
    store instead of a dozen statements per ticket. Returns the first messages in order (each
    with its ``ticket``)."""
    if not new:
        return []
    bodies = [_bodies(item.body_text, item.body_html) for item in new]
    with transaction.atomic():
        numbers: dict[int, Iterator[int]] = {}
        for store_id in dict.fromkeys(item.store.pk for item in new):
            stores = [item.store for item in new if item.store.pk == store_id]
            numbers[store_id] = iter(_reserve_numbers(stores[0], len(stores)))
        tickets = []
        for item, (text, _html) in zip(new, bodies, strict=True):
            now = item.at or timezone.now()
            tickets.append(
                Ticket(
                    store=item.store,
                    number=next(numbers[item.store.pk]),
                    subject=item.subject.strip()[:300] or text[:80] or "(no subject)",
                    status=Status.NEW,
                    priority=Priority.NORMAL,
                    channel=item.channel,
                    language=item.language or item.customer.language,
                    customer=item.customer,
                    group=item.store.default_group,
                    last_activity_at=now,
                    last_customer_message_at=now,
                    message_count=1,
                    preview=_preview(text),
                    created_at=now,
                )
            )
        tickets = Ticket.objects.bulk_create(tickets)
        messages = Message.objects.bulk_create(
            Message(
                ticket=ticket,
                kind=MessageKind.CUSTOMER,
                author_customer=item.customer,
                channel=item.channel,
                body_text=text,
                body_html=html,
                channel_meta=item.channel_meta or {},
                external_id=item.external_id,
                original_ticket_number=ticket.number,
                created_at=ticket.created_at,
            )
            for item, ticket, (text, html) in zip(new, tickets, bodies, strict=True)
        )
        Attachment.objects.bulk_create(
            attachment
            for item, message in zip(new, messages, strict=True)
            for attachment in _saved_files(message, item.attachments)
        )
        TicketEvent.objects.bulk_create(
            TicketEvent(
                ticket=ticket,
                kind=EventKind.CREATED,
                actor=actor,
                actor_label="" if actor else "customer",
                data={"channel": item.channel, "message_id": message.pk},
                version=ticket.version,
                created_at=ticket.created_at,
            )
            for item, ticket, message in zip(new, tickets, messages, strict=True)
        )
        events: list[tuple[str, dict[str, Any]]] = []
        for ticket, message in zip(tickets, messages, strict=True):
            events.append(
                (
                    event_types.TICKET_CREATED,
                    {
                        "ticket_id": ticket.pk,
                        "store_id": ticket.store_id,
                        "customer_id": ticket.customer_id,
                        "actor_id": _actor_id(actor),
                    },
                )
            )
            events.append(
                (event_types.MESSAGE_RECEIVED, {"ticket_id": ticket.pk, "message_id": message.pk})
            )
        publish_all_on_commit(events)
    return messages


def check_create_ticket(
    *,
    store: Store,
    customer: Customer,
    subject: str,
    body_text: str,
    body_html: str = "",
    channel: str = Channel.API,
    priority: int = Priority.NORMAL,
    language: str = "",
    group: Group | None = None,
    assignee: User | None = None,
    tags: Sequence[Tag] = (),
    attachments: Sequence[NewAttachment] = (),
    from_agent: bool = False,
    actor: User,
) -> Ticket:
    """A ticket opened by a team member (API, agent UI), not by a channel. An explicit group
    must belong to the store and an assignee to the group, and the actor must be allowed to
    give the ticket to them; without either, the ticket lands in the store's default group."""
    if priority not in Priority.values:
        raise TicketError(TicketErrorCode.INVALID_PRIORITY, priority=priority)
    if any(tag.store_id != store.pk for tag in tags):
        raise TicketError(TicketErrorCode.TAG_OTHER_STORE)
    if group is not None and group.store_id != store.pk:
        raise TicketError(TicketErrorCode.GROUP_OTHER_STORE)
    if assignee is not None:
        if not assignee.is_active:
            raise TicketError(TicketErrorCode.ASSIGNEE_INACTIVE)
        if group is None:
            group = _group_of_in_store(assignee, store)
        if group is None or not access.is_in_group(assignee, group):
            raise TicketError(TicketErrorCode.ASSIGNEE_NOT_IN_GROUP)
    if (group is not None or assignee is not None) and not access.can_assign(
        actor, assignee=assignee, group=group
    ):
        raise TicketError(TicketErrorCode.ASSIGN_NOT_ALLOWED)
    check_attachment_size(attachments)
    return do_create_ticket(
        store=store,
        customer=customer,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        channel=channel,
        priority=priority,
        language=language,
        group=group,
        assignee=assignee,
        tags=tags,
        attachments=attachments,
        from_agent=from_agent,
        actor=actor,
    )


def _group_of_in_store(user: User, store: Store) -> Group | None:
    """The store's default group if the user is in it, else the user's first group there."""
    default = store.default_group
    if default is not None and access.is_in_group(user, default):
        return default
    return (
        Group.objects.filter(store=store)
        .filter(Q(members=user) | Q(lead=user))
        .order_by("pk")
        .first()
    )


def do_add_customer_message(
    ticket: Ticket,
    *,
    body_text: str,
    body_html: str = "",
    channel: str | None = None,
    attachments: Iterable[NewAttachment] = (),
    channel_meta: dict[str, Any] | None = None,
    external_id: str = "",
    actor: User | None = None,
    at: datetime | None = None,
) -> Message:
    """Append the customer's message. It reopens a pending, awaiting or solved ticket; a message
    to a closed ticket starts a follow-up ticket so that nothing lands where nobody looks."""
    now = at or timezone.now()
    text, clean_html = _bodies(body_text, body_html)
    with transaction.atomic():
        ticket = _locked(ticket)
        if ticket.status == Status.CLOSED:
            follow_up = do_create_ticket(
                store=ticket.store,
                customer=ticket.customer,
                subject=ticket.subject,
                body_text=text,
                body_html=clean_html,
                channel=channel or ticket.channel,
                priority=ticket.priority,
                language=ticket.language,
                group=ticket.group,
                attachments=attachments,
                channel_meta={**(channel_meta or {}), "follow_up_of": ticket.number},
                external_id=external_id,
                actor=actor,
                at=now,
            )
            return follow_up.messages.get()
        message = _new_message(
            ticket,
            MessageKind.CUSTOMER,
            text=text,
            html=clean_html,
            at=now,
            channel=channel,
            author_user=actor,
            # The id only: the ticket row was re-read under its lock without its customer.
            author_customer_id=ticket.customer_id,
            channel_meta=channel_meta,
            external_id=external_id,
            attachments=attachments,
        )
        old_status = ticket.status
        ticket.last_activity_at = now
        ticket.last_customer_message_at = now
        ticket.message_count += 1
        ticket.preview = _preview(text)
        fields = ["last_activity_at", "last_customer_message_at", "message_count", "preview"]
        data: dict[str, Any] = {"message_id": message.pk}
        if old_status in REOPENED_BY_CUSTOMER:
            ticket.status = Status.OPEN
            ticket.awaiting_since = None
            ticket.solved_at = None
            fields += ["status", "awaiting_since", "solved_at"]
            data["reopened_from"] = old_status
        _record(
            ticket,
            EventKind.MESSAGE,
            actor=actor,
            actor_label="customer",
            data=data,
            at=now,
            update_fields=fields,
        )
        publish_on_commit(event_types.MESSAGE_RECEIVED, ticket_id=ticket.pk, message_id=message.pk)
        if "reopened_from" in data:
            publish_on_commit(
                event_types.TICKET_STATUS_CHANGED,
                ticket_id=ticket.pk,
                old=old_status,
                new=Status.OPEN,
                actor_id=None,
            )
    return message


def do_add_reply(
    ticket: Ticket,
    *,
    body_text: str,
    body_html: str = "",
    then_status: str | None = Status.PENDING,
    attachments: Iterable[NewAttachment] = (),
    macro_id: int | None = None,
    actor: User,
    at: datetime | None = None,
) -> Message:
    """Send an agent's reply to the customer and move the ticket to ``then_status``."""
    now = at or timezone.now()
    text, clean_html = _bodies(body_text, body_html)
    with transaction.atomic():
        ticket = _locked(ticket)
        message = _new_message(
            ticket,
            MessageKind.AGENT,
            text=text,
            html=clean_html,
            at=now,
            author_user=actor,
            channel_meta={"macro_id": macro_id} if macro_id else {},
            attachments=attachments,
        )
        ticket.last_activity_at = now
        ticket.message_count += 1
        ticket.preview = _preview(text)
        fields = ["last_activity_at", "message_count", "preview"]
        if ticket.first_reply_at is None:
            ticket.first_reply_at = now
            fields.append("first_reply_at")
        if ticket.status == Status.NEW and not then_status:
            then_status = Status.OPEN
        _record(
            ticket,
            EventKind.REPLY,
            actor=actor,
            data={"message_id": message.pk, "macro_id": macro_id},
            at=now,
            update_fields=fields,
        )
        publish_on_commit(event_types.MESSAGE_SENT, ticket_id=ticket.pk, message_id=message.pk)
        if then_status and then_status != ticket.status:
            _change_status(ticket, then_status, actor=actor, at=now)
        for hook in _reply_hooks:
            hook(ticket, message)
    return message


# Where an agent's reply may leave the ticket: waiting on the customer, waiting on their
# confirmation of a proposed solution, or still open on the team's side.
REPLY_THEN_STATUSES = (Status.PENDING, Status.AWAITING_CONFIRMATION, Status.OPEN)


def check_add_reply(
    ticket: Ticket,
    *,
    body_text: str,
    body_html: str = "",
    then_status: str = Status.PENDING,
    attachments: Sequence[NewAttachment] = (),
    macro_id: int | None = None,
    seen_version: int | None = None,
    actor: User,
) -> Message:
    """Refuse replies to merged tickets, unknown follow-up statuses and oversized files; with
    ``seen_version`` (the version the agent had on screen) refuse a reply written against an
    older ticket (COLLISION), so that the agent first sees what changed and then confirms."""
    if ticket.merged_into_id is not None:
        raise TicketError(TicketErrorCode.MERGED)
    if then_status not in REPLY_THEN_STATUSES:
        raise TicketError(TicketErrorCode.INVALID_STATUS, status=then_status)
    check_attachment_size(attachments)
    if seen_version is not None and ticket.version > seen_version:
        raise TicketError(TicketErrorCode.COLLISION)
    return do_add_reply(
        ticket,
        body_text=body_text,
        body_html=body_html,
        then_status=then_status,
        attachments=attachments,
        macro_id=macro_id,
        actor=actor,
    )


def check_add_note(
    ticket: Ticket,
    *,
    body_text: str,
    attachments: Sequence[NewAttachment] = (),
    actor: User,
) -> Message:
    """Notes never reach the customer, so a changed ticket is no reason to stop one."""
    if ticket.merged_into_id is not None:
        raise TicketError(TicketErrorCode.MERGED)
    check_attachment_size(attachments)
    return do_add_note(ticket, body_text=body_text, attachments=attachments, actor=actor)


def do_add_note(
    ticket: Ticket,
    *,
    body_text: str,
    attachments: Iterable[NewAttachment] = (),
    actor: User | None,
    actor_label: str = "",
    at: datetime | None = None,
) -> Message:
    """An internal note: the team sees it, the customer never does."""
    now = at or timezone.now()
    text, clean_html = _bodies(body_text, "")
    with transaction.atomic():
        ticket = _locked(ticket)
        message = _new_message(
            ticket,
            MessageKind.NOTE,
            text=text,
            html=clean_html,
            at=now,
            author_user=actor,
            channel_meta={"by": actor_label} if actor_label else {},
            attachments=attachments,
        )
        _record(
            ticket,
            EventKind.NOTE,
            actor=actor,
            actor_label=actor_label,
            data={"message_id": message.pk},
            at=now,
        )
        publish_on_commit(event_types.NOTE_ADDED, ticket_id=ticket.pk, message_id=message.pk)
    return message


def _change_status(
    ticket: Ticket,
    status: str,
    *,
    actor: User | None,
    actor_label: str = "",
    at: datetime | None = None,
    reason: str = "",
    extra: dict[str, Any] | None = None,
) -> None:
    """Status bookkeeping shared by every path that changes status (caller holds the lock);
    ``extra`` goes into the timeline row's data."""
    now = at or timezone.now()
    old = ticket.status
    ticket.status = status
    fields = ["status"]
    if status == Status.AWAITING_CONFIRMATION:
        ticket.awaiting_since = now
        fields.append("awaiting_since")
    if status == Status.SOLVED:
        ticket.solved_at = now
        fields.append("solved_at")
    if status == Status.CLOSED:
        ticket.closed_at = now
        fields.append("closed_at")
    if status in (Status.NEW, Status.OPEN, Status.PENDING):
        ticket.awaiting_since = None
        ticket.solved_at = None
        ticket.closed_at = None
        fields += ["awaiting_since", "solved_at", "closed_at"]
    data: dict[str, Any] = {"old": old, "new": status, **(extra or {})}
    if reason:
        data["reason"] = reason
    _record(
        ticket,
        EventKind.STATUS,
        actor=actor,
        actor_label=actor_label,
        data=data,
        at=now,
        update_fields=fields,
    )
    publish_on_commit(
        event_types.TICKET_STATUS_CHANGED,
        ticket_id=ticket.pk,
        old=old,
        new=status,
        actor_id=_actor_id(actor),
        # Why, where known: "customer_link", "reply", "agent_on_behalf", "timeout" for a solved
        # ticket (``do_confirm_solution``'s ``via``).
        reason=reason,
    )


def do_change_status(
    ticket: Ticket,
    *,
    status: str,
    actor: User | None,
    actor_label: str = "",
    reason: str = "",
    at: datetime | None = None,
) -> Ticket:
    with transaction.atomic():
        ticket = _locked(ticket)
        if ticket.status != status:
            _change_status(
                ticket, status, actor=actor, actor_label=actor_label, at=at, reason=reason
            )
    return ticket


def check_change_status(ticket: Ticket, *, status: str, actor: User) -> Ticket:
    """Agents propose solutions; only the customer (or the timeout) solves a ticket."""
    if status not in Status.values:
        raise TicketError(TicketErrorCode.INVALID_STATUS, status=status)
    if status == Status.SOLVED:
        raise TicketError(TicketErrorCode.CONFIRMATION_REQUIRED)
    if ticket.merged_into_id is not None:
        raise TicketError(TicketErrorCode.MERGED)
    if (
        status == Status.CLOSED
        and ticket.status != Status.SOLVED
        and not access.can_force_close(actor)
    ):
        raise TicketError(TicketErrorCode.CLOSE_NOT_ALLOWED)
    return do_change_status(ticket, status=status, actor=actor)


def _awaits(ticket: Ticket, proposed_at: datetime | None) -> bool:
    """The ticket awaits confirmation (of the proposal made at ``proposed_at``, if given)."""
    if ticket.status != Status.AWAITING_CONFIRMATION:
        return False
    return proposed_at is None or ticket.awaiting_since == proposed_at


def _proposal(proposed_at: datetime | None) -> dict[str, Any]:
    return {"proposed_at": proposed_at.isoformat()} if proposed_at else {}


def do_confirm_solution(
    ticket: Ticket,
    *,
    actor: User | None,
    via: str,
    proposed_at: datetime | None = None,
    at: datetime | None = None,
) -> Ticket:
    """The customer accepted the proposed solution.

    ``via``: reply, customer_link, agent_on_behalf or timeout. With ``proposed_at`` (a signed
    link names the proposal it answers) only that proposal is accepted, not a later one.
    """
    with transaction.atomic():
        ticket = _locked(ticket)
        if _awaits(ticket, proposed_at):
            label = "" if actor else ("system" if via == "timeout" else "customer")
            _change_status(
                ticket,
                Status.SOLVED,
                actor=actor,
                actor_label=label,
                at=at,
                reason=via,
                extra=_proposal(proposed_at),
            )
    return ticket


def do_reject_solution(
    ticket: Ticket, *, via: str, proposed_at: datetime | None = None, at: datetime | None = None
) -> Ticket:
    """The customer says the proposed solution did not help: the ticket is open again for the
    same agent (the assignee is kept). ``proposed_at`` as in ``do_confirm_solution``."""
    with transaction.atomic():
        ticket = _locked(ticket)
        if _awaits(ticket, proposed_at):
            _change_status(
                ticket,
                Status.OPEN,
                actor=None,
                actor_label="customer",
                at=at,
                reason=via,
                extra=_proposal(proposed_at),
            )
    return ticket


def check_confirm_solution(ticket: Ticket, *, actor: User) -> Ticket:
    """An agent records a confirmation the customer gave elsewhere (a phone call, a chat)."""
    if ticket.status != Status.AWAITING_CONFIRMATION:
        raise TicketError(TicketErrorCode.NOT_AWAITING_CONFIRMATION)
    return do_confirm_solution(ticket, actor=actor, via="agent_on_behalf")


def do_confirm_overdue_solutions(*, now: datetime | None = None) -> int:
    """Solve tickets whose customer stayed silent past the store's confirmation timeout."""
    now = now or timezone.now()
    solved = 0
    candidates = Ticket.objects.filter(status=Status.AWAITING_CONFIRMATION).select_related("store")
    for ticket in candidates.iterator():
        if (
            ticket.awaiting_since
            and ticket.awaiting_since + ticket.store.confirmation_timeout <= now
        ):
            do_confirm_solution(ticket, actor=None, via="timeout")
            solved += 1
    return solved


def do_close_solved(*, now: datetime | None = None) -> int:
    """Close tickets solved longer ago than the store's ``close_after``; a message to a closed
    ticket starts a follow-up ticket (``do_add_customer_message``)."""
    now = now or timezone.now()
    closed = 0
    due = Ticket.objects.filter(
        status=Status.SOLVED, solved_at__lte=Value(now) - F("store__close_after")
    )
    for ticket in due.only("pk").iterator():
        with transaction.atomic():
            locked = _locked(ticket)
            # Re-checked under the lock: the customer may have written in the meantime.
            if locked.status == Status.SOLVED:
                _change_status(locked, Status.CLOSED, actor=None, at=now, reason="auto_close")
                closed += 1
    return closed


def do_change_priority(
    ticket: Ticket,
    *,
    priority: int,
    actor: User | None,
    actor_label: str = "",
    at: datetime | None = None,
) -> Ticket:
    with transaction.atomic():
        ticket = _locked(ticket)
        old = ticket.priority
        if old == priority:
            return ticket
        ticket.priority = priority
        _record(
            ticket,
            EventKind.PRIORITY,
            actor=actor,
            actor_label=actor_label,
            data={"old": old, "new": priority},
            at=at,
            update_fields=["priority"],
        )
        publish_on_commit(
            event_types.TICKET_PRIORITY_CHANGED,
            ticket_id=ticket.pk,
            old=old,
            new=priority,
            actor_id=_actor_id(actor),
        )
    return ticket


def check_change_priority(ticket: Ticket, *, priority: int, actor: User) -> Ticket:
    if priority not in Priority.values:
        raise TicketError(TicketErrorCode.INVALID_PRIORITY, priority=priority)
    return do_change_priority(ticket, priority=priority, actor=actor)


def do_assign(
    ticket: Ticket,
    *,
    assignee: User | None,
    group: Group | None,
    actor: User | None,
    actor_label: str = "",
    at: datetime | None = None,
) -> Ticket:
    with transaction.atomic():
        ticket = _locked(ticket)
        if ticket.assignee_id == _actor_id(assignee) and ticket.group_id == (
            group.pk if group else None
        ):
            return ticket
        data = {
            "old_assignee": ticket.assignee_id,
            "new_assignee": _actor_id(assignee),
            "assignee_name": str(assignee) if assignee else "",
            "old_group": ticket.group_id,
            "new_group": group.pk if group else None,
            "group_name": group.name if group else "",
        }
        ticket.assignee = assignee
        ticket.group = group
        fields = ["assignee", "group"]
        if assignee is not None and ticket.status == Status.NEW:
            ticket.status = Status.OPEN
            fields.append("status")
            data["status"] = Status.OPEN
        _record(
            ticket,
            EventKind.ASSIGNED,
            actor=actor,
            actor_label=actor_label,
            data=data,
            at=at,
            update_fields=fields,
        )
        publish_on_commit(
            event_types.TICKET_ASSIGNED,
            ticket_id=ticket.pk,
            assignee_id=_actor_id(assignee),
            group_id=group.pk if group else None,
            actor_id=_actor_id(actor),
        )
    return ticket


def check_assign(
    ticket: Ticket, *, assignee: User | None, group: Group | None, actor: User
) -> Ticket:
    """The group must belong to the ticket's store and the assignee to the group."""
    if group is not None and group.store_id != ticket.store_id:
        raise TicketError(TicketErrorCode.GROUP_OTHER_STORE)
    if assignee is not None:
        if not assignee.is_active:
            raise TicketError(TicketErrorCode.ASSIGNEE_INACTIVE)
        if group is None:
            group = access.default_group_for(assignee, ticket)
        if group is not None and not access.is_in_group(assignee, group):
            raise TicketError(TicketErrorCode.ASSIGNEE_NOT_IN_GROUP)
    if not access.can_assign(actor, assignee=assignee, group=group):
        raise TicketError(TicketErrorCode.ASSIGN_NOT_ALLOWED)
    return do_assign(ticket, assignee=assignee, group=group, actor=actor)


def do_change_tags(
    ticket: Ticket,
    *,
    add: Iterable[Tag] = (),
    remove: Iterable[Tag] = (),
    actor: User | None,
    actor_label: str = "",
    at: datetime | None = None,
) -> Ticket:
    with transaction.atomic():
        ticket = _locked(ticket)
        current = set(ticket.tags.values_list("pk", flat=True))
        to_add = [t for t in add if t.pk not in current]
        to_remove = [t for t in remove if t.pk in current]
        if not to_add and not to_remove:
            return ticket
        # The link rows directly: one INSERT (the manager's add reads the existing ones first).
        through = Ticket.tags.through
        through.objects.bulk_create([through(ticket_id=ticket.pk, tag_id=t.pk) for t in to_add])
        if to_remove:
            ticket.tags.remove(*to_remove)
        data = {"added": [t.name for t in to_add], "removed": [t.name for t in to_remove]}
        _record(ticket, EventKind.TAGS, actor=actor, actor_label=actor_label, data=data, at=at)
        publish_on_commit(
            event_types.TICKET_TAGS_CHANGED,
            ticket_id=ticket.pk,
            added=[t.pk for t in to_add],
            removed=[t.pk for t in to_remove],
            actor_id=_actor_id(actor),
        )
    return ticket


def check_change_tags(
    ticket: Ticket, *, add: Iterable[Tag] = (), remove: Iterable[Tag] = (), actor: User
) -> Ticket:
    add, remove = list(add), list(remove)
    if any(t.store_id != ticket.store_id for t in [*add, *remove]):
        raise TicketError(TicketErrorCode.TAG_OTHER_STORE)
    return do_change_tags(ticket, add=add, remove=remove, actor=actor)


def get_or_create_tag(store: Store, name: str) -> Tag:
    name = " ".join(name.split()).lower()[:64]
    if not name:
        raise TicketError(TicketErrorCode.INVALID_TAG)
    tag, _created = Tag.objects.get_or_create(store=store, name=name)
    return tag


def do_merge_tickets(
    source: Ticket, target: Ticket, *, actor: User | None, at: datetime | None = None
) -> Ticket:
    """Move every message of ``source`` into ``target``; ``source`` is closed and points there."""
    with transaction.atomic():
        # Lock in id order so that two opposite merges cannot deadlock.
        locked = {
            t.pk: t
            for t in Ticket.objects.select_for_update()
            .filter(pk__in=[source.pk, target.pk])
            .order_by("pk")
        }
        source, target = locked[source.pk], locked[target.pk]
        moved = Message.objects.filter(ticket=source).update(ticket=target)
        target.tags.add(*source.tags.all())
        TicketViewer.objects.filter(ticket=source).delete()
        target.message_count = (
            Message.objects.filter(ticket=target).exclude(kind=MessageKind.NOTE).count()
        )
        target.last_activity_at = max(target.last_activity_at, source.last_activity_at)
        if source.last_customer_message_at and (
            target.last_customer_message_at is None
            or source.last_customer_message_at > target.last_customer_message_at
        ):
            target.last_customer_message_at = source.last_customer_message_at
        _record(
            target,
            EventKind.MERGED_IN,
            actor=actor,
            data={"ticket_id": source.pk, "number": source.number, "messages": moved},
            at=at,
            update_fields=["message_count", "last_activity_at", "last_customer_message_at"],
        )
        source.merged_into = target
        source.message_count = 0
        _record(
            source,
            EventKind.MERGED_INTO,
            actor=actor,
            data={"ticket_id": target.pk, "number": target.number},
            at=at,
            update_fields=["merged_into", "message_count"],
        )
        if source.status != Status.CLOSED:
            _change_status(source, Status.CLOSED, actor=actor, at=at, reason="merged")
        publish_on_commit(
            event_types.TICKET_MERGED,
            ticket_id=source.pk,
            into_ticket_id=target.pk,
            actor_id=_actor_id(actor),
        )
    return target


def check_merge_tickets(source: Ticket, target: Ticket, *, actor: User) -> Ticket:
    if source.pk == target.pk:
        raise TicketError(TicketErrorCode.MERGE_SELF)
    if source.store_id != target.store_id:
        raise TicketError(TicketErrorCode.MERGE_OTHER_STORE)
    if source.merged_into_id is not None or target.merged_into_id is not None:
        raise TicketError(TicketErrorCode.MERGED)
    return do_merge_tickets(source, target, actor=actor)


def do_move_customer_tickets(source: Customer, target: Customer, *, actor: User | None) -> int:
    """Point every ticket of ``source`` at ``target`` (used by customer merge)."""
    moved = 0
    for ticket in Ticket.objects.filter(customer=source).only("pk"):
        with transaction.atomic():
            locked = _locked(ticket)
            locked.customer = target
            _record(
                locked,
                EventKind.CUSTOMER,
                actor=actor,
                data={"old": source.pk, "new": target.pk, "reason": "customer merge"},
                update_fields=["customer"],
            )
            publish_on_commit(event_types.TICKET_UPDATED, ticket_id=locked.pk, fields=["customer"])
            moved += 1
    Message.objects.filter(author_customer=source).update(author_customer=target)
    return moved


def do_touch_viewer(ticket: Ticket, *, user: User, typing: bool = False) -> None:
    """Mark ``user`` as looking at ``ticket`` now (presence, not audit: no timeline row). One
    upsert: a read-then-write races with the "leave" a reloading page sends at the same moment."""
    TicketViewer.objects.bulk_create(
        [TicketViewer(ticket=ticket, user=user, seen_at=timezone.now(), typing=typing)],
        update_conflicts=True,
        unique_fields=["ticket", "user"],
        update_fields=["seen_at", "typing"],
    )


def do_leave_ticket(ticket: Ticket, *, user: User) -> None:
    TicketViewer.objects.filter(ticket=ticket, user=user).delete()


def check_attachment_size(attachments: Iterable[NewAttachment]) -> None:
    limit = settings.ZABOTA_MAX_ATTACHMENT_BYTES
    for item in attachments:
        if len(item.data) > limit:
            raise TicketError(
                TicketErrorCode.ATTACHMENT_TOO_LARGE, filename=item.filename, limit=limit
            )


def do_record_sla_events(rows: Sequence[tuple[int, dict[str, Any]]], *, at: datetime) -> None:
    """Timeline rows for SLA transitions the sweep found, one per ``(ticket_id, data)``: the
    versions are bumped with one UPDATE and the rows written with one INSERT per chunk, so a
    sweep over many tickets stays a handful of queries. The caller publishes the events."""
    chunk = 2000
    for start in range(0, len(rows), chunk):
        part = rows[start : start + chunk]
        ids = [ticket_id for ticket_id, _ in part]
        Ticket.objects.filter(pk__in=ids).update(version=F("version") + 1, updated_at=at)
        versions = dict(Ticket.objects.filter(pk__in=ids).values_list("pk", "version"))
        TicketEvent.objects.bulk_create(
            TicketEvent(
                ticket_id=ticket_id,
                kind=EventKind.SLA,
                actor_label="system",
                data=data,
                version=versions[ticket_id],
                created_at=at,
            )
            for ticket_id, data in part
            if ticket_id in versions
        )
