"""Shopify webhook payloads (REST Admin API resources) mapped to :mod:`commerce.order_data`.

Pure functions: a parsed JSON object in, order data out; nothing is read from or written to the
database. Topics (``X-Shopify-Topic``) and what they carry:

- ``orders/create``, ``orders/updated``, ``orders/cancelled``, ``orders/paid``,
  ``orders/fulfilled``, ``orders/partially_fulfilled``: the whole Order → :func:`order_data`
  (with its ``fulfillments`` and ``refunds``);
- ``orders/delete``: ``{"id": …}`` only → :func:`order_id`;
- ``refunds/create``: a Refund with ``order_id`` → :func:`refund_data`;
- ``fulfillments/create``, ``fulfillments/update``: a Fulfillment with ``order_id`` →
  :func:`shipment_data`;
- ``customers/update``: a Customer → :func:`customer_details`.

Order statuses:

==========================  ========================================================
Shopify                     Zabota
==========================  ========================================================
``cancelled_at`` set        status cancelled (``cancel_reason`` kept)
``closed_at`` set           status closed (archived)
otherwise                   status open
financial_status            same name (pending, authorized, partially_paid, paid,
                            partially_refunded, refunded, voided); ``expired`` →
                            voided; anything else → pending
fulfillment_status          null → unfulfilled; partial, fulfilled, restocked → same
==========================  ========================================================

Money: ``total_price`` (shop currency, before refunds), ``subtotal_price``,
``total_discounts``, ``total_tax``, shipping from ``total_shipping_price_set.shop_money`` or
the sum of ``shipping_lines``. The amount paid is the whole total for paid and refunded orders
(refunds are subtracted separately), total − ``total_outstanding`` for partially paid ones and
nothing before payment; ``paid_at`` is ``processed_at`` once paid (the REST order carries no
payment time). The order date is ``processed_at`` (what Shopify shows; it differs from
``created_at`` for imported orders).

Refunds: the amount is the sum of the successful ``refund`` transactions; a refund without any
refund transaction falls back to the sum of its ``refund_line_items`` subtotals. A refund that
moved no money (a restock only) is not a refund for us (:func:`refund_data` returns None).

Fulfilments (``shipment_status`` → ShipmentStatus):

====================================================================  ===================
null, label_printed, label_purchased, confirmed, submitted            pending
carrier_picked_up, in_transit, delayed                                in_transit
out_for_delivery, attempted_delivery, ready_for_pickup                out_for_delivery
delivered, picked_up                                                  delivered
failure, not_delivered; or the fulfilment's own status cancelled,     failed
error or failure
====================================================================  ===================
"""

from decimal import Decimal

from zabota.commerce.constants import (
    PAID_IN_FULL,
    FinancialStatus,
    FulfillmentStatus,
    OrderStatus,
    ShipmentStatus,
    Source,
)
from zabota.commerce.order_data import (
    CustomerData,
    LineData,
    OrderData,
    RefundData,
    ShipmentData,
)
from zabota.commerce.payloads import (
    Payload,
    PayloadError,
    address,
    first_text,
    items,
    money,
    obj,
    optional_money,
    quantity,
    required_id,
    required_when,
    text,
    to_decimal,
    when,
)

# Topics whose payload is the whole order.
ORDER_TOPICS = frozenset(
    {
        "orders/create",
        "orders/updated",
        "orders/cancelled",
        "orders/paid",
        "orders/fulfilled",
        "orders/partially_fulfilled",
    }
)
ORDER_DELETE_TOPIC = "orders/delete"
REFUND_TOPICS = frozenset({"refunds/create"})
FULFILLMENT_TOPICS = frozenset({"fulfillments/create", "fulfillments/update"})
CUSTOMER_TOPICS = frozenset({"customers/update"})

FINANCIAL_STATUSES = {
    "pending": FinancialStatus.PENDING,
    "authorized": FinancialStatus.AUTHORIZED,
    "partially_paid": FinancialStatus.PARTIALLY_PAID,
    "paid": FinancialStatus.PAID,
    "partially_refunded": FinancialStatus.PARTIALLY_REFUNDED,
    "refunded": FinancialStatus.REFUNDED,
    "voided": FinancialStatus.VOIDED,
    "expired": FinancialStatus.VOIDED,
}

FULFILLMENT_STATUSES = {
    "partial": FulfillmentStatus.PARTIAL,
    "fulfilled": FulfillmentStatus.FULFILLED,
    "restocked": FulfillmentStatus.RESTOCKED,
}

SHIPMENT_STATUSES = {
    "label_printed": ShipmentStatus.PENDING,
    "label_purchased": ShipmentStatus.PENDING,
    "confirmed": ShipmentStatus.PENDING,
    "submitted": ShipmentStatus.PENDING,
    "carrier_picked_up": ShipmentStatus.IN_TRANSIT,
    "in_transit": ShipmentStatus.IN_TRANSIT,
    "delayed": ShipmentStatus.IN_TRANSIT,
    "out_for_delivery": ShipmentStatus.OUT_FOR_DELIVERY,
    "attempted_delivery": ShipmentStatus.OUT_FOR_DELIVERY,
    "ready_for_pickup": ShipmentStatus.OUT_FOR_DELIVERY,
    "delivered": ShipmentStatus.DELIVERED,
    "picked_up": ShipmentStatus.DELIVERED,
    "failure": ShipmentStatus.FAILED,
    "not_delivered": ShipmentStatus.FAILED,
}
# A fulfilment Shopify itself gave up on (its ``status``, not the carrier's report).
FAILED_FULFILLMENTS = frozenset({"cancelled", "error", "failure"})

ADDRESS_FIELDS = (
    "name",
    "company",
    "address1",
    "address2",
    "zip",
    "city",
    "province",
    "province_code",
    "country",
    "country_code",
    "phone",
)


def order_id(payload: Payload) -> str:
    """The order's id (orders/delete carries nothing else)."""
    return required_id(payload)


def parent_order_id(payload: Payload) -> str:
    """The id of the order a refund or fulfilment belongs to."""
    return required_id(payload, "order_id")


def order_data(payload: Payload) -> OrderData:
    external_id = required_id(payload)
    financial = FINANCIAL_STATUSES.get(text(payload, "financial_status"), FinancialStatus.PENDING)
    total = money(payload, "total_price", default=None)
    processed_at = when(payload, "processed_at")
    created_at = when(payload, "created_at")
    placed_at = processed_at or created_at
    if placed_at is None:
        raise PayloadError("created_at: missing")
    cancelled_at = when(payload, "cancelled_at")
    if cancelled_at is not None:
        status = OrderStatus.CANCELLED
    elif when(payload, "closed_at") is not None:
        status = OrderStatus.CLOSED
    else:
        status = OrderStatus.OPEN
    paid_amount = None
    if financial == FinancialStatus.PARTIALLY_PAID and payload.get("total_outstanding") is not None:
        paid_amount = max(total - money(payload, "total_outstanding"), Decimal(0))
    paid = financial in PAID_IN_FULL or financial == FinancialStatus.PARTIALLY_PAID
    return OrderData(
        source=Source.SHOPIFY,
        external_id=external_id,
        number=text(payload, "name") or text(payload, "order_number") or external_id,
        currency=_currency(payload),
        total=total,
        placed_at=placed_at,
        customer=_order_customer(payload),
        status=status,
        financial_status=financial,
        fulfillment_status=FULFILLMENT_STATUSES.get(
            text(payload, "fulfillment_status"), FulfillmentStatus.UNFULFILLED
        ),
        subtotal=optional_money(payload, "subtotal_price"),
        discount_total=money(payload, "total_discounts"),
        shipping_total=_shipping_total(payload),
        tax_total=money(payload, "total_tax"),
        paid_amount=paid_amount,
        discount_codes=", ".join(
            code for entry in items(payload, "discount_codes") if (code := text(entry, "code"))
        ),
        shipping_method=", ".join(
            title for line in items(payload, "shipping_lines") if (title := text(line, "title"))
        ),
        shipping_address=address(obj(payload, "shipping_address"), ADDRESS_FIELDS),
        paid_at=placed_at if paid else None,
        cancelled_at=cancelled_at,
        cancel_reason=text(payload, "cancel_reason"),
        updated_at=when(payload, "updated_at"),
        lines=tuple(_line(line) for line in items(payload, "line_items")),
        shipments=tuple(shipment_data(f) for f in items(payload, "fulfillments")),
        refunds=tuple(
            refund for r in items(payload, "refunds") if (refund := refund_data(r)) is not None
        ),
    )


def _currency(payload: Payload) -> str:
    currency = text(payload, "currency")
    if len(currency) != 3:
        raise PayloadError(f"currency: not a currency code: {currency!r}")
    return currency.upper()


def _order_customer(payload: Payload) -> CustomerData:
    customer = obj(payload, "customer")
    billing = obj(payload, "billing_address")
    shipping = obj(payload, "shipping_address")
    country = (
        text(shipping, "country_code")
        or text(billing, "country_code")
        or text(obj(customer, "default_address"), "country_code")
    )
    return CustomerData(
        email=text(payload, "email") or text(payload, "contact_email") or text(customer, "email"),
        phone=text(payload, "phone") or text(customer, "phone") or text(billing, "phone"),
        first_name=text(customer, "first_name") or text(billing, "first_name"),
        last_name=text(customer, "last_name") or text(billing, "last_name"),
        country=country,
    )


def _shipping_total(payload: Payload) -> Decimal:
    shop_money = obj(obj(payload, "total_shipping_price_set"), "shop_money")
    if shop_money.get("amount") is not None:
        return money(shop_money, "amount")
    return sum((money(line, "price") for line in items(payload, "shipping_lines")), Decimal(0))


def _line(line: Payload) -> LineData:
    price = money(line, "price")
    count = quantity(line)
    variant = text(line, "variant_title")
    return LineData(
        title=text(line, "title") or text(line, "name") or text(line, "sku"),
        quantity=count,
        price=price,
        sku=text(line, "sku"),
        variant="" if variant == "Default Title" else variant,
        total=price * count - _line_discount(line),
        external_id=text(line, "id"),
    )


def _line_discount(line: Payload) -> Decimal:
    """Discounts allocated to the line (``discount_allocations``; older API versions only
    filled ``total_discount``)."""
    allocations = items(line, "discount_allocations")
    if allocations:
        return sum((money(a, "amount") for a in allocations), Decimal(0))
    return money(line, "total_discount")


def refund_data(payload: Payload) -> RefundData | None:
    """The refund, or None when it moved no money (e.g. only restocked items)."""
    transactions = [t for t in items(payload, "transactions") if text(t, "kind") == "refund"]
    if transactions:
        amount = sum(
            (money(t, "amount") for t in transactions if text(t, "status") == "success"),
            Decimal(0),
        )
    else:
        amount = sum(
            (
                to_decimal(entry["subtotal"], "refund_line_items.subtotal")
                for entry in items(payload, "refund_line_items")
                if entry.get("subtotal") is not None
            ),
            Decimal(0),
        )
    if amount <= 0:
        return None
    return RefundData(
        external_id=required_id(payload),
        amount=amount,
        refunded_at=when(payload, "processed_at") or required_when(payload, "created_at"),
        reason=text(payload, "note"),
    )


def shipment_status(payload: Payload) -> ShipmentStatus:
    if text(payload, "status") in FAILED_FULFILLMENTS:
        return ShipmentStatus.FAILED
    return SHIPMENT_STATUSES.get(text(payload, "shipment_status"), ShipmentStatus.PENDING)


def shipment_data(payload: Payload) -> ShipmentData:
    status = shipment_status(payload)
    updated_at = when(payload, "updated_at")
    return ShipmentData(
        external_id=required_id(payload),
        status=status,
        carrier=text(payload, "tracking_company"),
        tracking_number=text(payload, "tracking_number") or first_text(payload, "tracking_numbers"),
        tracking_url=text(payload, "tracking_url") or first_text(payload, "tracking_urls"),
        shipped_at=when(payload, "created_at"),
        delivered_at=updated_at if status == ShipmentStatus.DELIVERED else None,
        updated_at=updated_at,
    )


def customer_details(payload: Payload) -> CustomerData:
    """customers/update: the contact and names Shopify holds for a customer."""
    default_address = obj(payload, "default_address")
    return CustomerData(
        email=text(payload, "email"),
        phone=text(payload, "phone") or text(default_address, "phone"),
        first_name=text(payload, "first_name"),
        last_name=text(payload, "last_name"),
        country=text(default_address, "country_code"),
    )
