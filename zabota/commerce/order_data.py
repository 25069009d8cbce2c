"""Orders as every importer hands them to ``commerce.sync``: plain data in the platform's terms
already mapped to ours (statuses from ``commerce.constants``, money as Decimal in the order's
currency, aware datetimes). CSV rows, Shopify and WooCommerce payloads and the REST API all end
up as an :class:`OrderData`, so there is one upsert path."""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from zabota.commerce.constants import (
    FinancialStatus,
    FulfillmentStatus,
    OrderStatus,
    ReturnStatus,
    ShipmentStatus,
    Source,
)


@dataclass(frozen=True)
class CustomerData:
    """Who placed the order. Matched to a customer by e-mail first, then phone; a national phone
    number is read with ``country`` (ISO 3166 alpha-2, e.g. "PL")."""

    email: str = ""
    phone: str = ""
    first_name: str = ""
    last_name: str = ""
    country: str = ""


@dataclass(frozen=True)
class LineData:
    title: str
    quantity: int
    price: Decimal
    sku: str = ""
    variant: str = ""
    # Defaults to price × quantity.
    total: Decimal | None = None
    external_id: str = ""


@dataclass(frozen=True)
class ShipmentData:
    external_id: str
    status: ShipmentStatus = ShipmentStatus.PENDING
    carrier: str = ""
    tracking_number: str = ""
    tracking_url: str = ""
    shipped_at: datetime | None = None
    delivered_at: datetime | None = None
    # The platform's last-change time: an older report never overwrites a newer one.
    updated_at: datetime | None = None


@dataclass(frozen=True)
class RefundData:
    external_id: str
    amount: Decimal
    refunded_at: datetime
    reason: str = ""


@dataclass(frozen=True)
class ReturnLineData:
    quantity: int
    sku: str = ""
    title: str = ""
    reason: str = ""


@dataclass(frozen=True)
class ReturnData:
    external_id: str
    requested_at: datetime
    status: ReturnStatus = ReturnStatus.REQUESTED
    reason: str = ""
    received_at: datetime | None = None
    lines: tuple[ReturnLineData, ...] = ()


@dataclass(frozen=True)
class OrderData:
    source: Source
    external_id: str
    number: str
    currency: str
    total: Decimal
    placed_at: datetime
    customer: CustomerData = CustomerData()
    status: OrderStatus = OrderStatus.OPEN
    financial_status: FinancialStatus = FinancialStatus.PENDING
    fulfillment_status: FulfillmentStatus = FulfillmentStatus.UNFULFILLED
    subtotal: Decimal | None = None
    discount_total: Decimal = Decimal(0)
    shipping_total: Decimal = Decimal(0)
    tax_total: Decimal = Decimal(0)
    # None: derived from the financial status (the whole total once paid, nothing before).
    paid_amount: Decimal | None = None
    discount_codes: str = ""
    shipping_method: str = ""
    shipping_address: dict[str, str] = field(default_factory=dict)
    paid_at: datetime | None = None
    cancelled_at: datetime | None = None
    cancel_reason: str = ""
    # The platform's last-change time of the order (Shopify updated_at, WooCommerce
    # date_modified): a delivery older than what is stored changes no order field.
    updated_at: datetime | None = None
    # None leaves what is stored alone (a payload without lines); a tuple replaces the lines.
    lines: tuple[LineData, ...] | None = None
    # Shipments, refunds and returns are upserted by external id and never removed by an
    # order update: a payload that lacks one that we know is older than our knowledge.
    shipments: tuple[ShipmentData, ...] = ()
    refunds: tuple[RefundData, ...] = ()
    returns: tuple[ReturnData, ...] = ()
