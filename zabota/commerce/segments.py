"""Automatic customer segments per store, recomputed on every change of their inputs (orders,
messages, ticket tags) and by a rolling sweep for what time alone changes (new → not new,
active → dormant). Each change is stored as ``CustomerSegment`` rows and published as
customer.segment_changed.

Rules (thresholds from the store's ``SegmentSettings``):
- VIP: lifetime value ≥ the VIP threshold.
- repeat: order count ≥ the repeat minimum (2).
- new: first order within the last ``new_days`` (30).
- dormant: has ordered, but not within the last ``dormant_days`` (180).
- at risk: a repeat customer who turned dormant, or a ticket carrying a negative tag
  ("complaint") within the last ``negative_days`` (30).
- high returner: ≥ ``high_returner_min_orders`` orders and a return rate ≥ the threshold.
- passionate: at least ``passionate_signals`` engagement signals within ``engagement_days``:
  each message the customer wrote, each repeat order, and whatever registered signal sources
  add (survey answers, reviews).
- indifferent: has ordered, is not new, and gave no signal at all within the window.
Somebody who never ordered from the store can only be "at risk" (by a negative contact).
"""

from collections import Counter
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from functools import reduce
from operator import or_

from django.db.models import Count, Q

from zabota.commerce.constants import Segment
from zabota.commerce.metrics import Figures
from zabota.commerce.models import CustomerSegment, CustomerStats, SegmentSettings, Store
from zabota.core import event_types
from zabota.core.events import publish_all_on_commit

# (store, customer ids, since) → signals per customer id; registered by later domains.
SignalSource = Callable[[Store, tuple[int, ...], datetime], dict[int, int]]
_signal_sources: list[SignalSource] = []


def signal_source(fn: SignalSource) -> SignalSource:
    """Register a source of engagement signals (e.g. survey answers)."""
    if fn not in _signal_sources:
        _signal_sources.append(fn)
    return fn


def _messages_written(store: Store, ids: tuple[int, ...], since: datetime) -> dict[int, int]:
    from zabota.tickets.constants import MessageKind
    from zabota.tickets.models import Message

    rows = (
        Message.objects.filter(
            ticket__store=store,
            ticket__customer_id__in=ids,
            kind=MessageKind.CUSTOMER,
            created_at__gte=since,
        )
        .values("ticket__customer_id")
        .annotate(n=Count("id"))
        .values_list("ticket__customer_id", "n")
    )
    return dict(rows)


def _negative_contacts(
    store: Store, ids: tuple[int, ...], settings: SegmentSettings, now: datetime
) -> set[int]:
    from zabota.tickets.models import Ticket

    names = settings.negative_tag_names
    if not names:
        return set()
    since = now - timedelta(days=settings.negative_days)
    named = Q()
    for name in names:  # tags are named by people: "Complaint" is "complaint"
        named |= Q(tags__name__iexact=name)
    tickets = Ticket.objects.filter(named, store=store, customer_id__in=ids, updated_at__gte=since)
    return set(tickets.values_list("customer_id", flat=True))


def desired(
    settings: SegmentSettings,
    stats: CustomerStats | None,
    figures: Figures | None,
    *,
    signals: int,
    negative: bool,
    now: datetime,
) -> set[str]:
    result: set[str] = set()
    if negative:
        result.add(Segment.AT_RISK)
    if stats is None or stats.order_count == 0:
        return result  # engagement and order segments describe buyers only
    if settings.vip_threshold > 0 and stats.lifetime_value >= settings.vip_threshold:
        result.add(Segment.VIP)
    repeat = stats.order_count >= settings.repeat_min_orders
    if repeat:
        result.add(Segment.REPEAT)
    new = stats.first_order_at is not None and stats.first_order_at >= now - timedelta(
        days=settings.new_days
    )
    if new:
        result.add(Segment.NEW)
    dormant = stats.last_order_at is not None and stats.last_order_at < now - timedelta(
        days=settings.dormant_days
    )
    if dormant:
        result.add(Segment.DORMANT)
        if repeat:
            result.add(Segment.AT_RISK)
    if (
        stats.order_count >= settings.high_returner_min_orders
        and stats.return_rate >= settings.high_returner_rate
    ):
        result.add(Segment.HIGH_RETURNER)
    repeat_orders = 0
    if figures is not None:
        first_in_window = stats.first_order_at is not None and stats.first_order_at >= now - (
            timedelta(days=settings.engagement_days)
        )
        repeat_orders = max(figures.recent_orders - int(first_in_window), 0)
    engagement = signals + repeat_orders
    if engagement >= settings.passionate_signals:
        result.add(Segment.PASSIONATE)
    elif engagement == 0 and not new:
        result.add(Segment.INDIFFERENT)
    return result


def apply(
    store: Store,
    settings: SegmentSettings,
    customer_ids: Iterable[int],
    stats: dict[int, CustomerStats],
    found: dict[int, Figures],
    *,
    now: datetime,
) -> dict[int, tuple[set[str], set[str]]]:
    """Bring the segment rows of these customers in line with their figures. Returns
    {customer id: (added, removed)} for the customers whose segments changed."""
    ids = tuple(customer_ids)
    since = now - timedelta(days=settings.engagement_days)
    signals: Counter[int] = Counter(_messages_written(store, ids, since))
    for source in _signal_sources:
        signals.update(source(store, ids, since))
    negative = _negative_contacts(store, ids, settings, now)
    current: dict[int, set[str]] = {pk: set() for pk in ids}
    for customer_id, segment in CustomerSegment.objects.filter(
        store=store, customer_id__in=ids
    ).values_list("customer_id", "segment"):
        current[customer_id].add(segment)
    changes: dict[int, tuple[set[str], set[str]]] = {}
    to_add: list[CustomerSegment] = []
    # Removed segments → the customers who lose exactly those (few distinct sets).
    to_remove: dict[frozenset[str], list[int]] = {}
    events: list[tuple[str, dict[str, object]]] = []
    for customer_id in ids:
        wanted = desired(
            settings,
            stats.get(customer_id),
            found.get(customer_id),
            signals=signals[customer_id],
            negative=customer_id in negative,
            now=now,
        )
        added, removed = wanted - current[customer_id], current[customer_id] - wanted
        if not added and not removed:
            continue
        changes[customer_id] = (added, removed)
        to_add += [CustomerSegment(store=store, customer_id=customer_id, segment=s) for s in added]
        if removed:
            to_remove.setdefault(frozenset(removed), []).append(customer_id)
        events.append(
            (
                event_types.CUSTOMER_SEGMENT_CHANGED,
                {
                    "customer_id": customer_id,
                    "store_id": store.pk,
                    "added": sorted(added),
                    "removed": sorted(removed),
                },
            )
        )
    # One statement each for the whole chunk: a bulk import changes thousands of customers.
    if to_remove:
        losing = [Q(customer_id__in=who, segment__in=gone) for gone, who in to_remove.items()]
        CustomerSegment.objects.filter(store=store).filter(reduce(or_, losing)).delete()
    if to_add:
        CustomerSegment.objects.bulk_create(to_add, ignore_conflicts=True)
    publish_all_on_commit(events)
    return changes
