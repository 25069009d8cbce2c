"""Idempotent upserts of orders and their shipments, refunds and returns.

Every importer (CSV, Shopify and WooCommerce webhooks, REST API) calls these with
:mod:`commerce.order_data` values. Repeating a call, or receiving calls out of order, converges to
the same state: orders are keyed by (store, source, external id), their fields are only written
by a report at least as new as the stored one (``source_updated_at``), and shipments, refunds and
returns are upserted by their own external ids and never dropped by an order update. The
customer's figures and segments are recomputed in the same transaction (``commerce.metrics``).
"""

from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from zabota.accounts.models import User
from zabota.commerce import metrics
from zabota.commerce.constants import PAID_IN_FULL, FinancialStatus, OrderStatus, Source
from zabota.commerce.models import (
    ExchangeRate,
    Order,
    OrderLine,
    Refund,
    Return,
    ReturnLine,
    Shipment,
    Store,
)
from zabota.commerce.order_data import (
    CustomerData,
    OrderData,
    RefundData,
    ReturnData,
    ShipmentData,
)
from zabota.core import event_types
from zabota.core.events import publish_on_commit
from zabota.customers.actions import (
    do_add_identity,
    do_update_customer,
    get_or_create_customer_by_identity,
)
from zabota.customers.constants import IdentityKind
from zabota.customers.models import Customer, Identity
from zabota.customers.normalize import InvalidIdentity, normalize_email, normalize_phone

CENT = Decimal("0.01")

# Order fields an update writes (and reports as changed).
ORDER_FIELDS = (
    "number",
    "email",
    "phone",
    "status",
    "financial_status",
    "fulfillment_status",
    "currency",
    "subtotal",
    "discount_total",
    "shipping_total",
    "tax_total",
    "total",
    "paid_amount",
    "fx_rate",
    "discount_codes",
    "shipping_method",
    "shipping_address",
    "placed_at",
    "paid_at",
    "cancelled_at",
    "cancel_reason",
    "source_updated_at",
    "customer_id",
)


@dataclass(frozen=True)
class UpsertResult:
    order: Order
    created: bool
    # Names of the order fields this call changed (empty for a repeat or a stale report).
    changed: tuple[str, ...]
    # True when the report was older than the stored order, so its order fields were skipped.
    stale: bool = False


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT)


def rate_for(store: Store, currency: str, on: datetime) -> Decimal | None:
    """Base-currency units per unit of ``currency`` on the day ``on`` (the latest rate valid
    then; before the first known rate, the first one). None if the store has no rate at all."""
    if currency.upper() == store.currency.upper():
        return Decimal(1)
    rates = ExchangeRate.objects.filter(store=store, currency=currency.upper())
    rate = rates.filter(valid_from__lte=on.date()).order_by("-valid_from").first()
    if rate is None:
        rate = rates.order_by("valid_from").first()
    return rate.rate if rate else None


def paid_amount_of(data: OrderData) -> Decimal:
    if data.paid_amount is not None:
        return money(data.paid_amount)
    return money(data.total) if data.financial_status in PAID_IN_FULL else Decimal(0)


# --- customers ---------------------------------------------------------------------------------


def normalized_contacts(data: CustomerData) -> tuple[str, str]:
    """The customer's e-mail and phone in identity form; a value that does not parse is ""."""
    email = phone = ""
    if data.email.strip():
        with suppress(InvalidIdentity):
            email = normalize_email(data.email)
    if data.phone.strip():
        with suppress(InvalidIdentity):
            phone = normalize_phone(data.phone, data.country)
    return email, phone


def match_customer(data: CustomerData, *, actor: User | None = None) -> Customer | None:
    """The customer with this e-mail, else with this phone, else a new one holding both.
    The other contact is added to the matched customer when nobody has it yet. None for an
    order without a usable contact (a guest checkout that gave neither)."""
    email, phone = normalized_contacts(data)
    name = f"{data.first_name} {data.last_name}".strip()
    if email:
        customer, created = get_or_create_customer_by_identity(
            IdentityKind.EMAIL, email, display_name=name, actor=actor
        )
    elif phone:
        customer, created = get_or_create_customer_by_identity(
            IdentityKind.PHONE, phone, display_name=name, actor=actor
        )
    else:
        return None
    if email and phone and not Identity.objects.filter(kind=IdentityKind.PHONE, value=phone):
        do_add_identity(customer, kind=IdentityKind.PHONE, value=phone, actor=actor)
    if not created and not customer.display_name and name:
        do_update_customer(
            customer,
            actor=actor,
            first_name=data.first_name,
            last_name=data.last_name,
            display_name=name,
        )
    return customer


def do_update_customer_details(data: CustomerData, *, actor: User | None = None) -> Customer | None:
    """A platform's customers/update: names of the customer with that e-mail (or phone) follow
    the platform; a contact nobody has yet is added. Does not create a customer without orders
    or tickets: returns None when nobody matches."""
    email, phone = normalized_contacts(data)
    identity = None
    for kind, value in ((IdentityKind.EMAIL, email), (IdentityKind.PHONE, phone)):
        if value and identity is None:
            identity = (
                Identity.objects.select_related("customer").filter(kind=kind, value=value).first()
            )
    if identity is None:
        return None
    with transaction.atomic():
        customer = match_customer(data, actor=actor)
        if customer is None:  # pragma: no cover - identity exists, so a contact matched
            return None
        name = f"{data.first_name} {data.last_name}".strip()
        if name:
            do_update_customer(
                customer,
                actor=actor,
                first_name=data.first_name,
                last_name=data.last_name,
                display_name=name,
            )
    return customer


# --- orders ------------------------------------------------------------------------------------


def order_values(
    data: OrderData, customer: Customer | None, fx_rate: Decimal | None
) -> dict[str, object]:
    """The order's columns from a report (keys in ``ORDER_FIELDS`` order); the bulk import
    writes the same values with a rate it looked up once per batch."""
    subtotal = data.subtotal
    if subtotal is None:
        subtotal = sum((line.price * line.quantity for line in data.lines or ()), Decimal(0))
    return {
        "number": data.number[:64],
        "email": data.customer.email.strip()[:320],
        "phone": data.customer.phone.strip()[:32],
        "status": data.status,
        "financial_status": data.financial_status,
        "fulfillment_status": data.fulfillment_status,
        "currency": data.currency.upper(),
        "subtotal": money(subtotal),
        "discount_total": money(data.discount_total),
        "shipping_total": money(data.shipping_total),
        "tax_total": money(data.tax_total),
        "total": money(data.total),
        "paid_amount": paid_amount_of(data),
        "fx_rate": fx_rate,
        "discount_codes": data.discount_codes[:200],
        "shipping_method": data.shipping_method[:100],
        "shipping_address": data.shipping_address,
        "placed_at": data.placed_at,
        "paid_at": data.paid_at,
        "cancelled_at": data.cancelled_at,
        "cancel_reason": data.cancel_reason[:100],
        "source_updated_at": data.updated_at,
        "customer_id": customer.pk if customer else None,
    }


def _is_stale(row: Order | Shipment, updated_at: datetime | None) -> bool:
    return (
        row.source_updated_at is not None
        and updated_at is not None
        and updated_at < row.source_updated_at
    )


def do_upsert_order(store: Store, data: OrderData, *, actor: User | None = None) -> UpsertResult:
    """Create or update one order with its lines, shipments, refunds and returns, then refresh
    the figures and segments of its customer (and of the previous one, if it moved)."""
    with transaction.atomic():
        customer = match_customer(data.customer, actor=actor)
        order = (
            Order.objects.select_for_update()
            .filter(store=store, source=data.source, external_id=data.external_id)
            .first()
        )
        values = order_values(data, customer, rate_for(store, data.currency, data.placed_at))
        created = order is None
        previous_customer_id = None if order is None else order.customer_id
        stale = False
        changed: list[str] = []
        if order is None:
            order = Order.objects.create(
                store=store, source=data.source, external_id=data.external_id, **values
            )
        elif _is_stale(order, data.updated_at):
            stale = True
        else:
            changed = [name for name, value in values.items() if getattr(order, name) != value]
            for name in changed:
                setattr(order, name, values[name])
            if changed:
                order.save(update_fields=[*changed, "updated_at"])
        if data.lines is not None and not stale:
            _replace_lines(order, data)
        for shipment in data.shipments:
            _upsert_shipment(order, shipment)
        for refund in data.refunds:
            _upsert_refund(order, refund)
        for ret in data.returns:
            _upsert_return(order, ret)
        _publish_order_change(order, created=created, changed=changed)
        metrics.refresh(store, [order.customer_id, previous_customer_id])
    return UpsertResult(order=order, created=created, changed=tuple(changed), stale=stale)


def _replace_lines(order: Order, data: OrderData) -> None:
    lines = [
        OrderLine(
            order=order,
            external_id=line.external_id[:64],
            sku=line.sku[:64],
            title=line.title[:255],
            variant=line.variant[:255],
            quantity=line.quantity,
            price=money(line.price),
            total=money(line.total if line.total is not None else line.price * line.quantity),
        )
        for line in data.lines or ()
    ]
    stored = [_line_key(line) for line in order.lines.order_by("pk")]
    if stored != [_line_key(line) for line in lines]:
        order.lines.all().delete()
        OrderLine.objects.bulk_create(lines)


def _line_key(line: OrderLine) -> tuple[object, ...]:
    return (
        line.external_id,
        line.sku,
        line.title,
        line.variant,
        line.quantity,
        line.price,
        line.total,
    )


def _publish_order_change(order: Order, *, created: bool, changed: list[str]) -> None:
    payload = {"order_id": order.pk, "store_id": order.store_id, "customer_id": order.customer_id}
    if created:
        publish_on_commit(event_types.ORDER_CREATED, **payload)
        if order.status == OrderStatus.CANCELLED:
            publish_on_commit(event_types.ORDER_CANCELLED, **payload)
        return
    if changed:
        publish_on_commit(event_types.ORDER_UPDATED, changed=changed, **payload)
    if "status" in changed and order.status == OrderStatus.CANCELLED:
        publish_on_commit(event_types.ORDER_CANCELLED, **payload)


def find_order(store: Store, source: Source, external_id: str) -> Order | None:
    return Order.objects.filter(store=store, source=source, external_id=external_id).first()


def do_cancel_order(
    order: Order,
    *,
    cancelled_at: datetime,
    reason: str = "",
    updated_at: datetime | None = None,
    actor: User | None = None,
) -> bool:
    """Mark the order cancelled (idempotent). Returns False when it already was, or when the
    report is older than what is stored."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if order.status == OrderStatus.CANCELLED or _is_stale(order, updated_at):
            return False
        order.status = OrderStatus.CANCELLED
        order.cancelled_at = cancelled_at
        order.cancel_reason = reason[:100]
        fields = ["status", "cancelled_at", "cancel_reason", "updated_at"]
        if updated_at is not None:
            order.source_updated_at = updated_at
            fields.append("source_updated_at")
        order.save(update_fields=fields)
        _publish_order_change(order, created=False, changed=["status", "cancelled_at"])
        metrics.refresh(order.store, [order.customer_id])
    return True


def do_delete_order(order: Order, *, actor: User | None = None) -> bool:
    """The platform deleted the order: keep the row for the record, count it nowhere."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if order.deleted_at is not None:
            return False
        order.deleted_at = timezone.now()
        order.save(update_fields=["deleted_at", "updated_at"])
        _publish_order_change(order, created=False, changed=["deleted_at"])
        metrics.refresh(order.store, [order.customer_id])
    return True


def do_upsert_shipment(order: Order, data: ShipmentData) -> Shipment:
    with transaction.atomic():
        shipment = _upsert_shipment(order, data)
        metrics.refresh(order.store, [order.customer_id])
    return shipment


def do_upsert_refund(order: Order, data: RefundData) -> Refund:
    with transaction.atomic():
        refund = _upsert_refund(order, data)
        metrics.refresh(order.store, [order.customer_id])
    return refund


def do_upsert_return(order: Order, data: ReturnData) -> Return:
    with transaction.atomic():
        ret = _upsert_return(order, data)
        metrics.refresh(order.store, [order.customer_id])
    return ret


def _upsert_shipment(order: Order, data: ShipmentData) -> Shipment:
    values = {
        "carrier": data.carrier[:100],
        "tracking_number": data.tracking_number[:100],
        "tracking_url": data.tracking_url[:500],
        "status": data.status,
        "shipped_at": data.shipped_at,
        "delivered_at": data.delivered_at,
        "source_updated_at": data.updated_at,
    }
    shipment = (
        Shipment.objects.select_for_update()
        .filter(order=order, external_id=data.external_id)
        .first()
    )
    if shipment is None:
        shipment = Shipment.objects.create(order=order, external_id=data.external_id, **values)
    elif _is_stale(shipment, data.updated_at):
        return shipment
    else:
        changed = [k for k, v in values.items() if getattr(shipment, k) != v]
        if not changed:
            return shipment
        for k in changed:
            setattr(shipment, k, values[k])
        shipment.save(update_fields=[*changed, "updated_at"])
    publish_on_commit(
        event_types.SHIPMENT_UPDATED,
        shipment_id=shipment.pk,
        order_id=order.pk,
        store_id=order.store_id,
        customer_id=order.customer_id,
        status=shipment.status,
    )
    return shipment


def _upsert_refund(order: Order, data: RefundData) -> Refund:
    refund, created = Refund.objects.get_or_create(
        order=order,
        external_id=data.external_id,
        defaults={
            "amount": money(data.amount),
            "reason": data.reason[:255],
            "refunded_at": data.refunded_at,
        },
    )
    if not created and data.refunded_at < refund.refunded_at:
        # A source that does not date refunds (WooCommerce) dates them by the report that
        # lists them: the earliest report is the closest, whatever order they arrive in.
        refund.refunded_at = data.refunded_at
        refund.save(update_fields=["refunded_at", "updated_at"])
    amount_changed = not created and refund.amount != money(data.amount)
    if amount_changed:
        # Platforms do not change a refund's amount; an export that reports the order's refunded
        # total as one refund does, when more is refunded later: the newer report is the truth.
        refund.amount = money(data.amount)
        refund.save(update_fields=["amount", "updated_at"])
    if created or amount_changed:
        total = sum(order.refunds.values_list("amount", flat=True), Decimal(0))
        Order.objects.filter(pk=order.pk).update(refunded_amount=total, updated_at=timezone.now())
        order.refunded_amount = total
        if order.financial_status in (FinancialStatus.PAID, FinancialStatus.PARTIALLY_REFUNDED):
            status = (
                FinancialStatus.REFUNDED
                if total >= order.paid_amount
                else FinancialStatus.PARTIALLY_REFUNDED
            )
            if status != order.financial_status:
                order.financial_status = status
                Order.objects.filter(pk=order.pk).update(financial_status=status)
    if created:
        publish_on_commit(
            event_types.ORDER_REFUNDED,
            order_id=order.pk,
            store_id=order.store_id,
            customer_id=order.customer_id,
            refund_id=refund.pk,
            amount=str(refund.amount),
        )
    return refund


def _upsert_return(order: Order, data: ReturnData) -> Return:
    values = {
        "status": data.status,
        "reason": data.reason[:255],
        "requested_at": data.requested_at,
        "received_at": data.received_at,
    }
    ret, created = Return.objects.get_or_create(
        order=order, external_id=data.external_id, defaults=values
    )
    if not created:
        changed = [k for k, v in values.items() if getattr(ret, k) != v]
        for k in changed:
            setattr(ret, k, values[k])
        if changed:
            ret.save(update_fields=[*changed, "updated_at"])
    if created or data.lines:
        ret.lines.all().delete()
        ReturnLine.objects.bulk_create(
            ReturnLine(
                ret=ret,
                sku=line.sku[:64],
                title=line.title[:255],
                quantity=line.quantity,
                reason=line.reason[:255],
            )
            for line in data.lines
        )
    return ret
