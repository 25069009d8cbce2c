"""Finders for what the agent UI shows of a customer's business with a store: figures, segment
badges, the last orders with their shipments and returns, counts per segment, exchange rates,
and the customer timeline's commerce entries (orders, shipments, refunds, returns).

Every function runs a fixed number of queries whatever it returns; lists that show segment
badges for many customers at once (inbox, search, upcoming dates) get them in one query."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, F, Prefetch, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zabota.accounts.models import User
from zabota.commerce.access import visible_stores
from zabota.commerce.constants import OrderStatus, Segment, ShipmentStatus
from zabota.commerce.models import (
    CustomerSegment,
    CustomerStats,
    ExchangeRate,
    Order,
    OrderLine,
    Refund,
    Return,
    SegmentSettings,
    Shipment,
    Store,
)
from zabota.customers.timeline import TimelineEntry, timeline_source

# How badges line up: what matters most to an agent first.
SEGMENT_ORDER = (
    Segment.VIP,
    Segment.AT_RISK,
    Segment.HIGH_RETURNER,
    Segment.NEW,
    Segment.REPEAT,
    Segment.PASSIONATE,
    Segment.DORMANT,
    Segment.INDIFFERENT,
)
_RANK = {str(segment): i for i, segment in enumerate(SEGMENT_ORDER)}
RECENT_ORDERS = 5


@dataclass(frozen=True)
class Badge:
    """One segment as a badge: its code (the CSS class ``seg-<code>``) and its label."""

    code: str
    label: str


def badges(codes: Iterable[str]) -> list[Badge]:
    """Segment codes as badges in ``SEGMENT_ORDER``; unknown codes are left out."""
    labels = dict(Segment.choices)
    known = sorted({c for c in codes if c in labels}, key=_RANK.__getitem__)
    return [Badge(code, str(labels[code])) for code in known]


@dataclass
class CustomerSummary:
    """A customer in one store, as the ticket sidebar shows them."""

    store: Store
    # None: the customer never ordered in this store.
    stats: CustomerStats | None
    badges: list[Badge]
    # The last ``RECENT_ORDERS`` orders (cancelled ones included, deleted ones not), newest
    # first, each with ``shipments`` and ``returns`` loaded.
    orders: list[Order] = field(default_factory=list)

    @property
    def is_vip(self) -> bool:
        return any(badge.code == Segment.VIP for badge in self.badges)


def _recent_orders(store: Store, customer_id: int, limit: int) -> list[Order]:
    return list(
        Order.objects.filter(store=store, customer_id=customer_id, deleted_at=None)
        .prefetch_related(
            Prefetch("shipments", queryset=Shipment.objects.order_by("created_at", "id")),
            Prefetch("returns", queryset=Return.objects.order_by("requested_at", "id")),
        )
        .order_by("-placed_at", "-id")[:limit]
    )


def customer_summary(
    store: Store, customer_id: int, *, orders: int = RECENT_ORDERS
) -> CustomerSummary:
    """Figures, segments and last orders of one customer in one store: two queries for a
    customer who never ordered there, five for one who did (orders, shipments, returns)."""
    stats = CustomerStats.objects.filter(store=store, customer_id=customer_id).first()
    codes = CustomerSegment.objects.filter(store=store, customer_id=customer_id).values_list(
        "segment", flat=True
    )
    summary = CustomerSummary(store=store, stats=stats, badges=badges(codes))
    # Stats rows exist for every customer with an order here (even a cancelled one).
    if stats is not None:
        summary.orders = _recent_orders(store, customer_id, orders)
    return summary


@dataclass(frozen=True)
class StoreFigures:
    """A customer's figures and badges in one store (the customer page's header)."""

    store: Store
    stats: CustomerStats | None
    badges: list[Badge]


def customer_figures(user: User, customer_id: int) -> list[StoreFigures]:
    """The customer's figures in every store the user works in where they ordered or hold a
    segment, by store name (two queries)."""
    stores = visible_stores(user)
    stats = {
        s.store_id: s
        for s in CustomerStats.objects.filter(customer_id=customer_id, store__in=stores)
        .select_related("store")
        .order_by("store__name")
    }
    codes: dict[int, list[str]] = defaultdict(list)
    names: dict[int, Store] = {s.store_id: s.store for s in stats.values()}
    for segment in CustomerSegment.objects.filter(
        customer_id=customer_id, store__in=stores
    ).select_related("store"):
        codes[segment.store_id].append(segment.segment)
        names.setdefault(segment.store_id, segment.store)
    return sorted(
        (
            StoreFigures(store, stats.get(pk), badges(codes.get(pk, ())))
            for pk, store in names.items()
        ),
        key=lambda f: (f.store.name, f.store.pk),
    )


def segments_by_ticket(ticket_ids: list[int]) -> dict[int, list[Badge]]:
    """The badges of each ticket's customer in the ticket's store, in one query (the inbox
    page's rows)."""
    from zabota.tickets.models import Ticket

    result: dict[int, list[str]] = {pk: [] for pk in ticket_ids}
    if ticket_ids:
        rows = Ticket.objects.filter(
            pk__in=ticket_ids, customer__segments__store_id=F("store_id")
        ).values_list("pk", "customer__segments__segment")
        for ticket_id, code in rows:
            result[ticket_id].append(code)
    return {pk: badges(codes) for pk, codes in result.items()}


def segments_by_customer(user: User, customer_ids: Iterable[int]) -> dict[int, list[Badge]]:
    """Each customer's badges in any store the user works in, in one query (lists that are not
    about one store: search results, upcoming dates, the customer page's header)."""
    ids = list(set(customer_ids))
    result: dict[int, set[str]] = {pk: set() for pk in ids}
    if ids:
        rows = CustomerSegment.objects.filter(
            customer_id__in=ids, store__in=visible_stores(user)
        ).values_list("customer_id", "segment")
        for customer_id, code in rows:
            result[customer_id].add(code)
    return {pk: badges(codes) for pk, codes in result.items()}


@dataclass(frozen=True)
class SegmentCount:
    code: str
    label: str
    count: int


def segment_counts(store: Store) -> list[SegmentCount]:
    """How many customers each segment holds in the store, every segment listed (one query)."""
    counts = dict(
        CustomerSegment.objects.filter(store=store)
        .values("segment")
        .annotate(n=Count("id"))
        .values_list("segment", "n")
    )
    labels = dict(Segment.choices)
    return [
        SegmentCount(str(code), str(labels[code]), counts.get(code, 0)) for code in SEGMENT_ORDER
    ]


def customers_with_figures(store: Store) -> int:
    return CustomerStats.objects.filter(store=store).count()


def exchange_rates(store: Store) -> QuerySet[ExchangeRate]:
    """The store's rates, by currency and newest first."""
    return ExchangeRate.objects.filter(store=store).order_by("currency", "-valid_from")


def unconverted_currencies(store: Store) -> list[str]:
    """Currencies of orders left out of lifetime values for want of a rate."""
    return sorted(
        set(
            Order.objects.filter(store=store, fx_rate=None, deleted_at=None)
            .values_list("currency", flat=True)
            .distinct()
        )
    )


# --- the customer timeline's commerce entries ---------------------------------------------------


def _orders_of(user: User, customer_id: int) -> QuerySet[Order]:
    return Order.objects.filter(
        customer_id=customer_id, store__in=visible_stores(user), deleted_at=None
    )


def _money_badges(order: Order) -> tuple[tuple[str, str], ...]:
    return (
        (f"pay-{order.financial_status}", str(order.get_financial_status_display())),
        (f"ful-{order.fulfillment_status}", str(order.get_fulfillment_status_display())),
    )


# Shopify's cancel reasons (WooCommerce gives none), as the timeline words them.
CANCEL_REASONS = {
    "customer": gettext_lazy("The customer changed their mind"),
    "fraud": gettext_lazy("Suspected fraud"),
    "inventory": gettext_lazy("Out of stock"),
    "declined": gettext_lazy("Payment declined"),
    "staff": gettext_lazy("Staff error"),
    "other": gettext_lazy("Other reason"),
}
# The timeline names this many products of an order.
LINES_NAMED = 3


def _products(order: Order) -> str:
    lines = list(order.lines.all())
    named = ", ".join(
        f"{line.quantity} × {line.title}" if line.quantity > 1 else line.title
        for line in lines[:LINES_NAMED]
    )
    more = len(lines) - LINES_NAMED
    return named + (f" +{more}" if more > 0 else "")


@timeline_source
def order_entries(
    user: User, customer_id: int, before: datetime | None, limit: int
) -> list[TimelineEntry]:
    """Orders placed and cancelled."""
    orders = _orders_of(user, customer_id)
    placed = orders if before is None else orders.filter(placed_at__lte=before)
    placed = placed.prefetch_related(Prefetch("lines", queryset=OrderLine.objects.order_by("pk")))
    cancelled = orders.filter(cancelled_at__isnull=False, status=OrderStatus.CANCELLED)
    if before is not None:
        cancelled = cancelled.filter(cancelled_at__lte=before)
    entries = [
        TimelineEntry(
            at=order.placed_at,
            key=f"order:{order.pk}",
            kind="order",
            icon="bag",
            title=_("Order %(number)s placed") % {"number": order.number},
            detail=_products(order),
            amount=order.total,
            currency=order.currency,
            badges=_money_badges(order),
        )
        for order in placed.order_by("-placed_at", "-id")[:limit]
    ]
    entries += [
        TimelineEntry(
            at=order.cancelled_at,
            key=f"order-cancelled:{order.pk}",
            kind="order_cancelled",
            icon="x",
            title=_("Order %(number)s cancelled") % {"number": order.number},
            detail=str(CANCEL_REASONS.get(order.cancel_reason, order.cancel_reason)),
            amount=order.total,
            currency=order.currency,
        )
        for order in cancelled.order_by("-cancelled_at", "-id")[:limit]
        if order.cancelled_at is not None
    ]
    return entries


def _shipment_detail(shipment: Shipment) -> str:
    return " · ".join(p for p in (shipment.carrier, shipment.tracking_number) if p)


@timeline_source
def shipment_entries(
    user: User, customer_id: int, before: datetime | None, limit: int
) -> list[TimelineEntry]:
    """Shipments shipped and delivered."""
    shipments = Shipment.objects.filter(order__in=_orders_of(user, customer_id)).select_related(
        "order"
    )
    shipped = shipments.filter(shipped_at__isnull=False)
    delivered = shipments.filter(delivered_at__isnull=False, status=ShipmentStatus.DELIVERED)
    if before is not None:
        shipped = shipped.filter(shipped_at__lte=before)
        delivered = delivered.filter(delivered_at__lte=before)
    entries = []
    for shipment in shipped.order_by("-shipped_at", "-id")[:limit]:
        assert shipment.shipped_at is not None
        entries.append(
            TimelineEntry(
                at=shipment.shipped_at,
                key=f"shipped:{shipment.pk}",
                kind="shipment",
                icon="truck",
                title=_("Order %(number)s shipped") % {"number": shipment.order.number},
                detail=_shipment_detail(shipment),
                url=shipment.tracking_url,
                badges=((f"ship-{shipment.status}", str(shipment.get_status_display())),),
            )
        )
    for shipment in delivered.order_by("-delivered_at", "-id")[:limit]:
        assert shipment.delivered_at is not None
        entries.append(
            TimelineEntry(
                at=shipment.delivered_at,
                key=f"delivered:{shipment.pk}",
                kind="delivery",
                icon="check",
                title=_("Order %(number)s delivered") % {"number": shipment.order.number},
                detail=_shipment_detail(shipment),
                url=shipment.tracking_url,
            )
        )
    return entries


@timeline_source
def refund_entries(
    user: User, customer_id: int, before: datetime | None, limit: int
) -> list[TimelineEntry]:
    refunds = Refund.objects.filter(order__in=_orders_of(user, customer_id)).select_related("order")
    if before is not None:
        refunds = refunds.filter(refunded_at__lte=before)
    return [
        TimelineEntry(
            at=refund.refunded_at,
            key=f"refund:{refund.pk}",
            kind="refund",
            icon="refund",
            title=_("Refund for order %(number)s") % {"number": refund.order.number},
            detail=refund.reason,
            amount=refund.amount,
            currency=refund.order.currency,
        )
        for refund in refunds.order_by("-refunded_at", "-id")[:limit]
    ]


@timeline_source
def return_entries(
    user: User, customer_id: int, before: datetime | None, limit: int
) -> list[TimelineEntry]:
    """Returns requested and received back."""
    returns = Return.objects.filter(order__in=_orders_of(user, customer_id)).select_related("order")
    requested = returns
    received = returns.filter(received_at__isnull=False)
    if before is not None:
        requested = requested.filter(requested_at__lte=before)
        received = received.filter(received_at__lte=before)
    entries = [
        TimelineEntry(
            at=ret.requested_at,
            key=f"return:{ret.pk}",
            kind="return",
            icon="return",
            title=_("Return requested for order %(number)s") % {"number": ret.order.number},
            detail=ret.reason,
            badges=((f"ret-{ret.status}", str(ret.get_status_display())),),
        )
        for ret in requested.order_by("-requested_at", "-id")[:limit]
    ]
    for ret in received.order_by("-received_at", "-id")[:limit]:
        assert ret.received_at is not None
        entries.append(
            TimelineEntry(
                at=ret.received_at,
                key=f"return-received:{ret.pk}",
                kind="return_received",
                icon="return",
                title=_("Return for order %(number)s received") % {"number": ret.order.number},
                detail=ret.reason,
            )
        )
    return entries


def segment_settings(store: Store) -> SegmentSettings:
    """The store's thresholds; the defaults (unsaved) for a store that never changed them."""
    return SegmentSettings.objects.filter(store=store).first() or SegmentSettings(store=store)
