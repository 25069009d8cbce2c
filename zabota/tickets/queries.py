"""Finders for ticket lists, timelines and counts. Every list is keyset-paginated and runs a
fixed number of queries whatever its length."""

import base64
import binascii
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from zabota.accounts.models import User
from zabota.tickets.access import visible_tickets
from zabota.tickets.constants import ACTIVE_STATUSES, Status
from zabota.tickets.models import Message, Tag, Ticket, TicketEvent, TicketViewer

# Inbox views: (slug, filter given the user). The web UI and the API share them.
VIEWS = ("mine", "unassigned", "open", "awaiting", "all")

# Sort orders: slug → (fields, descending?). Ties are broken by id in the same direction.
SORTS: dict[str, tuple[tuple[str, ...], bool]] = {
    "activity": (("last_activity_at",), True),
    "newest": (("created_at",), True),
    "oldest": (("created_at",), False),
    "priority": (("priority", "last_activity_at"), True),
}


@dataclass
class InboxFilter:
    view: str = "open"
    status: str = ""
    priority: int | None = None
    channel: str = ""
    tag_id: int | None = None
    group_id: int | None = None
    assignee_id: int | None = None
    customer_id: int | None = None
    store_id: int | None = None
    sort: str = "activity"
    extra: dict[str, Any] = field(default_factory=dict)


def _view_filter(view: str, user: User) -> Q:
    if view == "mine":
        return Q(assignee=user, status__in=ACTIVE_STATUSES)
    if view == "unassigned":
        return Q(assignee__isnull=True, status__in=ACTIVE_STATUSES)
    if view == "awaiting":
        return Q(status=Status.AWAITING_CONFIRMATION)
    if view == "all":
        return Q(merged_into__isnull=True)
    return Q(status__in=(Status.NEW, Status.OPEN))


def filtered_tickets(user: User, f: InboxFilter) -> QuerySet[Ticket]:
    qs = visible_tickets(user).filter(_view_filter(f.view, user))
    if f.status:
        qs = qs.filter(status=f.status)
    if f.priority:
        qs = qs.filter(priority=f.priority)
    if f.channel:
        qs = qs.filter(channel=f.channel)
    if f.tag_id:
        qs = qs.filter(tags__id=f.tag_id)
    if f.group_id:
        qs = qs.filter(group_id=f.group_id)
    if f.assignee_id:
        qs = qs.filter(assignee_id=f.assignee_id)
    if f.customer_id:
        qs = qs.filter(customer_id=f.customer_id)
    if f.store_id:
        qs = qs.filter(store_id=f.store_id)
    return qs


def encode_cursor(ticket: Ticket, sort: str) -> str:
    fields, _desc = SORTS[sort]
    values = [_json_value(getattr(ticket, name)) for name in fields] + [ticket.pk]
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def _json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


class InvalidCursor(ValueError):
    pass


def _decode_cursor(cursor: str, sort: str) -> list[Any]:
    fields, _desc = SORTS[sort]
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error) as exc:
        raise InvalidCursor(cursor) from exc
    if not isinstance(values, list) or len(values) != len(fields) + 1:
        raise InvalidCursor(cursor)
    decoded: list[Any] = []
    for name, value in zip(fields, values, strict=False):
        if name.endswith("_at"):
            parsed = parse_datetime(value) if isinstance(value, str) else None
            if parsed is None:
                raise InvalidCursor(cursor)
            decoded.append(parsed)
        elif _is_int(value):
            decoded.append(value)
        else:
            raise InvalidCursor(cursor)
    if not _is_int(values[-1]):
        raise InvalidCursor(cursor)
    decoded.append(values[-1])
    return decoded


def _is_int(value: Any) -> bool:
    # Priorities and ids; a cursor is client input, so a string here must not reach SQL.
    return isinstance(value, int) and not isinstance(value, bool)


def _after(sort: str, values: list[Any]) -> Q:
    """Rows strictly after ``values`` in the sort order (lexicographic keyset condition)."""
    fields, desc = SORTS[sort]
    names = [*fields, "id"]
    op = "lt" if desc else "gt"
    condition = Q()
    for i, name in enumerate(names):
        step = Q(**{f"{name}__{op}": values[i]})
        for prev in range(i):
            step &= Q(**{names[prev]: values[prev]})
        condition |= step
    return condition


def _ordering(sort: str) -> list[str]:
    fields, desc = SORTS[sort]
    prefix = "-" if desc else ""
    return [f"{prefix}{name}" for name in (*fields, "id")]


@dataclass
class Page:
    items: list[Ticket]
    next_cursor: str | None


def inbox_page(user: User, f: InboxFilter, *, cursor: str = "", limit: int = 50) -> Page:
    """One page of the inbox: 3 queries (tickets with their relations, tags, and nothing else)."""
    sort = f.sort if f.sort in SORTS else "activity"
    qs = filtered_tickets(user, f)
    if cursor:
        qs = qs.filter(_after(sort, _decode_cursor(cursor, sort)))
    qs = (
        qs.select_related("customer", "assignee", "group", "store")
        .only(
            "id",
            "number",
            "subject",
            "status",
            "priority",
            "channel",
            "preview",
            "last_activity_at",
            "created_at",
            "message_count",
            "store_id",
            "store__slug",
            "store__name",
            "customer__id",
            "customer__display_name",
            "customer__first_name",
            "customer__last_name",
            "assignee__id",
            "assignee__name",
            "assignee__email",
            "group__id",
            "group__name",
            "version",
            "awaiting_since",
            # The API's ticket rows show these too; loading them here avoids a query per row.
            "language",
            "updated_at",
            "first_reply_at",
            "solved_at",
            "merged_into",
        )
        .prefetch_related(Prefetch("tags", queryset=Tag.objects.only("id", "name", "color")))
        .order_by(*_ordering(sort))
    )
    rows = list(qs[: limit + 1])
    has_more = len(rows) > limit
    items = rows[:limit]
    return Page(items=items, next_cursor=encode_cursor(items[-1], sort) if has_more else None)


def view_counts(user: User) -> dict[str, int]:
    """Badge counts for the inbox views, cached briefly: exact counts on large inboxes are the
    most expensive part of the page, and a few seconds' staleness is harmless."""
    key = f"zabota:view-counts:{user.pk}"
    counts = cache.get(key)
    if counts is None:
        base = visible_tickets(user)
        counts = {
            view: base.filter(_view_filter(view, user)).count()
            for view in ("mine", "unassigned", "open", "awaiting")
        }
        cache.set(key, counts, 15)
    return counts


def timeline(ticket: Ticket) -> list[Message | TicketEvent]:
    """Messages, notes and change events in time order (messages carry their attachments)."""
    messages = list(
        Message.objects.filter(ticket=ticket)
        .select_related("author_user", "author_customer", "outbound_email")
        # E-mail delivery status is shown on replies; the composed bytes are not needed.
        .defer("outbound_email__raw")
        .prefetch_related("attachments")
        .order_by("created_at", "id")
    )
    events = list(
        TicketEvent.objects.filter(ticket=ticket)
        .exclude(kind__in=("message", "reply", "note"))
        .select_related("actor")
        .order_by("created_at", "id")
    )
    merged: list[Message | TicketEvent] = [*messages, *events]
    merged.sort(key=lambda item: item.created_at)
    return merged


def changes_since(ticket: Ticket, version: int) -> list[TicketEvent]:
    """What happened to the ticket after the version an agent had on screen."""
    return list(
        TicketEvent.objects.filter(ticket=ticket, version__gt=version)
        .select_related("actor")
        .order_by("version")
    )


def other_viewers(ticket: Ticket, user: User) -> list[TicketViewer]:
    cutoff = timezone.now() - timedelta(seconds=settings.ZABOTA_VIEWER_TTL_SECONDS)
    return list(
        TicketViewer.objects.filter(ticket=ticket, seen_at__gte=cutoff)
        .exclude(user=user)
        .select_related("user")
        .order_by("user__name")
    )


def customer_tickets(
    user: User, customer_id: int, *, exclude_id: int | None = None, limit: int = 20
) -> list[Ticket]:
    qs = visible_tickets(user).filter(customer_id=customer_id, merged_into__isnull=True)
    if exclude_id:
        qs = qs.exclude(pk=exclude_id)
    return list(qs.select_related("store").order_by("-last_activity_at")[:limit])
