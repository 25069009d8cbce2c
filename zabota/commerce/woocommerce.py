"""WooCommerce webhook payloads (REST API v3 resources) mapped to :mod:`commerce.order_data`.

Pure functions: a parsed JSON object in, order data out. Topics (``X-WC-Webhook-Topic``):

- ``order.created``, ``order.updated``: the whole order → :func:`order_data`;
- ``order.deleted``: ``{"id": …}`` only → :func:`order_id` (an order moved to the trash is
  deleted too: see :func:`is_trashed`);
- ``customer.updated``: a customer → :func:`customer_details`.

Statuses (WooCommerce has one status; ours are three):

==================  ===========  =========================  =====================
WooCommerce         status       payment                    fulfilment
==================  ===========  =========================  =====================
pending             open         pending                    unfulfilled
on-hold             open         pending                    unfulfilled
processing          open         paid                       unfulfilled
completed           closed       paid                       fulfilled
refunded            closed       refunded                   fulfilled if it was
                                                            completed, else
                                                            unfulfilled
cancelled           cancelled    voided (paid if            unfulfilled
                                 ``date_paid`` is set)
failed              cancelled    voided                     unfulfilled
anything else       open         paid if ``date_paid`` is   fulfilled if
(checkout-draft,                 set, else pending          ``date_completed`` is
custom statuses)                                            set, else unfulfilled
trash               as "anything else", and the order is deleted (kept for the
                    record, counted nowhere)
==================  ===========  =========================  =====================

A paid order with refunds is partially refunded, or refunded once the refunds reach its total.
``pending`` and ``on-hold`` mean the money has not arrived (bank transfer, cheque), so such an
order counts as an order but adds nothing to the lifetime value yet.

Money: ``total`` (before refunds), ``total_tax``, ``shipping_total``, ``discount_total``; line
prices from ``price`` (a JSON number in WooCommerce, read through its text form) and line totals
from ``total`` (after discounts). Refunds in the order (``refunds[{id, reason, total}]``, total
negative) carry no date: they are dated with the order's ``date_modified_gmt`` of the first
report that lists them. Datetimes come from the ``*_gmt`` fields (UTC without an offset).
"""

from datetime import datetime
from decimal import Decimal

from zabota.commerce.constants import (
    PAID_IN_FULL,
    FinancialStatus,
    FulfillmentStatus,
    OrderStatus,
    Source,
)
from zabota.commerce.order_data import CustomerData, LineData, OrderData, RefundData
from zabota.commerce.payloads import (
    Payload,
    PayloadError,
    address,
    items,
    money,
    obj,
    quantity,
    required_id,
    required_when,
    text,
    when,
)

ORDER_TOPICS = frozenset({"order.created", "order.updated"})
ORDER_DELETE_TOPIC = "order.deleted"
CUSTOMER_TOPICS = frozenset({"customer.updated"})

# WooCommerce status → (status, payment, fulfilment); see the table above.
STATUSES: dict[str, tuple[OrderStatus, FinancialStatus, FulfillmentStatus]] = {
    "pending": (OrderStatus.OPEN, FinancialStatus.PENDING, FulfillmentStatus.UNFULFILLED),
    "on-hold": (OrderStatus.OPEN, FinancialStatus.PENDING, FulfillmentStatus.UNFULFILLED),
    "processing": (OrderStatus.OPEN, FinancialStatus.PAID, FulfillmentStatus.UNFULFILLED),
    "completed": (OrderStatus.CLOSED, FinancialStatus.PAID, FulfillmentStatus.FULFILLED),
    "refunded": (OrderStatus.CLOSED, FinancialStatus.REFUNDED, FulfillmentStatus.UNFULFILLED),
    "cancelled": (OrderStatus.CANCELLED, FinancialStatus.VOIDED, FulfillmentStatus.UNFULFILLED),
    "failed": (OrderStatus.CANCELLED, FinancialStatus.VOIDED, FulfillmentStatus.UNFULFILLED),
}
TRASH = "trash"

ADDRESS_FIELDS = (
    "first_name",
    "last_name",
    "company",
    "address_1",
    "address_2",
    "postcode",
    "city",
    "state",
    "country",
    "phone",
)


def order_id(payload: Payload) -> str:
    return required_id(payload)


def is_trashed(payload: Payload) -> bool:
    """The order was moved to the trash: for us it is deleted."""
    return text(payload, "status") == TRASH


def order_data(payload: Payload) -> OrderData:
    external_id = required_id(payload)
    woo_status = text(payload, "status")
    paid_at = when(payload, "date_paid_gmt")
    completed_at = when(payload, "date_completed_gmt")
    if woo_status in STATUSES:
        status, financial, fulfillment = STATUSES[woo_status]
    else:
        status = OrderStatus.OPEN
        financial = FinancialStatus.PAID if paid_at else FinancialStatus.PENDING
        fulfillment = FulfillmentStatus.FULFILLED if completed_at else FulfillmentStatus.UNFULFILLED
    if woo_status == "cancelled" and paid_at is not None:
        financial = FinancialStatus.PAID
    if woo_status == "refunded" and completed_at is not None:
        fulfillment = FulfillmentStatus.FULFILLED
    total = money(payload, "total", default=None)
    updated_at = when(payload, "date_modified_gmt")
    placed_at = required_when(payload, "date_created_gmt")
    refunds = tuple(_refund(entry, updated_at or placed_at) for entry in items(payload, "refunds"))
    refunded = sum((refund.amount for refund in refunds), Decimal(0))
    if financial == FinancialStatus.PAID and refunded > 0:
        financial = (
            FinancialStatus.REFUNDED if refunded >= total else FinancialStatus.PARTIALLY_REFUNDED
        )
    currency = text(payload, "currency")
    if len(currency) != 3:
        raise PayloadError(f"currency: not a currency code: {currency!r}")
    billing = obj(payload, "billing")
    shipping = obj(payload, "shipping")
    return OrderData(
        source=Source.WOOCOMMERCE,
        external_id=external_id,
        number=text(payload, "number") or external_id,
        currency=currency.upper(),
        total=total,
        placed_at=placed_at,
        customer=CustomerData(
            email=text(billing, "email"),
            phone=text(billing, "phone"),
            first_name=text(billing, "first_name"),
            last_name=text(billing, "last_name"),
            country=text(billing, "country") or text(shipping, "country"),
        ),
        status=status,
        financial_status=financial,
        fulfillment_status=fulfillment,
        discount_total=money(payload, "discount_total"),
        shipping_total=money(payload, "shipping_total"),
        tax_total=money(payload, "total_tax"),
        paid_amount=total if financial in PAID_IN_FULL else Decimal(0),
        discount_codes=", ".join(
            code for line in items(payload, "coupon_lines") if (code := text(line, "code"))
        ),
        shipping_method=", ".join(
            title
            for line in items(payload, "shipping_lines")
            if (title := text(line, "method_title"))
        ),
        shipping_address=address(shipping, ADDRESS_FIELDS),
        paid_at=paid_at,
        cancelled_at=(updated_at or placed_at) if status == OrderStatus.CANCELLED else None,
        cancel_reason="payment failed" if woo_status == "failed" else "",
        updated_at=updated_at,
        lines=tuple(_line(line) for line in items(payload, "line_items")),
        refunds=refunds,
    )


def _line(line: Payload) -> LineData:
    count = quantity(line)
    if line.get("price") is not None:
        price = money(line, "price")
    else:
        price = money(line, "subtotal") / count if count else Decimal(0)
    return LineData(
        title=text(line, "name") or text(line, "sku"),
        quantity=count,
        price=price,
        sku=text(line, "sku"),
        variant=_variant(line),
        total=money(line, "total", default=price * count),
        external_id=text(line, "id"),
    )


def _variant(line: Payload) -> str:
    """ "M / Blue" from a variation's attributes (meta data shown to the customer)."""
    values = []
    for meta in items(line, "meta_data"):
        key = text(meta, "key")
        if key.startswith("_"):
            continue  # WooCommerce's own hidden meta
        value = meta.get("display_value", meta.get("value"))
        if isinstance(value, str) and value.strip():
            values.append(value.strip())
    return " / ".join(values)


def _refund(entry: Payload, reported_at: datetime) -> RefundData:
    return RefundData(
        external_id=required_id(entry),
        amount=abs(money(entry, "total", default=None)),
        refunded_at=reported_at,
        reason=text(entry, "reason"),
    )


def customer_details(payload: Payload) -> CustomerData:
    """customer.updated: the contact and names WooCommerce holds for a customer."""
    billing = obj(payload, "billing")
    return CustomerData(
        email=text(payload, "email") or text(billing, "email"),
        phone=text(billing, "phone"),
        first_name=text(payload, "first_name") or text(billing, "first_name"),
        last_name=text(payload, "last_name") or text(billing, "last_name"),
        country=text(billing, "country"),
    )
