"""Shopify payloads → order data: statuses, money, refunds, fulfilments (pure functions)."""

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from zabota.commerce import shopify
from zabota.commerce.constants import (
    FinancialStatus,
    FulfillmentStatus,
    OrderStatus,
    ShipmentStatus,
    Source,
)
from zabota.commerce.payloads import PayloadError
from zabota.commerce.tests.webhook_support import DATA


def load(name: str) -> dict:
    return json.loads((DATA / "shopify" / name).read_text())


def minimal_order(**fields) -> dict:
    return {
        "id": 1,
        "name": "#1",
        "currency": "eur",
        "total_price": "10.00",
        "created_at": "2026-11-01T10:00:00+01:00",
        **fields,
    }


def test_a_recorded_order_maps_to_order_data():
    """The first recorded orders/create: customer, money, lines with variants, dates in UTC."""
    data = shopify.order_data(load("01-orders-create-1001.json"))
    assert (data.source, data.external_id, data.number, data.currency) == (
        Source.SHOPIFY,
        "6101000001",
        "#1001",
        "EUR",
    )
    assert data.customer.email == "maria@example.pl"
    assert data.customer.phone == "+48601234567"
    assert (data.customer.first_name, data.customer.last_name, data.customer.country) == (
        "Maria",
        "Kowalska",
        "PL",
    )
    assert (data.status, data.financial_status, data.fulfillment_status) == (
        OrderStatus.OPEN,
        FinancialStatus.PAID,
        FulfillmentStatus.UNFULFILLED,
    )
    assert (
        data.total,
        data.subtotal,
        data.discount_total,
        data.shipping_total,
        data.tax_total,
    ) == (
        Decimal("268.20"),
        Decimal("258.30"),
        Decimal("28.70"),
        Decimal("9.90"),
        Decimal("50.15"),
    )
    assert data.placed_at == datetime(2026, 11, 2, 9, 15, 32, tzinfo=UTC)
    assert data.paid_at == data.placed_at
    assert data.updated_at == datetime(2026, 11, 2, 9, 15, 34, tzinfo=UTC)
    assert data.shipping_address["city"] == "Kraków"
    assert data.lines is not None
    assert [
        (line.title, line.variant, line.quantity, line.price, line.total) for line in data.lines
    ] == [
        ("Linen dress", "38 / Sage", 1, Decimal("189.00"), Decimal("160.30")),
        ("Silk scarf", "Terracotta", 2, Decimal("49.00"), Decimal("98.00")),
    ]


@pytest.mark.parametrize(
    ("fields", "status"),
    [
        ({}, OrderStatus.OPEN),
        ({"closed_at": "2026-11-05T10:00:00+01:00"}, OrderStatus.CLOSED),
        (
            {
                "closed_at": "2026-11-05T10:00:00+01:00",
                "cancelled_at": "2026-11-05T10:00:00+01:00",
            },
            OrderStatus.CANCELLED,
        ),
    ],
)
def test_order_status(fields, status):
    assert shopify.order_data(minimal_order(**fields)).status == status


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("pending", FinancialStatus.PENDING),
        ("authorized", FinancialStatus.AUTHORIZED),
        ("partially_paid", FinancialStatus.PARTIALLY_PAID),
        ("paid", FinancialStatus.PAID),
        ("partially_refunded", FinancialStatus.PARTIALLY_REFUNDED),
        ("refunded", FinancialStatus.REFUNDED),
        ("voided", FinancialStatus.VOIDED),
        ("expired", FinancialStatus.VOIDED),
        (None, FinancialStatus.PENDING),
        ("something_new", FinancialStatus.PENDING),
    ],
)
def test_financial_status(value, expected):
    assert shopify.order_data(minimal_order(financial_status=value)).financial_status == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, FulfillmentStatus.UNFULFILLED),
        ("partial", FulfillmentStatus.PARTIAL),
        ("fulfilled", FulfillmentStatus.FULFILLED),
        ("restocked", FulfillmentStatus.RESTOCKED),
    ],
)
def test_fulfillment_status(value, expected):
    assert (
        shopify.order_data(minimal_order(fulfillment_status=value)).fulfillment_status == expected
    )


def test_a_partially_paid_order_has_paid_the_total_minus_what_is_outstanding():
    data = shopify.order_data(
        minimal_order(
            financial_status="partially_paid", total_price="100.00", total_outstanding="40.00"
        )
    )
    assert data.paid_amount == Decimal("60.00")
    assert shopify.order_data(minimal_order(financial_status="paid")).paid_amount is None


def test_shipping_falls_back_to_the_shipping_lines():
    data = shopify.order_data(
        minimal_order(
            shipping_lines=[{"title": "DPD", "price": "4.90"}, {"title": "Gift wrap", "price": 2}]
        )
    )
    assert data.shipping_total == Decimal("6.90")
    assert data.shipping_method == "DPD, Gift wrap"


def test_refund_amount_counts_only_successful_refund_transactions():
    """A declined attempt and the authorisation kind do not count."""
    refund = shopify.refund_data(
        {
            "id": 9,
            "created_at": "2026-11-20T10:05:00+01:00",
            "note": "Too big",
            "transactions": [
                {"kind": "refund", "status": "failure", "amount": "50.00"},
                {"kind": "refund", "status": "success", "amount": "50.00"},
                {"kind": "refund", "status": "success", "amount": 9.9},
                {"kind": "authorization", "status": "success", "amount": "500.00"},
            ],
        }
    )
    assert refund is not None
    assert (refund.external_id, refund.amount, refund.reason) == ("9", Decimal("59.9"), "Too big")
    assert refund.refunded_at == datetime(2026, 11, 20, 9, 5, tzinfo=UTC)


def test_a_refund_without_transactions_falls_back_to_line_subtotals():
    refund = shopify.refund_data(
        {
            "id": 9,
            "created_at": "2026-11-20T10:05:00+01:00",
            "transactions": [],
            "refund_line_items": [{"subtotal": 19.9}, {"subtotal": "5.00"}],
        }
    )
    assert refund is not None and refund.amount == Decimal("24.9")


def test_a_refund_that_moved_no_money_is_none():
    """Restocking only, or every transaction declined."""
    assert shopify.refund_data({"id": 9, "created_at": "2026-11-20T10:05:00Z"}) is None
    declined = {"kind": "refund", "status": "failure", "amount": "10.00"}
    assert (
        shopify.refund_data(
            {"id": 9, "created_at": "2026-11-20T10:05:00Z", "transactions": [declined]}
        )
        is None
    )


@pytest.mark.parametrize(
    ("shipment_status", "status", "expected"),
    [
        (None, "success", ShipmentStatus.PENDING),
        ("label_printed", "success", ShipmentStatus.PENDING),
        ("label_purchased", "success", ShipmentStatus.PENDING),
        ("confirmed", "success", ShipmentStatus.PENDING),
        ("carrier_picked_up", "success", ShipmentStatus.IN_TRANSIT),
        ("in_transit", "success", ShipmentStatus.IN_TRANSIT),
        ("delayed", "success", ShipmentStatus.IN_TRANSIT),
        ("out_for_delivery", "success", ShipmentStatus.OUT_FOR_DELIVERY),
        ("attempted_delivery", "success", ShipmentStatus.OUT_FOR_DELIVERY),
        ("ready_for_pickup", "success", ShipmentStatus.OUT_FOR_DELIVERY),
        ("delivered", "success", ShipmentStatus.DELIVERED),
        ("picked_up", "success", ShipmentStatus.DELIVERED),
        ("failure", "success", ShipmentStatus.FAILED),
        ("in_transit", "cancelled", ShipmentStatus.FAILED),
        ("something_new", "success", ShipmentStatus.PENDING),
    ],
)
def test_shipment_status(shipment_status, status, expected):
    assert (
        shopify.shipment_status({"shipment_status": shipment_status, "status": status}) == expected
    )


def test_a_delivered_fulfilment_is_dated_by_its_last_update():
    data = shopify.shipment_data(load("06-fulfillments-update-1001.1.json"))
    assert (data.external_id, data.status, data.carrier, data.tracking_number) == (
        "5201000001",
        ShipmentStatus.DELIVERED,
        "DPD",
        "09876543210123",
    )
    assert data.tracking_url.startswith("https://tracktrace.dpd.com.pl/")
    assert data.shipped_at == datetime(2026, 11, 3, 8, 2, 11, tzinfo=UTC)
    assert data.delivered_at == data.updated_at == datetime(2026, 11, 5, 11, 31, 7, tzinfo=UTC)


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        ({"name": "#1", "currency": "EUR", "total_price": "1", "created_at": "2026-11-01"}, "id"),
        (minimal_order(total_price=None), "total_price"),
        (minimal_order(total_price="ten"), "total_price"),
        (minimal_order(currency=None), "currency"),
        (minimal_order(created_at="yesterday"), "created_at"),
        (minimal_order(line_items={"id": 1}), "line_items"),
    ],
)
def test_unreadable_payloads_raise_naming_the_field(payload, error):
    with pytest.raises(PayloadError, match=error):
        shopify.order_data(payload)
