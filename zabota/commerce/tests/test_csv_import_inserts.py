"""``core.inserts``, the COPY-based inserts of the bulk import (bulk_create off PostgreSQL): the
rows are those bulk_create would write."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from zabota.commerce.models import Order, OrderLine
from zabota.core.inserts import insert, new
from zabota.core.models import OutboxEvent
from zabota.customers.models import Customer, CustomerEvent, Identity

pytestmark = pytest.mark.django_db


def test_inserted_rows_get_their_ids_defaults_json_and_foreign_keys(world):
    """Ids set on the objects, auto_now filled, JSON stored as JSON, a foreign key assigned
    before its object was saved resolved as bulk_create resolves it."""
    # given
    customer = Customer(first_name="Zsófia", last_name="Kis", display_name="Zsófia Kis")
    identity = Identity(customer=customer, kind="email", value="zsofia@example.hu")
    order = new(
        Order,
        {
            "store_id": world.store.pk,
            "source": "generic",
            "external_id": "C-1",
            "number": "C-1",
            "currency": "EUR",
            "total": Decimal("10.50"),
            "placed_at": datetime(2026, 9, 1, tzinfo=UTC),
            "shipping_address": {"city": "Győr", "zip": "9021"},
        },
    )
    # when
    insert([customer])
    insert([identity])
    insert([order])
    insert([OrderLine(order=order, title="Socks", price=Decimal("10.50"), total=Decimal("10.50"))])
    insert(
        [
            OutboxEvent(type="order.created", payload={"order_id": order.pk}),
            OutboxEvent(type="order.created", payload={"order_id": order.pk, "n": [1, "ő"]}),
        ]
    )
    # then
    assert Identity.objects.get(pk=identity.pk).customer == customer
    stored = Order.objects.get(pk=order.pk)
    assert stored.shipping_address == {"city": "Győr", "zip": "9021"}
    assert stored.total == Decimal("10.50")
    assert stored.updated_at is not None and stored.created_at is not None
    assert stored.refunded_amount == Decimal("0")
    assert OrderLine.objects.get(order=order).title == "Socks"
    payloads = list(
        OutboxEvent.objects.filter(type="order.created").values_list("payload", flat=True)
    )
    assert payloads == [{"order_id": order.pk}, {"order_id": order.pk, "n": [1, "ő"]}]
    assert not order._state.adding


def test_a_violated_constraint_raises_integrity_error(world):
    """As bulk_create: a concurrent import that took an identity first is an IntegrityError,
    which the import answers by doing the batch again."""
    # given
    taken = Identity(customer=world.ivan, kind="email", value="maria@example.pl")
    # when / then
    with pytest.raises(IntegrityError), transaction.atomic():
        insert([taken])
    assert CustomerEvent.objects.filter(customer=world.ivan).count() == 1
