"""A customer's figures in a store, recomputed from their orders whenever one changes.

Definitions (all in the store's base currency, over orders that are neither cancelled nor
deleted): lifetime value = Σ (paid − refunded) × rate; order count; average order value =
Σ total × rate / order count; first and last order date; return rate = orders with a return /
order count. Orders in a currency without a known rate are counted in ``unconverted_orders`` and
left out of the money figures. Arithmetic is Decimal in Python, never SQL floats.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import batched

from django.db.models import Exists, OuterRef
from django.utils import timezone

from zabota.commerce.constants import OrderStatus
from zabota.commerce.models import CustomerStats, Order, Return, SegmentSettings, Store

CENT = Decimal("0.01")
CHUNK = 500


@dataclass
class Figures:
    lifetime_value: Decimal = Decimal(0)
    order_count: int = 0
    order_value: Decimal = Decimal(0)
    first_order_at: datetime | None = None
    last_order_at: datetime | None = None
    returned_orders: int = 0
    unconverted_orders: int = 0
    # Orders placed inside the engagement window (repeat purchases are a signal).
    recent_orders: int = 0

    def add(
        self,
        *,
        paid: Decimal,
        refunded: Decimal,
        total: Decimal,
        rate: Decimal | None,
        placed_at: datetime,
        returned: bool,
        since: datetime,
    ) -> None:
        self.order_count += 1
        if rate is None:
            self.unconverted_orders += 1
        else:
            self.lifetime_value += (paid - refunded) * rate
            self.order_value += total * rate
        if self.first_order_at is None or placed_at < self.first_order_at:
            self.first_order_at = placed_at
        if self.last_order_at is None or placed_at > self.last_order_at:
            self.last_order_at = placed_at
        self.returned_orders += returned
        self.recent_orders += placed_at >= since

    def stats_values(self) -> dict[str, object]:
        count = self.order_count
        converted = count - self.unconverted_orders
        return {
            "lifetime_value": self.lifetime_value.quantize(CENT),
            "order_count": count,
            "average_order_value": (
                (self.order_value / converted).quantize(CENT) if converted else Decimal(0)
            ),
            "first_order_at": self.first_order_at,
            "last_order_at": self.last_order_at,
            "returned_orders": self.returned_orders,
            "return_rate": (
                (Decimal(self.returned_orders) / count).quantize(Decimal("0.0001"))
                if count
                else Decimal(0)
            ),
            "unconverted_orders": self.unconverted_orders,
        }


# The columns ``Figures.stats_values`` writes.
STATS_FIELDS = (
    "lifetime_value",
    "order_count",
    "average_order_value",
    "first_order_at",
    "last_order_at",
    "returned_orders",
    "return_rate",
    "unconverted_orders",
)


def settings_for(store: Store) -> SegmentSettings:
    settings, _ = SegmentSettings.objects.get_or_create(store=store)
    return settings


def figures(store: Store, customer_ids: Iterable[int], *, since: datetime) -> dict[int, Figures]:
    """Figures of the given customers from their orders in ``store`` (one query)."""
    result: dict[int, Figures] = defaultdict(Figures)
    rows = (
        Order.objects.filter(store=store, customer_id__in=list(customer_ids), deleted_at=None)
        .exclude(status=OrderStatus.CANCELLED)
        .annotate(returned=Exists(Return.objects.filter(order=OuterRef("pk"))))
        .values_list(
            "customer_id",
            "paid_amount",
            "refunded_amount",
            "total",
            "fx_rate",
            "placed_at",
            "returned",
        )
    )
    for customer_id, paid, refunded, total, rate, placed_at, returned in rows:
        result[customer_id].add(
            paid=paid,
            refunded=refunded,
            total=total,
            rate=rate,
            placed_at=placed_at,
            returned=returned,
            since=since,
        )
    return result


def refresh(
    store: Store, customer_ids: Iterable[int | None], *, now: datetime | None = None
) -> None:
    """Rewrite the figures of these customers in ``store`` and then their segments. Call inside
    the transaction that changed their orders, so that both commit together."""
    from zabota.commerce import segments

    ids = sorted({pk for pk in customer_ids if pk is not None})
    if not ids:
        return
    now = now or timezone.now()
    settings = settings_for(store)
    since = now - timedelta(days=settings.engagement_days)
    for chunk in batched(ids, CHUNK, strict=False):
        found = figures(store, chunk, since=since)
        stats = _write_stats(store, chunk, found, now=now)
        segments.apply(store, settings, chunk, stats, found, now=now)


def _write_stats(
    store: Store, customer_ids: tuple[int, ...], found: dict[int, Figures], *, now: datetime
) -> dict[int, CustomerStats]:
    existing = {
        s.customer_id: s
        for s in CustomerStats.objects.filter(store=store, customer_id__in=customer_ids)
    }
    to_create, to_update = [], []
    changed_fields: set[str] = set()
    for customer_id in customer_ids:
        figures_ = found.get(customer_id)
        if figures_ is None and customer_id not in existing:
            continue  # no orders here, ever: no row
        values = (figures_ or Figures()).stats_values()
        stats = existing.get(customer_id)
        if stats is None:
            stats = CustomerStats(store=store, customer_id=customer_id, **values)
            existing[customer_id] = stats
            to_create.append(stats)
            continue
        diff = [k for k, v in values.items() if getattr(stats, k) != v]
        if diff:
            for k in diff:
                setattr(stats, k, values[k])
            changed_fields.update(diff)
            to_update.append(stats)
    for stats in to_update:
        stats.updated_at = now
    if to_create or to_update:
        # One INSERT … ON CONFLICT DO UPDATE on (store, customer) for new and changed rows: a
        # row a concurrent refresh created meanwhile is updated instead of failing the
        # transaction, and bulk_update's CASE per field and row (slow in a big import) is avoided.
        CustomerStats.objects.bulk_create(
            [*to_create, *to_update],
            update_conflicts=True,
            unique_fields=["store", "customer"],
            update_fields=[*STATS_FIELDS, "updated_at"]
            if to_create
            else [*sorted(changed_fields), "updated_at"],
        )
    CustomerStats.objects.filter(store=store, customer_id__in=customer_ids).update(evaluated_at=now)
    return existing
