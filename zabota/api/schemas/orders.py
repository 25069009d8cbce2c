"""Orders as the API reads and pushes them. Money is a decimal string ("129.90") in the order's
currency; times are ISO 8601 with an offset (UTC when read back)."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from ninja import Field, Schema
from pydantic import AwareDatetime

from zabota.api.schemas.common import CustomerRef, PageParams
from zabota.commerce.constants import (
    FinancialStatus,
    FulfillmentStatus,
    OrderStatus,
    ReturnStatus,
    ShipmentStatus,
    Source,
)
from zabota.commerce.models import Order
from zabota.commerce.order_data import (
    CustomerData,
    LineData,
    OrderData,
    RefundData,
    ReturnData,
    ReturnLineData,
    ShipmentData,
)

Money = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]
ExternalId = Annotated[str, Field(min_length=1, max_length=64)]


# --- push --------------------------------------------------------------------------------------


class OrderCustomerIn(Schema):
    """Who placed the order: matched to a customer by e-mail, then phone (a new one is created
    when nobody matches). A national phone number needs ``country``."""

    email: str = Field("", max_length=320)
    phone: str = Field("", max_length=32)
    first_name: str = Field("", max_length=100)
    last_name: str = Field("", max_length=100)
    country: str = Field("", max_length=2, description="ISO 3166 alpha-2, e.g. PL.")

    def data(self) -> CustomerData:
        return CustomerData(**self.model_dump())


class OrderLineIn(Schema):
    title: str = Field(min_length=1, max_length=255)
    quantity: int = Field(1, ge=0)
    price: Money
    sku: str = Field("", max_length=64)
    variant: str = Field("", max_length=255, description='Size, colour …: "M / Blue".')
    total: Money | None = Field(None, description="Defaults to price × quantity.")
    external_id: str = Field("", max_length=64)

    def data(self) -> LineData:
        return LineData(**self.model_dump())


class ShipmentIn(Schema):
    external_id: ExternalId
    status: ShipmentStatus = ShipmentStatus.PENDING
    carrier: str = Field("", max_length=100)
    tracking_number: str = Field("", max_length=100)
    tracking_url: str = Field("", max_length=500)
    shipped_at: AwareDatetime | None = None
    delivered_at: AwareDatetime | None = None
    updated_at: AwareDatetime | None = Field(
        None, description="Last change on your side: an older report never overwrites a newer."
    )

    def data(self) -> ShipmentData:
        return ShipmentData(**self.model_dump())


class RefundIn(Schema):
    external_id: ExternalId
    amount: Money
    refunded_at: AwareDatetime
    reason: str = Field("", max_length=255)

    def data(self) -> RefundData:
        return RefundData(**self.model_dump())


class ReturnLineIn(Schema):
    quantity: int = Field(1, ge=1)
    sku: str = Field("", max_length=64)
    title: str = Field("", max_length=255)
    reason: str = Field("", max_length=255)


class ReturnIn(Schema):
    external_id: ExternalId
    requested_at: AwareDatetime
    status: ReturnStatus = ReturnStatus.REQUESTED
    reason: str = Field("", max_length=255)
    received_at: AwareDatetime | None = None
    lines: list[ReturnLineIn] = Field(default_factory=list)

    def data(self) -> ReturnData:
        return ReturnData(
            external_id=self.external_id,
            requested_at=self.requested_at,
            status=self.status,
            reason=self.reason,
            received_at=self.received_at,
            lines=tuple(ReturnLineData(**line.model_dump()) for line in self.lines),
        )


class OrderIn(Schema):
    """One order, created or updated by (store, source, external_id). Shipments, refunds and
    returns are upserted by their own external ids and never removed by a later push; lines are
    replaced when given and left alone when ``lines`` is null or absent."""

    store: str = Field(description="Store slug or id.")
    source: Source = Field(
        Source.GENERIC,
        description="`shopify` or `woocommerce` to update orders those webhooks also send.",
    )
    external_id: ExternalId = Field(description="Your id of the order: repeated pushes update it.")
    number: str = Field("", max_length=64, description="What customers quote; defaults to the id.")
    currency: str = Field(pattern=r"^[A-Za-z]{3}$", description="ISO 4217, e.g. EUR.")
    total: Money
    placed_at: AwareDatetime
    customer: OrderCustomerIn | None = Field(None, description="None: a guest without contact.")
    status: OrderStatus = OrderStatus.OPEN
    financial_status: FinancialStatus = FinancialStatus.PENDING
    fulfillment_status: FulfillmentStatus = FulfillmentStatus.UNFULFILLED
    subtotal: Money | None = Field(None, description="Defaults to the sum of the lines.")
    discount_total: Money = Decimal(0)
    shipping_total: Money = Decimal(0)
    tax_total: Money = Decimal(0)
    paid_amount: Money | None = Field(
        None,
        description="Defaults to the total once paid (paid, partially_refunded, refunded), "
        "else nothing.",
    )
    discount_codes: str = Field("", max_length=200)
    shipping_method: str = Field("", max_length=100)
    shipping_address: dict[str, str] = Field(default_factory=dict)
    paid_at: AwareDatetime | None = None
    cancelled_at: AwareDatetime | None = None
    cancel_reason: str = Field("", max_length=100)
    updated_at: AwareDatetime | None = Field(
        None,
        description="Last change on your side: a push older than the stored order changes none "
        "of its fields (shipments, refunds and returns are still added).",
    )
    lines: list[OrderLineIn] | None = None
    shipments: list[ShipmentIn] = Field(default_factory=list)
    refunds: list[RefundIn] = Field(default_factory=list)
    returns: list[ReturnIn] = Field(default_factory=list)

    def data(self) -> OrderData:
        return OrderData(
            source=self.source,
            external_id=self.external_id,
            number=self.number or self.external_id,
            currency=self.currency.upper(),
            total=self.total,
            placed_at=self.placed_at,
            customer=self.customer.data() if self.customer else CustomerData(),
            status=self.status,
            financial_status=self.financial_status,
            fulfillment_status=self.fulfillment_status,
            subtotal=self.subtotal,
            discount_total=self.discount_total,
            shipping_total=self.shipping_total,
            tax_total=self.tax_total,
            paid_amount=self.paid_amount,
            discount_codes=self.discount_codes,
            shipping_method=self.shipping_method,
            shipping_address=self.shipping_address,
            paid_at=self.paid_at,
            cancelled_at=self.cancelled_at,
            cancel_reason=self.cancel_reason,
            updated_at=self.updated_at,
            lines=None if self.lines is None else tuple(line.data() for line in self.lines),
            shipments=tuple(shipment.data() for shipment in self.shipments),
            refunds=tuple(refund.data() for refund in self.refunds),
            returns=tuple(ret.data() for ret in self.returns),
        )


# --- read --------------------------------------------------------------------------------------


class OrderFilters(PageParams):
    store: str | None = Field(None, description="Store slug or id.")
    customer: int | None = Field(None, description="Customer id.")
    status: OrderStatus | None = None
    number: str = Field("", max_length=64, description='Order number, with or without "#".')


class OrderOut(Schema):
    id: int
    store: str = Field(description="Store slug.")
    source: Source
    external_id: str
    number: str
    customer: CustomerRef | None
    email: str = Field(description="As the platform gave it.")
    phone: str
    status: OrderStatus
    financial_status: FinancialStatus
    fulfillment_status: FulfillmentStatus
    currency: str
    subtotal: Decimal
    discount_total: Decimal
    shipping_total: Decimal
    tax_total: Decimal
    total: Decimal
    paid_amount: Decimal
    refunded_amount: Decimal
    discount_codes: str
    shipping_method: str
    placed_at: datetime
    paid_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str
    deleted_at: datetime | None = Field(
        description="Deleted on the platform: kept for the record, counted nowhere."
    )
    updated_at: datetime

    @staticmethod
    def resolve_store(obj: Order) -> str:
        return obj.store.slug

    @staticmethod
    def resolve_customer(obj: Order) -> CustomerRef | None:
        customer = obj.customer
        return None if customer is None else CustomerRef(id=customer.pk, name=customer.name)


class OrderLineOut(Schema):
    sku: str
    title: str
    variant: str
    quantity: int
    price: Decimal
    total: Decimal
    external_id: str


class ShipmentOut(Schema):
    external_id: str
    status: ShipmentStatus
    carrier: str
    tracking_number: str
    tracking_url: str
    shipped_at: datetime | None
    delivered_at: datetime | None


class RefundOut(Schema):
    external_id: str
    amount: Decimal
    reason: str
    refunded_at: datetime


class ReturnLineOut(Schema):
    sku: str
    title: str
    quantity: int
    reason: str


class ReturnOut(Schema):
    external_id: str
    status: ReturnStatus
    reason: str
    requested_at: datetime
    received_at: datetime | None
    lines: list[ReturnLineOut]


class OrderDetail(OrderOut):
    shipping_address: dict[str, str]
    lines: list[OrderLineOut]
    shipments: list[ShipmentOut]
    refunds: list[RefundOut]
    returns: list[ReturnOut]


class OrderList(Schema):
    items: list[OrderOut]
    next: str | None = Field(description="Cursor of the next page; null on the last page.")
