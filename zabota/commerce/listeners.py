"""Keeps figures and segments current when something outside the order tables changes them:
a customer writes (engagement), a ticket gets a negative tag (at risk), two customers are merged
(orders move), and time passes (new → not new, active → dormant: the rolling sweep)."""

from collections import defaultdict
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from zabota.accounts.models import User
from zabota.commerce import metrics
from zabota.commerce.constants import Segment
from zabota.commerce.models import CustomerSegment, CustomerStats, Order, Store
from zabota.core import event_types
from zabota.core.events import batch_listener
from zabota.customers.actions import on_customer_merge
from zabota.customers.models import Customer

# Every customer's segments are recomputed at least this often (time alone changes some).
SWEEP_EVERY = timedelta(hours=12)
SWEEP_BATCH = 2000


@batch_listener(event_types.MESSAGE_RECEIVED)
def count_engagement(event_type: str, payloads: list[dict[str, Any]]) -> None:
    """Messages from buyers are engagement signals; for somebody who never ordered from the
    store there is nothing to recompute (engagement segments describe buyers), nor for a buyer
    who is passionate already. Called once per
    dispatch with all its messages (a batch of inbound mail): two queries find the buyers."""
    from zabota.tickets.models import Ticket

    ticket_ids = {p["ticket_id"] for p in payloads}
    writers = set(
        Ticket.objects.filter(pk__in=ticket_ids).values_list("store_id", "customer_id").distinct()
    )
    if not writers:
        return
    # A message only adds engagement: a customer who is passionate already stays so (until
    # the rolling sweep finds their signals aged out of the window), nothing to recompute.
    passionate = CustomerSegment.objects.filter(
        store_id=OuterRef("store_id"),
        customer_id=OuterRef("customer_id"),
        segment=Segment.PASSIONATE,
    )
    buyers = (
        CustomerStats.objects.filter(
            store_id__in={store for store, _ in writers},
            customer_id__in={customer for _, customer in writers},
        )
        .exclude(Exists(passionate))
        .values_list("store_id", "customer_id")
    )
    by_store: dict[int, list[int]] = defaultdict(list)
    for store_id, customer_id in buyers:
        if (store_id, customer_id) in writers:
            by_store[store_id].append(customer_id)
    for store in Store.objects.filter(pk__in=by_store):
        with transaction.atomic():
            metrics.refresh(store, by_store[store.pk])


@batch_listener(event_types.TICKET_TAGS_CHANGED, event_types.TICKET_UPDATED)
def watch_negative_contacts(event_type: str, payloads: list[dict[str, Any]]) -> None:
    """A negative tag ("complaint") added or removed, or a ticket moved to another customer:
    the customers' figures and segments are recomputed, per store in one go. A tag change
    that touches no negative tag of the store changes nothing."""
    from zabota.tickets.models import Tag, Ticket

    tickets = {
        row["pk"]: row
        for row in Ticket.objects.filter(pk__in={p["ticket_id"] for p in payloads}).values(
            "pk", "store_id", "customer_id"
        )
    }
    if event_type == event_types.TICKET_TAGS_CHANGED:
        changed = {p["ticket_id"]: [*p.get("added", []), *p.get("removed", [])] for p in payloads}
        tag_ids = {tag_id for ids in changed.values() for tag_id in ids}
        names = dict(Tag.objects.filter(pk__in=tag_ids).values_list("pk", "name"))
        negative = {
            store.pk: set(metrics.settings_for(store).negative_tag_names)
            for store in Store.objects.filter(pk__in={t["store_id"] for t in tickets.values()})
        }
        tickets = {
            pk: row
            for pk, row in tickets.items()
            if any(
                names.get(tag_id, "").lower() in negative.get(row["store_id"], set())
                for tag_id in changed.get(pk, [])
            )
        }
    by_store: dict[int, set[int]] = defaultdict(set)
    for row in tickets.values():
        by_store[row["store_id"]].add(row["customer_id"])
    for store in Store.objects.filter(pk__in=by_store):
        with transaction.atomic():
            metrics.refresh(store, sorted(by_store[store.pk]))


@on_customer_merge
def move_orders(source: Customer, target: Customer, actor: User | None) -> None:
    """Orders follow the surviving customer; the merged one's figures and segments go, and the
    survivor's are recomputed in every store where either had any."""
    store_ids = set(
        CustomerStats.objects.filter(customer__in=[source, target]).values_list(
            "store_id", flat=True
        )
    )
    store_ids |= set(Order.objects.filter(customer=source).values_list("store_id", flat=True))
    Order.objects.filter(customer=source).update(customer=target, updated_at=timezone.now())
    CustomerStats.objects.filter(customer=source).delete()
    CustomerSegment.objects.filter(customer=source).delete()
    for store in Store.objects.filter(pk__in=store_ids):
        metrics.refresh(store, [target.pk])


def sweep_segments(*, now: Any = None, batch: int = SWEEP_BATCH) -> int:
    """Recompute the customers not evaluated for ``SWEEP_EVERY`` (oldest first, ``batch`` per
    store per run), and those holding a segment without figures (an old complaint). Returns
    how many were recomputed."""
    now = now or timezone.now()
    done = 0
    for store in Store.objects.all():
        settings = metrics.settings_for(store)
        due = list(
            CustomerStats.objects.filter(store=store, evaluated_at__lt=now - SWEEP_EVERY)
            .order_by("evaluated_at")
            .values_list("customer_id", flat=True)[:batch]
        )
        without_figures = (
            CustomerSegment.objects.filter(
                store=store, since__lt=now - timedelta(days=settings.negative_days)
            )
            .exclude(customer__stats__store=store)
            .values_list("customer_id", flat=True)
            .distinct()[:batch]
        )
        due += list(without_figures)
        if due:
            with transaction.atomic():
                metrics.refresh(store, due, now=now)
            done += len(due)
    return done
