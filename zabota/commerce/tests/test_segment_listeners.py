"""Segments follow what happens outside the order tables: messages, complaint tags, merges and
the passing of time."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from zabota.commerce.constants import Segment
from zabota.commerce.listeners import sweep_segments
from zabota.commerce.models import CustomerSegment, CustomerStats, Order, SegmentSettings
from zabota.commerce.sync import do_upsert_order
from zabota.commerce.tests.factories import order_data
from zabota.customers.actions import do_merge_customers
from zabota.tickets.actions import do_add_customer_message, do_change_tags
from zabota.tickets.models import Tag

pytestmark = pytest.mark.django_db


def segments_of(world, customer) -> set[str]:
    return set(
        CustomerSegment.objects.filter(store=world.store, customer=customer).values_list(
            "segment", flat=True
        )
    )


def test_a_complaint_tag_puts_the_customer_at_risk_and_removing_it_takes_them_out(
    world, django_capture_on_commit_callbacks
):
    # given
    complaint = Tag.objects.create(store=world.store, name="Complaint")
    # when
    with django_capture_on_commit_callbacks(execute=True):
        do_change_tags(world.maria_ticket, add=[complaint], actor=world.anna)
    # then
    assert segments_of(world, world.maria) == {Segment.AT_RISK}
    # when
    with django_capture_on_commit_callbacks(execute=True):
        do_change_tags(world.maria_ticket, remove=[complaint], actor=world.anna)
    # then
    assert segments_of(world, world.maria) == set()


def test_a_buyer_who_keeps_writing_becomes_passionate(world, django_capture_on_commit_callbacks):
    # given: one order 90 days ago and the one message of his ticket: one signal
    do_upsert_order(
        world.store,
        order_data(placed_at=timezone.now() - timedelta(days=90), email="ivan@example.ru"),
    )
    assert not {Segment.INDIFFERENT, Segment.PASSIONATE} & segments_of(world, world.ivan)
    # when: the original message counts as one signal; two more make three
    for text in ("Any news?", "Thanks, that helped!"):
        with django_capture_on_commit_callbacks(execute=True):
            do_add_customer_message(world.ivan_ticket, body_text=text)
    # then
    assert Segment.PASSIONATE in segments_of(world, world.ivan)


def test_a_passionate_buyers_next_message_recomputes_nothing(
    world, django_capture_on_commit_callbacks
):
    """Another message cannot take a segment away: the figures are left to the sweep."""
    # given: Ivan passionate, his figures last evaluated a week ago
    do_upsert_order(
        world.store,
        order_data(placed_at=timezone.now() - timedelta(days=90), email="ivan@example.ru"),
    )
    CustomerSegment.objects.create(
        store=world.store, customer=world.ivan, segment=Segment.PASSIONATE
    )
    week_ago = timezone.now() - timedelta(days=7)
    CustomerStats.objects.filter(customer=world.ivan).update(evaluated_at=week_ago)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        do_add_customer_message(world.ivan_ticket, body_text="One more thing")
    # then
    assert CustomerStats.objects.get(customer=world.ivan).evaluated_at == week_ago
    assert Segment.PASSIONATE in segments_of(world, world.ivan)


def test_a_one_time_buyer_who_never_wrote_is_indifferent(world):
    order = do_upsert_order(
        world.store,
        order_data(placed_at=timezone.now() - timedelta(days=90), email="quiet@example.com"),
    ).order
    assert segments_of(world, order.customer) == {Segment.INDIFFERENT}


def test_merging_customers_moves_orders_and_the_survivor_becomes_vip(world):
    # given
    SegmentSettings.objects.create(store=world.store, vip_threshold=Decimal("150"))
    do_upsert_order(world.store, order_data("1", total="100", email="maria@example.pl"))
    do_upsert_order(world.store, order_data("2", total="100", email="ivan@example.ru"))
    # when
    do_merge_customers(world.ivan, world.maria, actor=world.ada)
    # then
    assert set(Order.objects.values_list("customer_id", flat=True)) == {world.maria.pk}
    assert Segment.VIP in segments_of(world, world.maria)
    assert not CustomerStats.objects.filter(customer=world.ivan).exists()
    assert segments_of(world, world.ivan) == set()


def test_the_sweep_lets_new_customers_age_and_active_ones_go_dormant(world):
    # given: a first order 20 days ago (new, with a 30-day window)
    placed = timezone.now() - timedelta(days=20)
    do_upsert_order(world.store, order_data(placed_at=placed))
    assert Segment.NEW in segments_of(world, world.maria)
    # when: the sweep runs 200 days later
    later = timezone.now() + timedelta(days=200)
    swept = sweep_segments(now=later)
    # then
    assert swept == 1
    assert Segment.NEW not in segments_of(world, world.maria)
    assert Segment.DORMANT in segments_of(world, world.maria)
    # and a second run finds nothing due
    assert sweep_segments(now=later) == 0
