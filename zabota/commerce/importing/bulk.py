"""Many orders at once with the result of ``sync.do_upsert_order`` applied to each in turn, at a
few queries per batch instead of a dozen per order.

Per batch: one query for the customers' known e-mails and phones, bulk inserts for the new
customers (identity, audit row and customer.created event each, ``customers.actions``), one
locking query for the stored orders, one insert of the new orders and one update of the changed
ones, one query and one insert (plus one delete) for lines, refunds likewise, one insert of all
outbox events, and ``metrics.refresh`` for every customer whose orders changed (or, for an
import of many batches, once per customer at its end: ``refresh=False``). New rows go in with
``core.inserts.insert`` (COPY on PostgreSQL).

What is written is what the per-order path writes — the same order fields, lines, refunds,
customers and audit rows, figures and segments — and the same events, with one difference:
``customer.segment_changed`` is published once per customer with the net change of the batch,
where the per-order path publishes every intermediate step (new, then new and repeat …).
Customers whose orders did not change are not refreshed (the periodic sweep keeps their
time-dependent segments current) unless their figures are older than those orders, so
importing the same orders again writes nothing at all.
"""

import bisect
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from zabota.accounts.models import User
from zabota.commerce import metrics
from zabota.commerce.constants import FinancialStatus, OrderStatus
from zabota.commerce.models import CustomerStats, ExchangeRate, Order, OrderLine, Refund, Store
from zabota.commerce.order_data import OrderData
from zabota.commerce.sync import (
    ORDER_FIELDS,
    _is_stale,
    _line_key,
    money,
    normalized_contacts,
)
from zabota.commerce.sync import order_values as sync_order_values
from zabota.core import event_types
from zabota.core.events import publish_all_on_commit
from zabota.core.inserts import insert, new
from zabota.customers.actions import (
    do_add_identities,
    do_update_customer,
    get_or_create_customers_by_identity,
)
from zabota.customers.constants import IdentityKind
from zabota.customers.models import Customer, Identity


@dataclass
class BulkResult:
    created: int = 0
    # Orders with a changed field, replaced lines or a new refund.
    updated: int = 0
    # Orders the batch found exactly as stored (or older than what is stored).
    unchanged: int = 0
    customers_created: int = 0
    orders: list[Order] = field(default_factory=list)
    # Customers whose figures and segments follow from these orders: refreshed by the call,
    # or left to the caller with ``refresh=False``.
    affected: set[int] = field(default_factory=set)


# --- exchange rates ----------------------------------------------------------------------------


class Rates:
    """``sync.rate_for`` over the store's rates loaded once."""

    def __init__(self, store: Store) -> None:
        self.base = store.currency.upper()
        self.by_currency: dict[str, list[tuple[date, Decimal]]] = defaultdict(list)
        rows = ExchangeRate.objects.filter(store=store).order_by("currency", "valid_from")
        for currency, valid_from, rate in rows.values_list("currency", "valid_from", "rate"):
            self.by_currency[currency].append((valid_from, rate))

    def rate(self, currency: str, on: datetime) -> Decimal | None:
        if currency.upper() == self.base:
            return Decimal(1)
        rates = self.by_currency.get(currency.upper())
        if not rates:
            return None
        index = bisect.bisect_right(rates, on.date(), key=lambda r: r[0])
        return rates[index - 1][1] if index else rates[0][1]


# --- customers ---------------------------------------------------------------------------------


@dataclass(eq=False)
class _Slot:
    """A customer as ``sync.match_customer`` would see it at this point of the batch: a stored
    one, or one the batch creates (by ``kind``/``value``); ``display_name`` as it would be."""

    customer: Customer | None
    display_name: str
    kind: str = ""
    value: str = ""
    # (first, last, display name) to set, when an order gives a name to a nameless customer.
    rename: tuple[str, str, str] | None = None


# A pure function of the customer data, and a slow one for phones (libphonenumber); an export
# repeats a customer's contacts on every order.
_contacts = lru_cache(maxsize=65536)(normalized_contacts)


def _survivor(customer: Customer) -> Customer:
    while customer.merged_into_id is not None:
        customer = Customer.objects.get(pk=customer.merged_into_id)
    return customer


def resolve_customers(
    orders: Sequence[OrderData], *, actor: User | None
) -> tuple[list[Customer | None], int]:
    """``sync.match_customer`` for each order in turn: returns the customers (None for an order
    without a usable contact) and how many were created."""
    contacts = [_contacts(data.customer) for data in orders]
    emails = {email for email, _phone in contacts if email}
    phones = {phone for _email, phone in contacts if phone}
    by_email: dict[str, _Slot] = {}
    by_phone: dict[str, _Slot] = {}
    slots: dict[int, _Slot] = {}
    if emails or phones:
        known = Identity.objects.select_related("customer").filter(
            Q(kind=IdentityKind.EMAIL, value__in=emails)
            | Q(kind=IdentityKind.PHONE, value__in=phones)
        )
        for identity in known:
            customer = _survivor(identity.customer)
            slot = slots.setdefault(customer.pk, _Slot(customer, customer.display_name))
            (by_email if identity.kind == IdentityKind.EMAIL else by_phone)[identity.value] = slot

    chosen: list[_Slot | None] = []
    # Per kind: value → name of the customers the batch creates.
    to_create: dict[str, dict[str, str]] = {IdentityKind.EMAIL: {}, IdentityKind.PHONE: {}}
    phone_additions: list[tuple[_Slot, str]] = []
    for data, (email, phone) in zip(orders, contacts, strict=True):
        name = f"{data.customer.first_name} {data.customer.last_name}".strip()
        if email:
            kind, value, index = IdentityKind.EMAIL, email, by_email
        elif phone:
            kind, value, index = IdentityKind.PHONE, phone, by_phone
        else:
            chosen.append(None)
            continue
        found = index.get(value)
        created = found is None
        slot = found or _Slot(None, name, kind, value)
        if created:
            index[value] = slot
            to_create[kind][value] = name
        if email and phone and phone not in by_phone:
            by_phone[phone] = slot
            phone_additions.append((slot, phone))
        if not created and not slot.display_name and name:
            slot.rename = (data.customer.first_name, data.customer.last_name, name)
            slot.display_name = name
        chosen.append(slot)

    created_customers = {
        (kind, value): customer
        for kind, names in to_create.items()
        for value, customer in get_or_create_customers_by_identity(kind, names, actor=actor).items()
    }
    distinct = {id(s): s for s in chosen if s is not None}.values()
    for slot in distinct:
        if slot.customer is None:
            slot.customer = created_customers[(slot.kind, slot.value)]
    do_add_identities(
        [(_customer(slot), IdentityKind.PHONE, phone) for slot, phone in phone_additions],
        actor=actor,
    )
    for slot in distinct:
        if slot.rename is not None:
            first, last, name = slot.rename
            do_update_customer(
                _customer(slot), actor=actor, first_name=first, last_name=last, display_name=name
            )
    created_count = sum(len(names) for names in to_create.values())
    return [_customer(slot) if slot else None for slot in chosen], created_count


def _customer(slot: _Slot) -> Customer:
    assert slot.customer is not None, "resolved above"
    return slot.customer


# --- orders ------------------------------------------------------------------------------------


def order_values(data: OrderData, customer: Customer | None, rates: Rates) -> dict[str, Any]:
    """``sync.order_values`` with the rate from ``rates`` (keys in ``ORDER_FIELDS`` order)."""
    return dict(sync_order_values(data, customer, rates.rate(data.currency, data.placed_at)))


def _lines_of(order: Order, data: OrderData) -> list[OrderLine]:
    return [
        new(
            OrderLine,
            {
                "order_id": order.pk,
                "external_id": line.external_id[:64],
                "sku": line.sku[:64],
                "title": line.title[:255],
                "variant": line.variant[:255],
                "quantity": line.quantity,
                "price": money(line.price),
                "total": money(
                    line.total if line.total is not None else line.price * line.quantity
                ),
            },
        )
        for line in data.lines or ()
    ]


@dataclass(eq=False)
class _Outcome:
    data: OrderData
    order: Order
    created: bool
    changed: list[str]
    stale: bool
    previous_customer_id: int | None
    lines_replaced: bool = False
    refunds: list[Refund] = field(default_factory=list)
    refunds_redated: bool = False
    # A known refund reported with another amount (an export's refunded total that grew).
    refunds_amended: bool = False

    @property
    def touched(self) -> bool:
        return self.created or bool(
            self.changed
            or self.lines_replaced
            or self.refunds
            or self.refunds_redated
            or self.refunds_amended
        )


def bulk_upsert_orders(
    store: Store,
    orders: Sequence[OrderData],
    *,
    actor: User | None = None,
    refresh: bool = True,
) -> BulkResult:
    """``sync.do_upsert_order`` for each order in turn, in one transaction. Preconditions: no
    two orders share (source, external id); no order carries shipments or returns (no import
    produces them; the webhooks take the per-order path).

    ``refresh=False`` leaves ``metrics.refresh`` of ``result.affected`` to the caller — for an
    import of many batches, which refreshes each customer once at its end instead of once per
    batch that has one of their orders. Customers whose figures are older than one of their
    orders here (an import that stopped before its refresh) are among the affected ones too."""
    keys = {(data.source, data.external_id) for data in orders}
    if len(keys) != len(orders):
        raise ValueError("bulk_upsert_orders: an order appears twice in the batch")
    if any(data.shipments or data.returns for data in orders):
        raise ValueError("bulk_upsert_orders: shipments and returns take the per-order path")
    result = BulkResult()
    if not orders:
        return result
    with transaction.atomic():
        customers, result.customers_created = resolve_customers(orders, actor=actor)
        outcomes = _write_orders(store, orders, customers)
        events: list[tuple[str, dict[str, Any]]] = []
        affected: set[int | None] = set()
        for outcome in outcomes:
            events += _events(outcome)
            if outcome.touched:
                affected |= {outcome.order.customer_id, outcome.previous_customer_id}
            if outcome.created:
                result.created += 1
            elif outcome.touched:
                result.updated += 1
            else:
                result.unchanged += 1
        affected |= _behind(store, [o.order for o in outcomes if not o.touched])
        publish_all_on_commit(events)
        result.affected = {pk for pk in affected if pk is not None}
        if refresh:
            metrics.refresh(store, result.affected)
    result.orders = [outcome.order for outcome in outcomes]
    return result


def _behind(store: Store, orders: list[Order]) -> set[int | None]:
    """Customers of these (unchanged) orders whose figures were last computed before one of
    the orders was written, or never."""
    written: dict[int, datetime] = {}
    for order in orders:
        if order.customer_id is not None:
            known = written.get(order.customer_id)
            written[order.customer_id] = max(known, order.updated_at) if known else order.updated_at
    if not written:
        return set()
    evaluated = dict(
        CustomerStats.objects.filter(store=store, customer_id__in=list(written)).values_list(
            "customer_id", "evaluated_at"
        )
    )
    return {pk for pk, at in written.items() if pk not in evaluated or evaluated[pk] < at}


def _write_orders(
    store: Store, orders: Sequence[OrderData], customers: Sequence[Customer | None]
) -> list[_Outcome]:
    stored = {
        (order.source, order.external_id): order
        for order in Order.objects.select_for_update().filter(
            store=store,
            source__in={data.source for data in orders},
            external_id__in=[data.external_id for data in orders],
        )
    }
    rates = Rates(store)
    outcomes = []
    for data, customer in zip(orders, customers, strict=True):
        values = order_values(data, customer, rates)
        order = stored.get((data.source, data.external_id))
        if order is None:
            order = new(
                Order,
                {
                    "store_id": store.pk,
                    "source": data.source,
                    "external_id": data.external_id,
                    **values,
                },
            )
            outcomes.append(_Outcome(data, order, True, [], False, None))
        elif _is_stale(order, data.updated_at):
            outcomes.append(_Outcome(data, order, False, [], True, order.customer_id))
        else:
            previous = order.customer_id
            changed = [name for name in ORDER_FIELDS if getattr(order, name) != values[name]]
            for name in changed:
                setattr(order, name, values[name])
            outcomes.append(_Outcome(data, order, False, changed, False, previous))
    refunds = _new_refunds(outcomes)
    insert([o.order for o in outcomes if o.created])
    now = timezone.now()
    dirty = [o for o in outcomes if not o.created and (o.changed or o.refunds or o.refunds_amended)]
    if dirty:
        fields = {name for o in dirty for name in o.changed}
        if any(o.refunds or o.refunds_amended for o in dirty):
            fields |= {"refunded_amount", "financial_status"}
        for o in dirty:
            o.order.updated_at = now
        Order.objects.bulk_update([o.order for o in dirty], [*sorted(fields), "updated_at"])
    for refund in refunds:
        refund.order_id = refund.order.pk
    insert(refunds)
    _write_lines(outcomes)
    return outcomes


def _new_refunds(outcomes: list[_Outcome]) -> list[Refund]:
    """``sync._upsert_refund`` for every refund of the batch: the missing ones are built (not
    yet saved) and their orders' refunded amount and payment status set as it would; a known
    one reported with an earlier date takes that date (written here)."""
    with_refunds = [o for o in outcomes if o.data.refunds]
    stored: dict[int, dict[str, tuple[Decimal, datetime, int]]] = defaultdict(dict)
    existing_ids = [o.order.pk for o in with_refunds if not o.created]
    if existing_ids:
        rows = Refund.objects.filter(order_id__in=existing_ids).values_list(
            "order_id", "external_id", "amount", "refunded_at", "pk"
        )
        for order_id, external_id, amount, refunded_at, pk in rows:
            stored[order_id][external_id] = (amount, refunded_at, pk)
    created = []
    for outcome in with_refunds:
        order = outcome.order
        known = {k: amount for k, (amount, _at, _pk) in stored[order.pk].items()}
        for data in outcome.data.refunds:
            if data.external_id in known:
                found = stored[order.pk].get(data.external_id)
                if found is not None and data.refunded_at < found[1]:
                    # A source that does not date refunds dates them by the report that
                    # lists them: the earliest report is the closest (as ``sync``).
                    Refund.objects.filter(pk=found[2]).update(
                        refunded_at=data.refunded_at, updated_at=timezone.now()
                    )
                    stored[order.pk][data.external_id] = (found[0], data.refunded_at, found[2])
                    outcome.refunds_redated = True
                if found is not None and found[0] != money(data.amount):
                    # As ``sync``: the newer report's amount is the truth.
                    Refund.objects.filter(pk=found[2]).update(
                        amount=money(data.amount), updated_at=timezone.now()
                    )
                    known[data.external_id] = money(data.amount)
                    outcome.refunds_amended = True
                    _set_refunded(order, known)
                continue
            refund = new(
                Refund,
                {
                    "order_id": order.pk,
                    "external_id": data.external_id,
                    "amount": money(data.amount),
                    "reason": data.reason[:255],
                    "refunded_at": data.refunded_at,
                },
            )
            refund.order = order
            known[data.external_id] = refund.amount
            outcome.refunds.append(refund)
            created.append(refund)
            _set_refunded(order, known)
    return created


def _set_refunded(order: Order, refunds: dict[str, Decimal]) -> None:
    order.refunded_amount = sum(refunds.values(), Decimal(0))
    if order.financial_status in (FinancialStatus.PAID, FinancialStatus.PARTIALLY_REFUNDED):
        order.financial_status = (
            FinancialStatus.REFUNDED
            if order.refunded_amount >= order.paid_amount
            else FinancialStatus.PARTIALLY_REFUNDED
        )


def _write_lines(outcomes: list[_Outcome]) -> None:
    """``sync._replace_lines`` for the batch: the lines of an order that is not stale and whose
    report has lines are replaced when they differ from the stored ones."""
    candidates = [o for o in outcomes if o.data.lines is not None and not o.stale]
    stored: dict[int, list[tuple[object, ...]]] = defaultdict(list)
    existing_ids = [o.order.pk for o in candidates if not o.created]
    if existing_ids:
        for line in OrderLine.objects.filter(order_id__in=existing_ids).order_by("order_id", "pk"):
            stored[line.order_id].append(_line_key(line))
    to_create: list[OrderLine] = []
    to_clear: list[int] = []
    for outcome in candidates:
        lines = _lines_of(outcome.order, outcome.data)
        if outcome.created:
            to_create += lines
            continue
        if stored[outcome.order.pk] != [_line_key(line) for line in lines]:
            outcome.lines_replaced = True
            to_clear.append(outcome.order.pk)
            to_create += lines
    if to_clear:
        OrderLine.objects.filter(order_id__in=to_clear).delete()
    insert(to_create)


def _events(outcome: _Outcome) -> list[tuple[str, dict[str, Any]]]:
    """The events ``do_upsert_order`` publishes for this order, in its order."""
    order = outcome.order
    payload = {"order_id": order.pk, "store_id": order.store_id, "customer_id": order.customer_id}
    events: list[tuple[str, dict[str, Any]]] = [
        (
            event_types.ORDER_REFUNDED,
            {**payload, "refund_id": refund.pk, "amount": str(refund.amount)},
        )
        for refund in outcome.refunds
    ]
    if outcome.created:
        events.append((event_types.ORDER_CREATED, payload))
        if order.status == OrderStatus.CANCELLED:
            events.append((event_types.ORDER_CANCELLED, payload))
        return events
    if outcome.changed:
        events.append((event_types.ORDER_UPDATED, {**payload, "changed": outcome.changed}))
    if "status" in outcome.changed and order.status == OrderStatus.CANCELLED:
        events.append((event_types.ORDER_CANCELLED, payload))
    return events
