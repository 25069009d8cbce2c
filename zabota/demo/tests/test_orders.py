import re
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count, Q
from django.utils import timezone

from zabota.commerce.constants import OrderStatus, Segment, ShipmentStatus
from zabota.commerce.models import (
    CustomerSegment,
    CustomerStats,
    ExchangeRate,
    Order,
    Refund,
    Return,
    SegmentSettings,
    Shipment,
    Store,
)
from zabota.customers.models import Customer, ImportantDate
from zabota.demo import data
from zabota.demo.catalogue import CARRIERS
from zabota.tickets.constants import MessageKind, Status
from zabota.tickets.models import Ticket

SMALL = {"customers": 40, "stories": 60}
ORDER_NUMBER = re.compile(r"#(\d{7})\b")


def run_demo(**options) -> str:
    out = StringIO()
    call_command("demo", stdout=out, **options)
    return out.getvalue()


def demo_store() -> Store:
    return Store.objects.get(slug=data.STORE_SLUG)


def ticket_text(ticket: Ticket) -> str:
    return " ".join([ticket.subject, *(m.body_text for m in ticket.messages.all())])


def orders_named_in(ticket: Ticket) -> list[Order]:
    numbers = set(ORDER_NUMBER.findall(ticket_text(ticket)))
    found = list(Order.objects.filter(store=ticket.store, number__in=numbers))
    assert len(found) == len(numbers), (ticket.number, numbers)
    return found


def segment_members(store: Store, segment: str) -> set[int]:
    return set(
        CustomerSegment.objects.filter(store=store, segment=segment).values_list(
            "customer_id", flat=True
        )
    )


@pytest.mark.django_db
def test_demo_customers_have_order_histories_and_segments():
    """Every demo customer has bought something; histories range from one order to a dozen in
    the last two years, in euros and a few local currencies converted with stored rates; the
    store's thresholds make some customers VIP, many repeat customers, some dormant, at risk
    or high returners; the summary says so."""
    # when
    out = run_demo(**SMALL)
    # then
    store = demo_store()
    settings = SegmentSettings.objects.get(store=store)
    assert settings.vip_threshold == Decimal(1500)
    stats = CustomerStats.objects.filter(store=store)
    assert stats.count() == Customer.objects.count() == SMALL["customers"]
    counts = [s.order_count for s in stats]
    assert min(counts) <= 1 and 6 <= max(counts) <= 13
    assert sum(1 for c in counts if c == 1) >= 5  # many buy once
    orders = Order.objects.filter(store=store)
    now = timezone.now()
    assert not orders.filter(placed_at__gt=now).exists()
    assert orders.filter(placed_at__lt=now - timedelta(days=500)).exists()
    assert orders.filter(status=OrderStatus.CANCELLED).exists()
    assert orders.exclude(discount_codes="").filter(discount_total__gt=0).exists()
    assert orders.filter(shipping_total__gt=0).exists()
    foreign = orders.exclude(currency="EUR")
    assert foreign.exists()
    assert not foreign.filter(fx_rate=None).exists()
    assert set(foreign.values_list("currency", flat=True)) <= set(
        ExchangeRate.objects.filter(store=store).values_list("currency", flat=True)
    )
    vip = segment_members(store, Segment.VIP)
    assert vip
    assert all(s.lifetime_value >= Decimal(1500) for s in stats.filter(customer_id__in=vip))
    assert len(segment_members(store, Segment.REPEAT)) >= 10
    dormant = segment_members(store, Segment.DORMANT)
    assert dormant
    assert all(
        s.last_order_at < now - timedelta(days=180) for s in stats.filter(customer_id__in=dormant)
    )
    assert segment_members(store, Segment.AT_RISK)
    assert segment_members(store, Segment.HIGH_RETURNER)
    assert f"{orders.count()} orders:" in out
    assert "Customers per segment: VIP " in out


@pytest.mark.django_db
def test_demo_orders_ship_with_real_carriers_and_come_back():
    """Parcels go with the carriers of the customer's country, each with a tracking number and
    the carrier's public tracking page; some come back as returns with a reason and a refund."""
    # when
    run_demo(**SMALL)
    # then
    store = demo_store()
    shipments = Shipment.objects.filter(order__store=store)
    assert shipments.filter(status=ShipmentStatus.DELIVERED).exists()
    assert shipments.filter(status=ShipmentStatus.IN_TRANSIT).exists()
    for shipment in shipments:
        carrier = CARRIERS[shipment.carrier]
        assert shipment.tracking_number
        assert shipment.tracking_url == carrier.url.format(n=shipment.tracking_number)
        assert shipment.tracking_url.startswith("https://")
        assert shipment.shipped_at is not None and shipment.shipped_at >= shipment.order.placed_at
    carriers = set(shipments.values_list("carrier", flat=True))
    assert {"InPost", "DPD", "DHL"} <= carriers
    returns = Return.objects.filter(order__store=store)
    reasons = set(returns.values_list("reason", flat=True))
    assert {"Wrong size", "Changed mind"} <= reasons
    assert all(r.lines.exists() for r in returns)
    refunds = Refund.objects.filter(order__store=store)
    assert refunds.filter(reason__startswith="Return:").exists()
    for order in Order.objects.filter(store=store, refunds__isnull=False).distinct():
        assert order.refunded_amount == sum(r.amount for r in order.refunds.all())
        assert order.refunded_amount <= order.total


@pytest.mark.django_db
def test_tickets_name_orders_of_their_customer_in_a_matching_state():
    """Every order number a conversation mentions is an order of that ticket's customer; a
    customer still waiting for a parcel has it in transit; a parcel reported missing was
    marked delivered by the carrier; a wrong size came back as a return."""
    # when
    run_demo(**SMALL)
    # then
    store = demo_store()
    tickets = Ticket.objects.filter(store=store).prefetch_related("messages", "tags")
    named = 0
    for ticket in tickets:
        found = orders_named_in(ticket)
        named += bool(found)
        assert all(order.customer_id == ticket.customer_id for order in found), ticket.number
        tags = {t.name for t in ticket.tags.all()}
        first = ticket.messages.order_by("created_at", "pk").first()
        if first is None:  # a duplicate merged into another ticket, messages and all
            assert ticket.merged_into_id is not None
            continue
        if not found or first.kind != MessageKind.CUSTOMER:
            continue
        [order] = found
        statuses = set(order.shipments.values_list("status", flat=True))
        if "late-delivery" in tags and ticket.status in (Status.NEW, Status.OPEN, Status.PENDING):
            assert statuses & {ShipmentStatus.IN_TRANSIT, ShipmentStatus.OUT_FOR_DELIVERY}
        if "lost-parcel" in tags:
            assert ShipmentStatus.DELIVERED in statuses
        if "wrong-size" in tags:
            assert order.returns.filter(reason="Wrong size").exists()
    assert named >= len(tickets) * 0.8


@pytest.mark.django_db
def test_some_birthdays_are_coming_up():
    """Some customers have birthdays (a few within the next 30 days) and name days."""
    # when
    run_demo(**SMALL)
    # then
    today = timezone.localdate()
    soon = {(d.month, d.day) for d in (today + timedelta(days=n) for n in range(31))}
    birthdays = ImportantDate.objects.filter(kind=ImportantDate.Kind.BIRTHDAY)
    assert sum((b.month, b.day) in soon for b in birthdays) >= 3
    assert birthdays.count() >= 8


@pytest.mark.django_db
def test_running_the_demo_again_adds_no_orders():
    """A second `zabota demo` leaves orders, rates, figures, segments and dates as they were."""
    # given
    run_demo(**SMALL)

    def snapshot() -> tuple[int, ...]:
        return (
            Order.objects.count(),
            Shipment.objects.count(),
            ExchangeRate.objects.count(),
            CustomerStats.objects.count(),
            CustomerSegment.objects.count(),
            ImportantDate.objects.count(),
        )

    before = snapshot()
    # when
    out = run_demo(**SMALL)
    # then
    assert "exists already" in out
    assert snapshot() == before


@pytest.mark.django_db
def test_bulk_tickets_come_with_orders_and_figures():
    """--tickets N gives every new ticket the order it names and every new customer figures
    and segments, and reports how many orders it added."""
    # given
    run_demo(**SMALL)
    store = demo_store()
    seq = store.ticket_seq
    orders_before = Order.objects.count()
    # when
    out = run_demo(tickets=300)
    # then
    added = Order.objects.count() - orders_before
    assert added >= 300
    assert f"Added {added} orders." in out
    bulk = Ticket.objects.filter(store=store, number__gt=seq).prefetch_related("messages")
    numbers = []
    for ticket in bulk:
        found = orders_named_in(ticket)
        assert all(order.customer_id == ticket.customer_id for order in found)
        numbers += [order.number for order in found]
    assert len(numbers) == len(set(numbers)) >= 200
    customers = Customer.objects.filter(tickets__in=bulk).distinct()
    stats = CustomerStats.objects.filter(store=store, customer__in=customers)
    assert stats.count() == customers.count()
    assert not stats.filter(order_count=0, lifetime_value__gt=0).exists()
    per_segment = dict(
        CustomerSegment.objects.filter(store=store, customer__in=customers)
        .values_list("segment")
        .annotate(n=Count("id"))
    )
    assert per_segment.get(Segment.REPEAT, 0) > 0
    assert Order.objects.filter(Q(fx_rate=None) & ~Q(currency="EUR"), store=store).count() == 0
