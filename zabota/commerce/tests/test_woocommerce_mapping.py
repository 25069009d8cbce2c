"""WooCommerce payloads → order data: the status table, money, refunds (pure functions)."""

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from zabota.commerce import woocommerce
from zabota.commerce.constants import FinancialStatus, FulfillmentStatus, OrderStatus, Source
from zabota.commerce.payloads import PayloadError
from zabota.commerce.tests.webhook_support import DATA


def load(name: str) -> dict:
    return json.loads((DATA / "woocommerce" / name).read_text())


def minimal_order(**fields) -> dict:
    return {
        "id": 77,
        "number": "77",
        "status": "processing",
        "currency": "PLN",
        "total": "100.00",
        "date_created_gmt": "2026-11-01T09:00:00",
        "date_modified_gmt": "2026-11-01T09:00:05",
        **fields,
    }


def test_a_recorded_order_maps_to_order_data():
    data = woocommerce.order_data(load("01-order-created-4711.json"))
    assert (data.source, data.external_id, data.number, data.currency) == (
        Source.WOOCOMMERCE,
        "4711",
        "4711",
        "EUR",
    )
    assert (data.customer.email, data.customer.phone, data.customer.country) == (
        "maria@example.pl",
        "+48 601 234 567",
        "PL",
    )
    assert (data.total, data.tax_total, data.shipping_total, data.discount_total) == (
        Decimal("141.64"),
        Decimal("24.24"),
        Decimal("12.00"),
        Decimal("18.60"),
    )
    assert data.paid_amount == data.total
    assert data.placed_at == datetime(2026, 11, 4, 13, 22, 10, tzinfo=UTC)
    assert data.paid_at == datetime(2026, 11, 4, 13, 22, 14, tzinfo=UTC)
    assert data.discount_codes == "AUTUMN15" and data.shipping_method == "Flat rate"
    assert data.shipping_address["city"] == "Kraków"
    assert data.lines is not None
    assert [
        (line.title, line.sku, line.variant, line.price, line.total) for line in data.lines
    ] == [
        ("Linen trousers - 38, Sand", "LT-38-SAND", "38 / Sand", Decimal("99.0"), Decimal("80.40")),
        ("Cotton socks - 39-42", "CS-3942", "39-42", Decimal("12.5"), Decimal("25.00")),
    ]


@pytest.mark.parametrize(
    ("status", "dates", "expected"),
    [
        ("pending", {}, (OrderStatus.OPEN, FinancialStatus.PENDING, FulfillmentStatus.UNFULFILLED)),
        ("on-hold", {}, (OrderStatus.OPEN, FinancialStatus.PENDING, FulfillmentStatus.UNFULFILLED)),
        ("processing", {}, (OrderStatus.OPEN, FinancialStatus.PAID, FulfillmentStatus.UNFULFILLED)),
        ("completed", {}, (OrderStatus.CLOSED, FinancialStatus.PAID, FulfillmentStatus.FULFILLED)),
        (
            "refunded",
            {},
            (OrderStatus.CLOSED, FinancialStatus.REFUNDED, FulfillmentStatus.UNFULFILLED),
        ),
        (
            "refunded",
            {"date_completed_gmt": "2026-11-03T10:00:00"},
            (OrderStatus.CLOSED, FinancialStatus.REFUNDED, FulfillmentStatus.FULFILLED),
        ),
        (
            "cancelled",
            {},
            (OrderStatus.CANCELLED, FinancialStatus.VOIDED, FulfillmentStatus.UNFULFILLED),
        ),
        (
            "cancelled",
            {"date_paid_gmt": "2026-11-01T09:00:01"},
            (OrderStatus.CANCELLED, FinancialStatus.PAID, FulfillmentStatus.UNFULFILLED),
        ),
        (
            "failed",
            {},
            (OrderStatus.CANCELLED, FinancialStatus.VOIDED, FulfillmentStatus.UNFULFILLED),
        ),
        (
            "checkout-draft",
            {},
            (OrderStatus.OPEN, FinancialStatus.PENDING, FulfillmentStatus.UNFULFILLED),
        ),
        (
            "shipped-to-locker",
            {"date_paid_gmt": "2026-11-01T09:00:01", "date_completed_gmt": "2026-11-02T09:00:00"},
            (OrderStatus.OPEN, FinancialStatus.PAID, FulfillmentStatus.FULFILLED),
        ),
    ],
)
def test_status_table(status, dates, expected):
    data = woocommerce.order_data(minimal_order(status=status, **dates))
    assert (data.status, data.financial_status, data.fulfillment_status) == expected


def test_refunds_make_a_paid_order_partially_refunded_then_refunded():
    """Refund totals are negative strings; the first report that lists a refund dates it."""
    partly = woocommerce.order_data(
        minimal_order(refunds=[{"id": 5, "reason": "", "total": "-30.00"}])
    )
    assert partly.financial_status == FinancialStatus.PARTIALLY_REFUNDED
    assert [(r.external_id, r.amount) for r in partly.refunds] == [("5", Decimal("30.00"))]
    assert partly.refunds[0].refunded_at == datetime(2026, 11, 1, 9, 0, 5, tzinfo=UTC)
    fully = woocommerce.order_data(
        minimal_order(
            refunds=[{"id": 5, "reason": "", "total": "-30.00"}, {"id": 6, "total": "-70.00"}]
        )
    )
    assert fully.financial_status == FinancialStatus.REFUNDED
    assert fully.paid_amount == Decimal("100.00")


def test_unpaid_orders_have_paid_nothing():
    assert woocommerce.order_data(minimal_order(status="on-hold")).paid_amount == Decimal(0)


def test_a_failed_payment_is_a_cancelled_order_with_the_reason():
    data = woocommerce.order_data(minimal_order(status="failed"))
    assert data.cancel_reason == "payment failed"
    assert data.cancelled_at == datetime(2026, 11, 1, 9, 0, 5, tzinfo=UTC)


def test_trash_is_recognised():
    assert woocommerce.is_trashed(minimal_order(status="trash"))
    assert not woocommerce.is_trashed(minimal_order())


def test_customer_details_read_the_billing_contact():
    data = woocommerce.customer_details(load("13-customer-updated-58.json"))
    assert (data.email, data.phone, data.first_name, data.last_name, data.country) == (
        "Zsofia.Toth@Example.hu",
        "06 30 987 6543",
        "Zsófia",
        "Tóth",
        "HU",
    )


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"date_created_gmt": None}, "date_created_gmt"),
        ({"total": None}, "total"),
        ({"currency": "euro"}, "currency"),
        ({"refunds": [{"id": 5}]}, "total"),
    ],
)
def test_unreadable_payloads_raise_naming_the_field(fields, error):
    with pytest.raises(PayloadError, match=error):
        woocommerce.order_data(minimal_order(**fields))
