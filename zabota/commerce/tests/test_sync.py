"""Order upserts: idempotent, order-independent, and keeping figures and segments current."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from zabota.commerce.constants import FinancialStatus, OrderStatus, Segment
from zabota.commerce.models import (
    CustomerSegment,
    CustomerStats,
    ExchangeRate,
    Order,
    SegmentSettings,
)
from zabota.commerce.order_data import RefundData, ShipmentData
from zabota.commerce.sync import do_cancel_order, do_upsert_order, do_upsert_refund
from zabota.commerce.tests.factories import order_data
from zabota.core.models import OutboxEvent
from zabota.customers.models import Identity

pytestmark = pytest.mark.django_db


def stats_of(world, customer=None) -> CustomerStats:
    return CustomerStats.objects.get(store=world.store, customer=customer or world.maria)


def segments_of(world, customer=None) -> set[str]:
    return set(
        CustomerSegment.objects.filter(
            store=world.store, customer=customer or world.maria
        ).values_list("segment", flat=True)
    )


def test_an_order_matches_the_customer_by_case_folded_email_and_counts(world):
    # when
    result = do_upsert_order(world.store, order_data(email="MARIA@Example.PL", total="80.00"))
    # then
    assert result.created
    assert result.order.customer == world.maria
    stats = stats_of(world)
    assert stats.lifetime_value == Decimal("80.00")
    assert stats.order_count == 1
    assert stats.average_order_value == Decimal("80.00")
    assert OutboxEvent.objects.filter(type="order.created").count() == 1


def test_repeating_an_upsert_changes_nothing_and_publishes_nothing(world):
    # given
    do_upsert_order(world.store, order_data())
    events = OutboxEvent.objects.count()
    # when
    result = do_upsert_order(world.store, order_data())
    # then
    assert not result.created and result.changed == ()
    assert Order.objects.count() == 1
    assert result.order.lines.count() == 1
    assert OutboxEvent.objects.count() == events


def test_an_older_report_does_not_overwrite_a_newer_one(world):
    # given: the newer report (cancelled) arrived first
    newer = order_data(status=OrderStatus.CANCELLED)
    do_upsert_order(world.store, newer)
    # when: the older one (open) arrives late
    older = order_data(updated_at=newer.updated_at - timedelta(minutes=1))  # type: ignore[operator]
    result = do_upsert_order(world.store, older)
    # then
    assert result.stale
    assert Order.objects.get().status == OrderStatus.CANCELLED
    assert not CustomerStats.objects.filter(customer=world.maria, order_count__gt=0).exists()


def test_an_unknown_customer_is_created_with_email_and_phone(world):
    # when
    data = order_data(email="new.buyer@example.hu")
    data = data.__class__(
        **{
            **data.__dict__,
            "customer": data.customer.__class__(
                email="new.buyer@example.hu",
                phone="06 30 123 4567",
                country="HU",
                first_name="Kata",
            ),
        }
    )
    order = do_upsert_order(world.store, data).order
    # then
    identities = set(Identity.objects.filter(customer=order.customer).values_list("kind", "value"))
    assert identities == {("email", "new.buyer@example.hu"), ("phone", "+36301234567")}


def test_a_paid_order_crossing_the_threshold_makes_vip_and_a_refund_takes_it_away(world):
    # given
    SegmentSettings.objects.create(store=world.store, vip_threshold=Decimal("500"))
    do_upsert_order(world.store, order_data("1", total="300.00"))
    assert Segment.VIP not in segments_of(world)
    # when
    do_upsert_order(world.store, order_data("2", total="250.00"))
    # then
    assert Segment.VIP in segments_of(world)
    assert Segment.REPEAT in segments_of(world)
    changed = OutboxEvent.objects.filter(type="customer.segment_changed").order_by("pk").last()
    assert changed is not None and "vip" in changed.payload["added"]
    # when
    order = Order.objects.get(external_id="2")
    do_upsert_refund(
        order, RefundData(external_id="r1", amount=Decimal("100"), refunded_at=timezone.now())
    )
    # then
    assert stats_of(world).lifetime_value == Decimal("450.00")
    assert Segment.VIP not in segments_of(world)
    assert Order.objects.get(pk=order.pk).financial_status == FinancialStatus.PARTIALLY_REFUNDED


def test_a_refund_repeated_counts_once(world):
    order = do_upsert_order(world.store, order_data(total="100.00")).order
    refund = RefundData(external_id="r1", amount=Decimal("40"), refunded_at=timezone.now())
    do_upsert_refund(order, refund)
    do_upsert_refund(order, refund)
    assert Order.objects.get().refunded_amount == Decimal("40.00")
    assert stats_of(world).lifetime_value == Decimal("60.00")


def test_an_order_in_another_currency_is_converted_with_the_stored_rate(world):
    # given
    ExchangeRate.objects.create(
        store=world.store, currency="PLN", rate=Decimal("0.23"), valid_from="2026-01-01"
    )
    # when
    do_upsert_order(world.store, order_data("p1", total="400.00", currency="PLN"))
    do_upsert_order(world.store, order_data("u1", total="50.00", currency="USD"))
    # then
    stats = stats_of(world)
    assert stats.lifetime_value == Decimal("92.00")
    assert stats.order_count == 2
    assert stats.unconverted_orders == 1


def test_a_cancelled_order_no_longer_counts(world):
    order = do_upsert_order(world.store, order_data(total="70.00")).order
    assert do_cancel_order(order, cancelled_at=timezone.now(), reason="customer")
    assert not do_cancel_order(order, cancelled_at=timezone.now())
    stats = stats_of(world)
    assert (stats.order_count, stats.lifetime_value) == (0, Decimal("0.00"))
    assert OutboxEvent.objects.filter(type="order.cancelled").count() == 1


def test_shipments_are_upserted_and_an_older_status_is_ignored(world):
    now = timezone.now()
    delivered = ShipmentData(external_id="f1", status="delivered", carrier="InPost", updated_at=now)
    in_transit = ShipmentData(
        external_id="f1", status="in_transit", carrier="InPost", updated_at=now - timedelta(hours=1)
    )
    order = do_upsert_order(world.store, order_data(shipments=(delivered,))).order
    do_upsert_order(world.store, order_data(shipments=(in_transit,)))
    assert [s.status for s in order.shipments.all()] == ["delivered"]


def test_time_and_complaints_change_segments(world):
    # given: two orders long ago
    long_ago = timezone.now() - timedelta(days=400)
    do_upsert_order(world.store, order_data("1", placed_at=long_ago))
    do_upsert_order(world.store, order_data("2", placed_at=long_ago + timedelta(days=1)))
    # then: a repeat customer gone quiet is at risk
    assert {Segment.REPEAT, Segment.DORMANT, Segment.AT_RISK} <= segments_of(world)
    assert Segment.NEW not in segments_of(world)


def test_a_refund_reported_again_with_a_larger_amount_takes_the_new_amount(world):
    """An export reports the order's refunded total as one refund: when more is refunded later,
    the newer report is the truth (and counts once)."""
    # given
    order = do_upsert_order(world.store, order_data(total="100.00")).order
    do_upsert_refund(
        order, RefundData(external_id="csv", amount=Decimal("30"), refunded_at=timezone.now())
    )
    # when
    do_upsert_refund(
        order, RefundData(external_id="csv", amount=Decimal("100"), refunded_at=timezone.now())
    )
    # then
    order.refresh_from_db()
    assert (order.refunded_amount, order.financial_status) == (
        Decimal("100.00"),
        FinancialStatus.REFUNDED,
    )
    assert stats_of(world).lifetime_value == Decimal("0.00")
    assert OutboxEvent.objects.filter(type="order.refunded").count() == 1
