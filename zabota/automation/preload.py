"""Facts for many tickets at once: one query per kind of fact the rules read, for all the
tickets of a batch of events, instead of one per ticket and rule. Each value is stored where
the ticket's ``Facts`` caches it, so conditions read it as if it had been loaded lazily."""

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db.models import Max, OuterRef, Subquery

from zabota.automation.conditions import Facts
from zabota.commerce.models import CustomerSegment, CustomerStats, Order, Shipment
from zabota.tickets.constants import EventKind, MessageKind
from zabota.tickets.models import Message, Ticket, TicketEvent


def preload(facts: list[Facts], needs: Iterable[str]) -> None:
    """Load the named facts (Facts' cached properties) of all ``facts`` in a query each."""
    if not facts:
        return
    for need in set(needs):
        LOADERS[need](facts)


def _set(facts: Facts, name: str, value: Any) -> None:
    facts.__dict__[name] = value  # where functools.cached_property keeps it


def _customer_keys(facts: list[Facts]) -> tuple[set[int], set[int]]:
    return (
        {f.ticket.customer_id for f in facts},
        {f.ticket.store_id for f in facts},
    )


def _tags(facts: list[Facts]) -> None:
    through = facts[0].ticket.tags.through
    names: dict[int, set[str]] = defaultdict(set)
    rows = through.objects.filter(ticket_id__in={f.ticket.pk for f in facts}).values_list(
        "ticket_id", "tag__name"
    )
    for ticket_id, name in rows:
        names[ticket_id].add(name.lower())
    for f in facts:
        _set(f, "tags", set(names[f.ticket.pk]))


def _segments(facts: list[Facts]) -> None:
    customers, stores = _customer_keys(facts)
    found: dict[tuple[int, int], set[str]] = defaultdict(set)
    rows = CustomerSegment.objects.filter(
        customer_id__in=customers, store_id__in=stores
    ).values_list("store_id", "customer_id", "segment")
    for store_id, customer_id, segment in rows:
        found[(store_id, customer_id)].add(segment)
    for f in facts:
        _set(f, "segments", set(found[(f.ticket.store_id, f.ticket.customer_id)]))


def _stats(facts: list[Facts]) -> None:
    customers, stores = _customer_keys(facts)
    found = {
        (s.store_id, s.customer_id): s
        for s in CustomerStats.objects.filter(customer_id__in=customers, store_id__in=stores).only(
            "store_id", "customer_id", "lifetime_value", "order_count"
        )
    }
    for f in facts:
        _set(f, "stats", found.get((f.ticket.store_id, f.ticket.customer_id)))


def _last_order_status(facts: list[Facts]) -> None:
    customers, stores = _customer_keys(facts)
    latest: dict[tuple[int, int], tuple[datetime, str]] = {}
    rows = Order.objects.filter(customer_id__in=customers, store_id__in=stores).values_list(
        "store_id", "customer_id", "placed_at", "status"
    )
    for store_id, customer_id, placed_at, status in rows:
        key = (store_id, customer_id)
        if key not in latest or placed_at > latest[key][0]:
            latest[key] = (placed_at, status)
    for f in facts:
        found = latest.get((f.ticket.store_id, f.ticket.customer_id))
        _set(f, "last_order_status", found[1] if found else None)


def _last_delivered_at(facts: list[Facts]) -> None:
    customers, stores = _customer_keys(facts)
    latest = {
        (store_id, customer_id): delivered
        for store_id, customer_id, delivered in Shipment.objects.filter(
            order__customer_id__in=customers,
            order__store_id__in=stores,
            delivered_at__isnull=False,
        )
        .values("order__store_id", "order__customer_id")
        .annotate(last=Max("delivered_at"))
        .values_list("order__store_id", "order__customer_id", "last")
    }
    for f in facts:
        _set(f, "last_delivered_at", latest.get((f.ticket.store_id, f.ticket.customer_id)))


def _status_since(facts: list[Facts]) -> None:
    changed = dict(
        TicketEvent.objects.filter(
            ticket_id__in={f.ticket.pk for f in facts}, kind=EventKind.STATUS
        )
        .values("ticket_id")
        .annotate(last=Max("created_at"))
        .values_list("ticket_id", "last")
    )
    for f in facts:
        _set(f, "status_since", changed.get(f.ticket.pk) or f.ticket.created_at)


def _message(facts: list[Facts]) -> None:
    """The event's message, else the ticket's latest customer message."""
    wanted = {f.message_id for f in facts if f.message_id is not None}
    without = {f.ticket.pk for f in facts if f.message_id is None}
    last: dict[int, int] = {}
    if without:
        latest = (
            Message.objects.filter(ticket_id=OuterRef("pk"), kind=MessageKind.CUSTOMER)
            .order_by("-created_at", "-pk")
            .values("pk")[:1]
        )
        last = {
            ticket_id: message_id
            for ticket_id, message_id in Ticket.objects.filter(pk__in=without)
            .annotate(last=Subquery(latest))
            .values_list("pk", "last")
            if message_id is not None
        }
    # What conditions read of a message: not its HTML or channel data.
    messages = Message.objects.only("ticket_id", "kind", "body_text", "created_at").in_bulk(
        wanted | set(last.values())
    )
    for f in facts:
        if f.message_id is not None:
            found = messages.get(f.message_id)
            _set(f, "message", found if found and found.ticket_id == f.ticket.pk else None)
        else:
            _set(f, "message", messages.get(last.get(f.ticket.pk, 0)))


def _business_open(facts: list[Facts]) -> None:
    from zabota.sla.calendar import is_open
    from zabota.sla.queries import store_calendar_snapshot

    by_store: dict[int, bool] = {}
    for f in facts:
        if f.ticket.store_id not in by_store:
            by_store[f.ticket.store_id] = is_open(store_calendar_snapshot(f.ticket.store), f.now)
        _set(f, "business_open", by_store[f.ticket.store_id])


LOADERS = {
    "tags": _tags,
    "segments": _segments,
    "stats": _stats,
    "last_order_status": _last_order_status,
    "status_since": _status_since,
    "last_delivered_at": _last_delivered_at,
    "message": _message,
    "business_open": _business_open,
}
