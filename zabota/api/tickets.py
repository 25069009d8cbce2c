"""Tickets: the inbox list, create, read, change, merge, confirm, and the conversation."""

import json

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status
from ninja.responses import NinjaJSONEncoder

from zabota.accounts.models import Group, User
from zabota.api.auth import actor_of
from zabota.api.error_codes import ApiError, ApiErrorCode
from zabota.api.pagination import Keyset, keyset_page
from zabota.api.schemas.common import MergeIn, PageParams, errors, priority_value
from zabota.api.schemas.tickets import (
    MessageIn,
    MessageList,
    MessageOut,
    TicketCreate,
    TicketFilters,
    TicketList,
    TicketOut,
    TicketPatch,
    ticket_out,
)
from zabota.commerce.access import access_store, default_store_for
from zabota.commerce.models import Store
from zabota.customers.access import access_customer_by_id
from zabota.customers.actions import get_or_create_customer_by_identity
from zabota.customers.constants import IdentityKind
from zabota.customers.models import Customer
from zabota.tickets.access import (
    access_agent_by_id,
    access_group_by_id,
    access_macro_by_id,
    access_ticket_by_id,
    visible_tags,
)
from zabota.tickets.actions import (
    check_add_note,
    check_add_reply,
    check_assign,
    check_change_priority,
    check_change_status,
    check_change_tags,
    check_confirm_solution,
    check_create_ticket,
    check_merge_tickets,
    get_or_create_tag,
)
from zabota.tickets.constants import Status as TicketStatus
from zabota.tickets.models import Message, Tag, Ticket
from zabota.tickets.queries import InboxFilter, inbox_page

router = Router(tags=["tickets"])

# Oldest first, as a conversation reads.
MESSAGE_KEYSET = Keyset(("created_at", "id"))


@router.get("", response={200: TicketList, **errors(400, 404)})
def list_tickets(request: HttpRequest, filters: Query[TicketFilters]) -> HttpResponse:
    """The inbox: tickets the token's user can see, newest activity first unless sorted
    otherwise. `view` narrows like the inbox views (default `all`: every ticket not merged away)."""
    # TicketList documents the answer; it is built as plain data and encoded as ninja would
    # (``schemas.tickets.ticket_out``), without validating every ticket through pydantic.
    actor = actor_of(request)
    page = inbox_page(
        actor,
        InboxFilter(
            view=filters.view,
            status=filters.status or "",
            priority=priority_value(filters.priority) if filters.priority else None,
            channel=filters.channel or "",
            tag_id=filters.tag,
            group_id=filters.group,
            assignee_id=filters.assignee,
            customer_id=filters.customer,
            store_id=access_store(actor, filters.store).pk if filters.store else None,
            sort=filters.sort,
        ),
        cursor=filters.cursor,
        limit=filters.limit,
        details=True,
    )
    body = {"items": [ticket_out(t, page.tags_of(t)) for t in page.items], "next": page.next_cursor}
    return HttpResponse(
        json.dumps(body, cls=NinjaJSONEncoder), content_type="application/json; charset=utf-8"
    )


@router.post("", response={201: TicketOut, **errors(400, 403, 404, 409)})
def create_ticket(request: HttpRequest, payload: TicketCreate) -> Status:
    """Open a ticket for a customer given by id or by e-mail (found case-insensitively, or
    created). With `from_agent` the first message is the agent's, sent to the customer."""
    actor = actor_of(request)
    # One transaction: a refused ticket leaves no customer or tags behind.
    with transaction.atomic():
        store = _store(actor, payload.store)
        group = access_group_by_id(actor, payload.group_id) if payload.group_id else None
        assignee = access_agent_by_id(actor, payload.assignee_id) if payload.assignee_id else None
        ticket = check_create_ticket(
            store=store,
            customer=_customer(actor, payload),
            subject=payload.subject,
            body_text=payload.body_text,
            body_html=payload.body_html,
            channel=payload.channel,
            priority=priority_value(payload.priority),
            language=payload.language,
            group=group,
            assignee=assignee,
            tags=[get_or_create_tag(store, name) for name in payload.tags],
            from_agent=payload.from_agent,
            actor=actor,
        )
    return Status(201, ticket)


def _store(actor: User, slug_or_id: str | None) -> Store:
    if slug_or_id:
        return access_store(actor, slug_or_id)
    store = default_store_for(actor)
    if store is None:
        raise ApiError(ApiErrorCode.STORE_REQUIRED, 400)
    return store


def _customer(actor: User, payload: TicketCreate) -> Customer:
    if payload.customer_id is not None:
        return access_customer_by_id(actor, payload.customer_id)
    assert payload.customer_email is not None  # the schema requires one of the two
    customer, _created = get_or_create_customer_by_identity(
        IdentityKind.EMAIL,
        payload.customer_email,
        display_name=payload.customer_name,
        language=payload.language,
        actor=actor,
    )
    return customer


@router.get("/{ticket_id}", response={200: TicketOut, **errors(404)})
def get_ticket(request: HttpRequest, ticket_id: int) -> Ticket:
    return access_ticket_by_id(actor_of(request), ticket_id)


@router.patch("/{ticket_id}", response={200: TicketOut, **errors(400, 403, 404, 409)})
def update_ticket(request: HttpRequest, ticket_id: int, payload: TicketPatch) -> Ticket:
    """Change only the fields sent, each through the same rules as in the agent UI, all or
    nothing. Agents cannot set `solved`: they propose a solution (`awaiting_confirmation`) and
    the customer confirms it."""
    actor = actor_of(request)
    ticket = access_ticket_by_id(actor, ticket_id)
    sent = payload.model_fields_set
    with transaction.atomic():
        if "assignee_id" in sent or "group_id" in sent:
            assignee, group = _assignment(actor, ticket, payload)
            ticket = check_assign(ticket, assignee=assignee, group=group, actor=actor)
        if payload.status is not None:
            ticket = check_change_status(ticket, status=payload.status, actor=actor)
        if payload.priority is not None:
            priority = priority_value(payload.priority)
            ticket = check_change_priority(ticket, priority=priority, actor=actor)
        if payload.add_tags or payload.remove_tags:
            ticket = check_change_tags(
                ticket,
                add=[get_or_create_tag(ticket.store, name) for name in payload.add_tags],
                remove=_existing_tags(actor, ticket, payload.remove_tags),
                actor=actor,
            )
    return ticket


def _assignment(
    actor: User, ticket: Ticket, payload: TicketPatch
) -> tuple[User | None, Group | None]:
    """The assignee and group after the change: what was sent, else what the ticket has. A new
    assignee without a group keeps the ticket's group if they are in it (check_assign decides)."""
    sent = payload.model_fields_set
    assignee = ticket.assignee
    if "assignee_id" in sent:
        assignee = access_agent_by_id(actor, payload.assignee_id) if payload.assignee_id else None
    if "group_id" in sent:
        group = access_group_by_id(actor, payload.group_id) if payload.group_id else None
    elif assignee is not None and assignee != ticket.assignee:
        group = None
    else:
        group = ticket.group
    return assignee, group


def _existing_tags(actor: User, ticket: Ticket, names: list[str]) -> list[Tag]:
    if not names:
        return []
    # The form get_or_create_tag stores names in; a tag that does not exist is not on the ticket.
    normalized = [" ".join(name.split()).lower() for name in names]
    return list(visible_tags(actor).filter(store_id=ticket.store_id, name__in=normalized))


@router.post("/{ticket_id}/merge", response={200: TicketOut, **errors(400, 404, 409)})
def merge_ticket(request: HttpRequest, ticket_id: int, payload: MergeIn) -> Ticket:
    """Move this ticket's conversation into ticket `into`; this one is closed and points there.
    Returns the surviving ticket."""
    actor = actor_of(request)
    source = access_ticket_by_id(actor, ticket_id)
    target = access_ticket_by_id(actor, payload.into)
    return check_merge_tickets(source, target, actor=actor)


@router.post("/{ticket_id}/confirm", response={200: TicketOut, **errors(404, 409)})
def confirm_solution(request: HttpRequest, ticket_id: int) -> Ticket:
    """Record that the customer confirmed the proposed solution elsewhere (a call, a chat):
    the ticket, awaiting confirmation, becomes solved."""
    actor = actor_of(request)
    return check_confirm_solution(access_ticket_by_id(actor, ticket_id), actor=actor)


@router.get("/{ticket_id}/messages", response={200: MessageList, **errors(400, 404)})
def list_messages(
    request: HttpRequest, ticket_id: int, page: Query[PageParams]
) -> dict[str, object]:
    """The conversation, oldest first: customer messages, replies and internal notes."""
    ticket = access_ticket_by_id(actor_of(request), ticket_id)
    messages = (
        Message.objects.filter(ticket=ticket)
        .select_related("author_user", "author_customer")
        .prefetch_related("attachments")
    )
    items, next_cursor = keyset_page(messages, MESSAGE_KEYSET, cursor=page.cursor, limit=page.limit)
    return {"items": items, "next": next_cursor}


@router.post("/{ticket_id}/messages", response={201: MessageOut, **errors(400, 404, 409)})
def post_message(request: HttpRequest, ticket_id: int, payload: MessageIn) -> Status:
    """A reply (sent to the customer) or an internal note. A reply leaves the ticket `pending`
    unless `then_status` (or the macro it came from) says otherwise; with `seen_version` it is
    refused with `collision` if the ticket changed since."""
    actor = actor_of(request)
    ticket = access_ticket_by_id(actor, ticket_id)
    if payload.kind == "note":
        return Status(201, check_add_note(ticket, body_text=payload.body_text, actor=actor))
    macro = access_macro_by_id(actor, payload.macro_id) if payload.macro_id else None
    then_status = payload.then_status or (macro.set_status if macro else "") or TicketStatus.PENDING
    with transaction.atomic():
        message = check_add_reply(
            ticket,
            body_text=payload.body_text,
            body_html=payload.body_html,
            then_status=then_status,
            macro_id=macro.pk if macro else None,
            seen_version=payload.seen_version,
            actor=actor,
        )
        # A macro available in every store may carry tags of several; add this store's.
        macro_tags = (
            [t for t in macro.add_tags.all() if t.store_id == ticket.store_id] if macro else []
        )
        if macro_tags:
            check_change_tags(message.ticket, add=macro_tags, actor=actor)
    return Status(201, message)
