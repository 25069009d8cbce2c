"""A believable shopping history for Maria in the demo store, built through the real upserts
(``commerce.sync.do_upsert_order``) the importers use: five paid orders and a cancelled one,
shipments with tracking links, a return with its refund. Lifetime value €1,456.60: a VIP."""

from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from zabota.commerce.constants import (
    FinancialStatus,
    FulfillmentStatus,
    OrderStatus,
    ReturnStatus,
    ShipmentStatus,
    Source,
)
from zabota.commerce.models import Order, Store
from zabota.commerce.order_data import (
    CustomerData,
    LineData,
    OrderData,
    RefundData,
    ReturnData,
    ShipmentData,
)
from zabota.commerce.sync import do_upsert_order

MARIA = CustomerData(email="maria@example.pl", first_name="Maria", last_name="Kowalska")
LIFETIME_VALUE = Decimal("1456.60")
TRACKING_URL = "https://tracking.dpd.example/parcel/01543312889"


def _order(
    number: str,
    *,
    placed: datetime,
    total: str,
    title: str,
    status: OrderStatus = OrderStatus.OPEN,
    financial: FinancialStatus = FinancialStatus.PAID,
    fulfillment: FulfillmentStatus = FulfillmentStatus.FULFILLED,
    **extra: object,
) -> OrderData:
    return OrderData(
        source=Source.SHOPIFY,
        external_id=f"gid-{number}",
        number=f"#{number}",
        currency="EUR",
        total=Decimal(total),
        placed_at=placed,
        updated_at=placed + timedelta(hours=1),
        paid_at=placed if financial == FinancialStatus.PAID else None,
        customer=MARIA,
        status=status,
        financial_status=financial,
        fulfillment_status=fulfillment,
        lines=(LineData(title=title, quantity=1, price=Decimal(total)),),
        **extra,  # type: ignore[arg-type]
    )


def _delivered(external_id: str, carrier: str, number: str, placed: datetime) -> ShipmentData:
    return ShipmentData(
        external_id=external_id,
        status=ShipmentStatus.DELIVERED,
        carrier=carrier,
        tracking_number=number,
        tracking_url=f"https://tracking.example/{number}",
        shipped_at=placed + timedelta(days=1),
        delivered_at=placed + timedelta(days=3),
        updated_at=placed + timedelta(days=3),
    )


def maria_orders(store: Store, *, now: datetime | None = None) -> list[Order]:
    """Maria's orders, newest first as the sidebar lists them."""
    now = now or timezone.now()
    ago = lambda days: now - timedelta(days=days, hours=3)  # noqa: E731
    data = [
        _order(
            "1004",
            placed=ago(250),
            total="255.00",
            title="Linen bedding set, sage",
            shipments=(_delivered("s-1004", "InPost", "6209 1133 0071", ago(250)),),
        ),
        _order(
            "1019",
            placed=ago(160),
            total="310.00",
            title="Wool throw, oat",
            shipments=(_delivered("s-1019", "DPD", "0154 2201 7718", ago(160)),),
        ),
        _order(
            "1032",
            placed=ago(95),
            total="420.00",
            title="Oak serving board",
            shipments=(_delivered("s-1032", "InPost", "6209 4410 8812", ago(95)),),
        ),
        _order(
            "1047",
            placed=ago(41),
            total="342.50",
            title="Linen dress, M / Blue",
            shipments=(_delivered("s-1047", "DPD", "0154 2987 1103", ago(41)),),
            refunds=(RefundData("r-1047", Decimal("59.90"), ago(30), "Belt missing"),),
            returns=(
                ReturnData(
                    "ret-1047",
                    requested_at=ago(33),
                    status=ReturnStatus.REFUNDED,
                    reason="Too small",
                    received_at=ago(31),
                ),
            ),
        ),
        _order(
            "1055",
            placed=ago(20),
            total="129.00",
            title="Table lamp, brass",
            status=OrderStatus.CANCELLED,
            financial=FinancialStatus.VOIDED,
            fulfillment=FulfillmentStatus.UNFULFILLED,
            cancelled_at=ago(19),
            cancel_reason="customer",
        ),
        _order(
            "1061",
            placed=ago(12),
            total="189.00",
            title="Ceramic planter set",
            shipments=(
                ShipmentData(
                    external_id="s-1061",
                    status=ShipmentStatus.IN_TRANSIT,
                    carrier="DPD",
                    tracking_number="01543312889",
                    tracking_url=TRACKING_URL,
                    shipped_at=ago(10),
                    updated_at=ago(9),
                ),
            ),
        ),
    ]
    orders = [do_upsert_order(store, item).order for item in data]
    return orders[::-1]
