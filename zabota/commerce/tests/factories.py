"""Order data for tests, built the way importers build it."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from zabota.commerce.constants import FinancialStatus, OrderStatus, Source
from zabota.commerce.order_data import CustomerData, LineData, OrderData

T0 = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)


def order_data(
    external_id: str = "1001",
    *,
    total: str = "100.00",
    email: str = "maria@example.pl",
    currency: str = "EUR",
    placed_at: datetime = T0,
    updated_at: datetime | None = None,
    financial_status: FinancialStatus = FinancialStatus.PAID,
    status: OrderStatus = OrderStatus.OPEN,
    source: Source = Source.SHOPIFY,
    **extra: object,
) -> OrderData:
    return OrderData(
        source=source,
        external_id=external_id,
        number=f"#{external_id}",
        currency=currency,
        total=Decimal(total),
        placed_at=placed_at,
        updated_at=updated_at or placed_at + timedelta(minutes=1),
        financial_status=financial_status,
        status=status,
        customer=CustomerData(email=email, first_name="Maria", last_name="Kowalska"),
        lines=(LineData(title="Linen dress", quantity=1, price=Decimal(total), sku="LD-1"),),
        **extra,  # type: ignore[arg-type]
    )
