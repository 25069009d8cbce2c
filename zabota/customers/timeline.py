"""A customer's history across channels and domains, merged by date: a small registry of sources.

Each domain registers a source with ``@timeline_source``: a function
``(user, customer_id, before, limit) -> [TimelineEntry]`` that returns at most ``limit``
entries of each kind it knows, dated at or before ``before`` (everything when None), newest
first, limited to what ``user`` may see. Tickets are registered here; commerce registers orders,
shipments, refunds and returns (``commerce.queries``); later domains (surveys, loyalty) add
theirs the same way. :func:`customer_timeline` merges the sources and cuts one page.

Pages are cut by a cursor holding the (date, key) of the last entry shown, so entries with the
same date are neither repeated nor skipped across pages.
"""

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from zabota.accounts.models import User


@dataclass(frozen=True)
class TimelineEntry:
    """One dated thing that happened to or with the customer, as plain text (templates escape
    it). ``ref`` names what the UI links it to ("ticket", id); ``url`` is an outside link (a
    parcel's tracking page)."""

    at: datetime
    # Unique across all sources ("order:12"): orders entries with the same date and the cursor.
    key: str
    # What it is ("ticket", "order", "shipment" …): the template's CSS class ``tl-<kind>``.
    kind: str
    # Icon name (web/partials/icon.html).
    icon: str
    title: str
    detail: str = ""
    url: str = ""
    ref: tuple[str, int] | None = None
    amount: Decimal | None = None
    currency: str = ""
    # (css class, label) pairs shown as small badges (statuses).
    badges: tuple[tuple[str, str], ...] = ()


TimelineSource = Callable[[User, int, datetime | None, int], list[TimelineEntry]]
_sources: list[TimelineSource] = []


def timeline_source(fn: TimelineSource) -> TimelineSource:
    """Register a source of timeline entries (see the module docstring for the contract)."""
    if fn not in _sources:
        _sources.append(fn)
    return fn


class InvalidCursor(ValueError):
    pass


def encode_cursor(entry: TimelineEntry) -> str:
    raw = json.dumps([entry.at.isoformat(), entry.key]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error) as exc:
        raise InvalidCursor(cursor) from exc
    if not (isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value)):
        raise InvalidCursor(cursor)
    at = parse_datetime(value[0])
    if at is None or at.tzinfo is None:
        raise InvalidCursor(cursor)
    return at, value[1]


@dataclass(frozen=True)
class TimelinePage:
    entries: list[TimelineEntry]
    # Pass as ``cursor`` for the next (older) page; None on the last page.
    next_cursor: str | None


def _order(entry: TimelineEntry) -> tuple[datetime, str]:
    return (entry.at, entry.key)


def customer_timeline(
    user: User, customer_id: int, *, cursor: str = "", limit: int = 20
) -> TimelinePage:
    """One page of the customer's timeline, newest first, older pages through the cursor.
    Raises :class:`InvalidCursor` for a cursor this module did not make."""
    after: tuple[datetime, str] | None = decode_cursor(cursor) if cursor else None
    before = after[0] if after else None
    # One more than a page from every source tells whether an older page exists.
    entries = [
        entry
        for source in _sources
        for entry in source(user, customer_id, before, limit + 1)
        if after is None or _order(entry) < after
    ]
    entries.sort(key=_order, reverse=True)
    page = entries[:limit]
    more = len(entries) > limit
    return TimelinePage(entries=page, next_cursor=encode_cursor(page[-1]) if more else None)


# --- tickets -------------------------------------------------------------------------------------


@timeline_source
def ticket_entries(
    user: User, customer_id: int, before: datetime | None, limit: int
) -> list[TimelineEntry]:
    """Tickets opened and solved, of those the user may see."""
    from zabota.tickets.access import visible_tickets

    tickets = visible_tickets(user).filter(customer_id=customer_id, merged_into__isnull=True)
    opened = tickets if before is None else tickets.filter(created_at__lte=before)
    solved = tickets.filter(solved_at__isnull=False)
    if before is not None:
        solved = solved.filter(solved_at__lte=before)
    fields = ("id", "number", "subject", "status", "channel", "created_at", "solved_at")
    entries = [
        TimelineEntry(
            at=ticket.created_at,
            key=f"ticket:{ticket.pk}",
            kind="ticket",
            icon=ticket.channel,
            title=_("Ticket #%(number)s opened: %(subject)s")
            % {"number": ticket.number, "subject": ticket.subject},
            detail=str(ticket.get_channel_display()),
            ref=("ticket", ticket.pk),
            badges=((f"status-{ticket.status}", str(ticket.get_status_display())),),
        )
        for ticket in opened.only(*fields).order_by("-created_at", "-id")[:limit]
    ]
    for ticket in solved.only(*fields).order_by("-solved_at", "-id")[:limit]:
        assert ticket.solved_at is not None
        entries.append(
            TimelineEntry(
                at=ticket.solved_at,
                key=f"ticket-solved:{ticket.pk}",
                kind="ticket_solved",
                icon="check",
                title=_("Ticket #%(number)s solved: %(subject)s")
                % {"number": ticket.number, "subject": ticket.subject},
                ref=("ticket", ticket.pk),
            )
        )
    return entries
