"""The customer timeline: every registered source merged by date, newest first, cut into pages
that neither repeat nor skip an entry, and limited to what the viewer may see."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from zabota.commerce.constants import ReturnStatus, ShipmentStatus
from zabota.commerce.order_data import RefundData, ReturnData, ShipmentData
from zabota.commerce.sync import do_upsert_order
from zabota.commerce.tests.factories import order_data
from zabota.customers.timeline import InvalidCursor, customer_timeline
from zabota.tickets.actions import do_create_ticket
from zabota.tickets.models import Ticket

pytestmark = pytest.mark.django_db

T = datetime(2026, 9, 1, 10, 0, tzinfo=UTC)


def _history(world) -> None:
    """Maria: an order with a shipment, a refund and a return; a later ticket in Returns."""
    do_upsert_order(
        world.store,
        order_data(
            "2001",
            placed_at=T,
            shipments=(
                ShipmentData(
                    "s1",
                    status=ShipmentStatus.DELIVERED,
                    carrier="DPD",
                    tracking_number="123",
                    tracking_url="https://track.example/123",
                    shipped_at=T + timedelta(days=1),
                    delivered_at=T + timedelta(days=2),
                ),
            ),
            refunds=(RefundData("r1", Decimal("20.00"), T + timedelta(days=5), "damaged"),),
            returns=(
                ReturnData(
                    "ret1",
                    requested_at=T + timedelta(days=4),
                    status=ReturnStatus.RECEIVED,
                    received_at=T + timedelta(days=6),
                ),
            ),
        ),
    )
    do_create_ticket(
        store=world.store,
        customer=world.maria,
        subject="Broken vase",
        body_text="It arrived broken.",
        group=world.returns,
        actor=None,
        at=T + timedelta(days=3),
    )
    Ticket.objects.filter(pk=world.maria_ticket.pk).update(created_at=T - timedelta(days=1))


def test_sources_merge_newest_first(world):
    """Lena sees tickets, the order, its shipment, delivery, return, refund, all by date."""
    # given
    _history(world)
    # when
    page = customer_timeline(world.lena, world.maria.pk, limit=50)
    # then
    assert [entry.key.split(":")[0] for entry in page.entries] == [
        "return-received",
        "refund",
        "return",
        "ticket",
        "delivered",
        "shipped",
        "order",
        "ticket",
    ]
    assert page.next_cursor is None
    refund = page.entries[1]
    assert (refund.amount, refund.currency, refund.detail) == (Decimal("20.00"), "EUR", "damaged")
    shipped = page.entries[5]
    assert shipped.url == "https://track.example/123" and "DPD" in shipped.detail


def test_pages_neither_repeat_nor_skip_entries(world):
    """Three at a time, with two entries at the very same moment: every entry exactly once."""
    # given
    _history(world)
    Ticket.objects.filter(customer=world.maria).update(created_at=T)  # same instant as the order
    expected = [e.key for e in customer_timeline(world.lena, world.maria.pk, limit=50).entries]
    # when
    seen, cursor = [], ""
    for _ in range(10):
        page = customer_timeline(world.lena, world.maria.pk, cursor=cursor, limit=3)
        seen += [e.key for e in page.entries]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    # then
    assert seen == expected
    assert len(seen) == len(set(seen)) == 8


def test_an_agent_sees_only_the_tickets_she_may_see(world):
    """Anna (Support) gets the orders and Maria's Support ticket, not the Returns one."""
    # given
    _history(world)
    # when
    keys = [e.key for e in customer_timeline(world.anna, world.maria.pk, limit=50).entries]
    # then
    tickets = [k for k in keys if k.startswith("ticket:")]
    assert tickets == [f"ticket:{world.maria_ticket.pk}"]
    assert any(k.startswith("order:") for k in keys)


def test_a_made_up_cursor_is_refused(world):
    with pytest.raises(InvalidCursor):
        customer_timeline(world.lena, world.maria.pk, cursor="not-a-cursor")
