"""Order histories of the demo customers: who buys how often and what, how it ships, what comes
back — and the orders the conversations are about, in the state each conversation implies.

Orders are planned in memory first (:class:`OrderPlan`), numbered in the order they were placed,
and only then written: by :func:`write_orders` through ``commerce.sync.do_upsert_order`` (the
default demo), or as rows in bulk by :mod:`zabota.demo.bulk`. A ticket about an order is planned
from its :class:`Story`: the order is made first, and the conversation's facts (number, product,
carrier, tracking number, amount) are read off it, so that ticket and order agree. After the
conversation is planned, :meth:`Story.finish` applies what happened in it (a refund issued, a
replacement sent, an address changed) up to now.

Customer profiles, in round figures: two in five buy once; a quarter come back once or twice; one
in seven buys regularly; some stopped buying long ago (dormant); a few return half of what they
buy; a few spend a lot. VIP customers of the demo (``DemoCustomer.vip``) are the big spenders.
"""

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import transaction

from zabota.commerce.constants import (
    FinancialStatus,
    FulfillmentStatus,
    OrderStatus,
    ReturnStatus,
    ShipmentStatus,
    Source,
)
from zabota.commerce.models import ExchangeRate, SegmentSettings, Store
from zabota.commerce.order_data import (
    CustomerData,
    LineData,
    OrderData,
    RefundData,
    ReturnData,
    ReturnLineData,
    ShipmentData,
)
from zabota.commerce.sync import do_upsert_order
from zabota.demo import catalogue
from zabota.demo.catalogue import (
    CENT,
    DISCOUNT_CODES,
    FREE_SHIPPING_FROM,
    LOCAL_CURRENCIES,
    STORE_CURRENCY,
    Address,
    Carrier,
    Currency,
    Product,
    SizedProduct,
)
from zabota.demo.names import Person

SOURCE = Source.WOOCOMMERCE
# WooCommerce order numbers are post ids: they grow with time, with gaps (other posts take ids).
FIRST_ORDER_NUMBER = 1_204_517
HISTORY_DAYS = 730
# Months of exchange rates kept (a little more than the history, for warranty cases).
RATE_MONTHS = 26
# Delivered orders are archived (closed) after this long.
CLOSE_AFTER = timedelta(days=14)

# Segment thresholds of the demo store (base currency EUR).
SEGMENT_SETTINGS = {
    "vip_threshold": Decimal(1500),
    "repeat_min_orders": 2,
    "new_days": 30,
    "dormant_days": 180,
    "high_returner_rate": Decimal("0.3"),
    "high_returner_min_orders": 3,
    # The demo's tags for negative contacts.
    "negative_tags": "threat, chargeback",
    "negative_days": 30,
}

# (profile, weight, history orders min, max)
PROFILES: tuple[tuple[str, int, int, int], ...] = (
    ("one_time", 40, 0, 0),
    ("occasional", 25, 1, 2),
    ("regular", 14, 3, 7),
    ("lapsed", 10, 2, 5),
    ("high_returner", 5, 3, 6),
    ("big_spender", 3, 5, 9),
)
VIP_ORDERS = (6, 11)
MAX_ORDERS = 12
RETURN_SHARE = {"high_returner": 0.55, "big_spender": 0.04}
DEFAULT_RETURN_SHARE = 0.07
CANCEL_SHARE = 0.04
DISCOUNT_SHARE = 0.18
BANK_TRANSFER_SHARE = 0.12
# Customers of a country with its own shop currency who pay in it.
LOCAL_PAYER_SHARE = 0.25


def in_days(value: float) -> timedelta:
    return timedelta(days=value)


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT)


# --- plans -------------------------------------------------------------------------------------


@dataclass
class LinePlan:
    sku: str
    title: str
    variant: str
    quantity: int
    price: Decimal  # in the order's currency

    @property
    def total(self) -> Decimal:
        return self.price * self.quantity


@dataclass
class ShipmentPlan:
    key: str
    carrier: Carrier
    tracking: str
    shipped_at: datetime
    delivered_at: datetime
    # Set instead of delivery: the carrier gave up and sent it back.
    returned: bool = False

    def status(self, now: datetime) -> ShipmentStatus:
        if self.shipped_at > now:
            return ShipmentStatus.PENDING
        if self.returned and self.delivered_at <= now:
            return ShipmentStatus.RETURNED
        if self.delivered_at <= now:
            return ShipmentStatus.DELIVERED
        if self.delivered_at - now < timedelta(hours=8):
            return ShipmentStatus.OUT_FOR_DELIVERY
        return ShipmentStatus.IN_TRANSIT


@dataclass
class RefundPlan:
    key: str
    amount: Decimal
    at: datetime
    reason: str


@dataclass
class ReturnPlan:
    key: str
    reason: str
    requested_at: datetime
    lines: list[LinePlan]
    # The steps reached so far; None: not (yet).
    approved_at: datetime | None = None
    received_at: datetime | None = None
    refunded_at: datetime | None = None
    rejected: bool = False

    def status(self, now: datetime) -> ReturnStatus:
        if self.rejected:
            return ReturnStatus.REJECTED
        for at, status in (
            (self.refunded_at, ReturnStatus.REFUNDED),
            (self.received_at, ReturnStatus.RECEIVED),
            (self.approved_at, ReturnStatus.APPROVED),
        ):
            if at is not None and at <= now:
                return status
        return ReturnStatus.REQUESTED


@dataclass
class Shopper:
    """A demo customer as the order planner sees them."""

    index: int
    person: Person
    vip: bool
    address: Address
    currency: Currency | None  # their local shop currency, if they pay in it
    profile: str = "one_time"

    @property
    def language(self) -> str:
        return self.person.language


@dataclass
class OrderPlan:
    shopper: Shopper
    placed_at: datetime
    currency: str
    lines: list[LinePlan]
    carrier: Carrier
    address: Address
    discount_code: str = ""
    # Per cent off the products; 0 with a code means the code was not applied.
    discount_pct: int = 0
    shipping: Decimal = Decimal(0)
    paid_at: datetime | None = None
    cancelled_at: datetime | None = None
    cancel_reason: str = ""
    shipments: list[ShipmentPlan] = field(default_factory=list)
    refunds: list[RefundPlan] = field(default_factory=list)
    returns: list[ReturnPlan] = field(default_factory=list)
    # Changes after placing that are not one of the above (an address corrected).
    touched_at: datetime | None = None
    number: str = ""

    @property
    def subtotal(self) -> Decimal:
        return sum((line.total for line in self.lines), Decimal(0))

    @property
    def discount(self) -> Decimal:
        return cents(self.subtotal * self.discount_pct / 100)

    @property
    def total(self) -> Decimal:
        return self.subtotal - self.discount + self.shipping

    @property
    def tax(self) -> Decimal:
        # Prices include VAT (23 % in Poland, where the shop is).
        return cents(self.total * 23 / 123)

    def net_price(self, line: LinePlan) -> Decimal:
        """What the customer paid for one unit of the line, after the discount."""
        return cents(line.price * (100 - self.discount_pct) / 100)

    def updated_at(self, now: datetime) -> datetime:
        """The order's last change as the platform dates it."""
        times = [self.placed_at, self.paid_at, self.cancelled_at, self.touched_at]
        for s in self.shipments:
            times += [s.shipped_at, s.delivered_at]
        times += [r.at for r in self.refunds]
        for ret in self.returns:
            times += [ret.requested_at, ret.approved_at, ret.received_at, ret.refunded_at]
        return max(t for t in times if t is not None and t <= now)

    def state(self, now: datetime) -> tuple[OrderStatus, FinancialStatus, FulfillmentStatus]:
        """Status, payment before refunds (the upsert derives refunded states) and fulfilment."""
        if self.cancelled_at is not None and self.cancelled_at <= now:
            financial = FinancialStatus.PAID if self.paid_at else FinancialStatus.VOIDED
            return OrderStatus.CANCELLED, financial, FulfillmentStatus.UNFULFILLED
        financial = (
            FinancialStatus.PAID
            if self.paid_at is not None and self.paid_at <= now
            else FinancialStatus.PENDING
        )
        sent = [s for s in self.shipments if s.shipped_at <= now]
        if not sent:
            return OrderStatus.OPEN, financial, FulfillmentStatus.UNFULFILLED
        statuses = {s.status(now) for s in sent}
        if ShipmentStatus.RETURNED in statuses:
            return OrderStatus.CLOSED, financial, FulfillmentStatus.RESTOCKED
        open_returns = any(
            r.status(now) not in (ReturnStatus.REFUNDED, ReturnStatus.REJECTED)
            for r in self.returns
            if r.requested_at <= now
        )
        done = statuses == {ShipmentStatus.DELIVERED} and all(
            s.delivered_at <= now - CLOSE_AFTER for s in sent
        )
        status = OrderStatus.CLOSED if done and not open_returns else OrderStatus.OPEN
        return status, financial, FulfillmentStatus.FULFILLED


# --- rates -------------------------------------------------------------------------------------


class Rates:
    """Monthly exchange rates of the local shop currencies into euros, valid from the first of
    each month (the same rows the demo stores as ``ExchangeRate``)."""

    def __init__(self, rng: random.Random, now: datetime) -> None:
        first = now.date().replace(day=1)
        self.by_currency: dict[str, list[tuple[date, Decimal]]] = {}
        for currency in LOCAL_CURRENCIES.values():
            rows = []
            for ago, rate in catalogue.monthly_rates(rng, currency, RATE_MONTHS):
                month = first.month - ago
                year = first.year + (month - 1) // 12
                rows.append((date(year, (month - 1) % 12 + 1, 1), rate))
            self.by_currency[currency.code] = rows

    def rate(self, currency: str, on: datetime) -> Decimal:
        """As ``commerce.sync.rate_for``: the latest rate valid on the day, else the first."""
        if currency == STORE_CURRENCY:
            return Decimal(1)
        rows = self.by_currency[currency]
        valid = [rate for since, rate in rows if since <= on.date()]
        return valid[-1] if valid else rows[0][1]

    @classmethod
    def of_store(cls, store: Store, rng: random.Random, now: datetime) -> "Rates":
        """The rates the store has; new ones (stored too) if it has none of a local currency."""
        rates = cls(rng, now)
        stored: dict[str, list[tuple[date, Decimal]]] = {}
        for code, since, rate in (
            ExchangeRate.objects.filter(store=store)
            .order_by("valid_from")
            .values_list("currency", "valid_from", "rate")
        ):
            stored.setdefault(code, []).append((since, rate))
        missing = [code for code in rates.by_currency if code not in stored]
        if missing:
            ExchangeRate.objects.bulk_create(
                [row for row in rates.rows(store) if row.currency in missing],
                ignore_conflicts=True,
            )
        rates.by_currency.update(stored)
        return rates

    def rows(self, store: Store) -> list[ExchangeRate]:
        return [
            ExchangeRate(store=store, currency=code, rate=rate, valid_from=since)
            for code, rows in self.by_currency.items()
            for since, rate in rows
        ]


# --- baskets -----------------------------------------------------------------------------------


class Shop:
    """Makes orders: baskets, prices in the customer's currency, shipping and payment."""

    def __init__(self, rng: random.Random, now: datetime) -> None:
        self.rng = rng
        self.now = now

    def shopper(self, index: int, person: Person, *, vip: bool) -> Shopper:
        rng = self.rng
        local = LOCAL_CURRENCIES.get(person.language)
        pays_locally = local is not None and rng.random() < LOCAL_PAYER_SHARE
        address = catalogue.random_address(rng, person.language)
        if vip:
            profile = "vip"
        else:
            profile = rng.choices([p[0] for p in PROFILES], weights=[p[1] for p in PROFILES])[0]
        return Shopper(index, person, vip, address, local if pays_locally else None, profile)

    def price(self, shopper: Shopper, euros: Decimal) -> Decimal:
        if shopper.currency is None:
            return euros
        return catalogue.local_price(euros, shopper.currency)

    def currency(self, shopper: Shopper) -> str:
        return shopper.currency.code if shopper.currency else STORE_CURRENCY

    def line(self, shopper: Shopper, product: Product, quantity: int = 1) -> LinePlan:
        variant = self.rng.choice(product.options) if product.options else ""
        return LinePlan(
            product.sku,
            product.titles[shopper.language],
            variant,
            quantity,
            self.price(shopper, product.price),
        )

    def sized_line(self, shopper: Shopper, product: SizedProduct, size: str = "") -> LinePlan:
        if not size:
            size = self.rng.choice([s for s, _p in product.sizes])
        return LinePlan(
            product.sku,
            product.titles[shopper.language],
            size,
            1,
            self.price(shopper, product.price(size)),
        )

    def basket(self, shopper: Shopper, *, big: bool = False) -> list[LinePlan]:
        """One to four different products; big spenders start with a piece of furniture."""
        rng = self.rng
        count = rng.choices((1, 2, 3, 4), weights=(55, 30, 12, 3))[0]
        lines: list[LinePlan] = []
        if big:
            pool = [p for p in catalogue.BASKET_PRODUCTS if p.big]
            lines.append(self.line(shopper, rng.choice(pool)))
            count = max(count, 2)
        while len(lines) < count:
            if rng.random() < 0.2:
                sized = rng.choices(
                    catalogue.SIZED_PRODUCTS, weights=[p.weight for p in catalogue.SIZED_PRODUCTS]
                )[0]
                line = self.sized_line(shopper, sized)
            else:
                product = rng.choices(
                    catalogue.BASKET_PRODUCTS, weights=[p.weight for p in catalogue.BASKET_PRODUCTS]
                )[0]
                cheap = product.price < 30
                line = self.line(shopper, product, 2 if cheap and rng.random() < 0.25 else 1)
            if all(other.sku != line.sku for other in lines):
                lines.append(line)
        return lines

    def order(
        self,
        shopper: Shopper,
        placed_at: datetime,
        lines: list[LinePlan],
        *,
        code: str = "",
        carrier: Carrier | None = None,
        express: bool = False,
    ) -> OrderPlan:
        """An order placed and (if time allows) paid; shipped by :meth:`ship`."""
        rng = self.rng
        country = shopper.address.country
        if carrier is None:
            carrier = (
                catalogue.express_carrier(country)
                if express
                else catalogue.pick_carrier(rng, country)
            )
        order = OrderPlan(
            shopper=shopper,
            placed_at=placed_at,
            currency=self.currency(shopper),
            lines=lines,
            carrier=carrier,
            address=shopper.address,
            discount_code=code,
            discount_pct=DISCOUNT_CODES.get(code, 0),
        )
        euros = sum((line.price * line.quantity for line in lines), Decimal(0)) * self._rate_guess(
            shopper
        )
        if not express and euros < FREE_SHIPPING_FROM:
            order.shipping = self.price(shopper, carrier.fee)
        if rng.random() < BANK_TRANSFER_SHARE:
            order.paid_at = placed_at + in_days(rng.uniform(0.3, 2.5))
        else:
            order.paid_at = placed_at + timedelta(minutes=rng.randint(1, 6))
        return order

    def _rate_guess(self, shopper: Shopper) -> Decimal:
        return shopper.currency.rate if shopper.currency else Decimal(1)

    def ship(
        self,
        order: OrderPlan,
        at: datetime | None = None,
        *,
        carrier: Carrier | None = None,
        tracking: str = "",
        key: str = "",
        delivered_at: datetime | None = None,
    ) -> ShipmentPlan:
        """Hand a parcel to the carrier (by default a working day after payment)."""
        rng = self.rng
        carrier = carrier or order.carrier
        if at is None:
            ready = order.paid_at or order.placed_at
            at = ready + in_days(rng.uniform(0.2, 1.8))
        if delivered_at is None:
            low, high = carrier.transit_days
            delivered_at = at + in_days(rng.uniform(low, high + 0.8))
        shipment = ShipmentPlan(
            key=key or f"{len(order.shipments) + 1}",
            carrier=carrier,
            tracking=tracking or carrier.tracking_number(rng),
            shipped_at=at,
            delivered_at=delivered_at,
        )
        order.shipments.append(shipment)
        return shipment

    def add_return(
        self,
        order: OrderPlan,
        line: LinePlan,
        reason: str,
        requested_at: datetime,
        *,
        refund: bool = True,
    ) -> ReturnPlan:
        """A return that moves on as days pass: approved, received, refunded."""
        rng = self.rng
        ret = ReturnPlan(
            key=f"R{len(order.returns) + 1}",
            reason=reason,
            requested_at=requested_at,
            lines=[LinePlan(line.sku, line.title, line.variant, 1, line.price)],
            approved_at=requested_at + in_days(rng.uniform(0.1, 1.2)),
        )
        ret.received_at = ret.approved_at + in_days(rng.uniform(3, 8)) if ret.approved_at else None
        if refund and ret.received_at is not None:
            ret.refunded_at = ret.received_at + in_days(rng.uniform(0.5, 3))
            if ret.refunded_at <= self.now:
                order.refunds.append(
                    RefundPlan(
                        key=f"{ret.key}-refund",
                        amount=order.net_price(line),
                        at=ret.refunded_at,
                        reason=f"Return: {reason}",
                    )
                )
        order.returns.append(ret)
        return ret

    # --- a customer's history ------------------------------------------------------------------

    def history(self, shopper: Shopper, *, stories: int) -> list[OrderPlan]:
        """The orders a customer placed besides those their tickets are about."""
        rng = self.rng
        now = self.now
        profile = shopper.profile
        if profile == "vip":
            count = rng.randint(*VIP_ORDERS)
        else:
            low, high = next((p[2], p[3]) for p in PROFILES if p[0] == profile)
            count = rng.randint(low, high)
        count = max(0, min(count, MAX_ORDERS - stories))
        if not count:
            return []
        end = now - in_days(2)
        if profile == "lapsed":
            end = min(end, now - in_days(rng.uniform(200, 420)))
        start = now - in_days(HISTORY_DAYS)
        if profile == "regular":
            # Still buying: the last order within the last three months.
            end = now - in_days(rng.uniform(3, 90))
        span = (end - start).total_seconds()
        if span <= 0:
            return []
        times = sorted(start + timedelta(seconds=span * rng.random() ** 0.8) for _i in range(count))
        big = profile in ("vip", "big_spender")
        orders = []
        for i, placed_at in enumerate(times):
            code = ""
            if i == 0 and rng.random() < 0.3:
                code = "WELCOME5"
            elif rng.random() < DISCOUNT_SHARE:
                code = rng.choice(("SPRING15", "GARDEN10", "BIRCH20" if big else "GARDEN10"))
            order = self.order(
                shopper,
                placed_at,
                self.basket(shopper, big=big and rng.random() < 0.7),
                code=code,
                express=shopper.vip,
            )
            self.lifecycle(order, return_share=RETURN_SHARE.get(profile, DEFAULT_RETURN_SHARE))
            orders.append(order)
        return orders

    def lifecycle(self, order: OrderPlan, *, return_share: float) -> None:
        """What became of an ordinary order by now: cancelled, or shipped and delivered, some
        returned, a few lost on the way back to us."""
        rng, now = self.rng, self.now
        if rng.random() < CANCEL_SHARE:
            reason = rng.choice(("customer", "customer", "inventory", "declined"))
            order.cancelled_at = order.placed_at + in_days(rng.uniform(0.05, 1.5))
            if reason == "declined":
                order.paid_at = None
            elif order.paid_at is not None and order.paid_at < order.cancelled_at:
                order.refunds.append(
                    RefundPlan("cancel", order.total, order.cancelled_at, "Order cancelled")
                )
            else:
                order.paid_at = None
            order.cancel_reason = reason
            return
        shipment = self.ship(order)
        if rng.random() < 0.01 and shipment.delivered_at < now - in_days(10):
            # Not collected from the parcel locker: back to us, money back.
            shipment.returned = True
            order.refunds.append(
                RefundPlan("undelivered", order.total, shipment.delivered_at + in_days(3),
                           "Parcel returned to sender")
            )  # fmt: skip
            return
        if shipment.delivered_at > now or rng.random() >= return_share:
            if shipment.delivered_at < now - in_days(20) and rng.random() < 0.02:
                late = shipment.delivered_at + in_days(1)
                amount = cents(order.total * Decimal("0.1"))
                order.refunds.append(
                    RefundPlan("goodwill", amount, late, "Goodwill: late delivery")
                )
            return
        requested = shipment.delivered_at + in_days(rng.uniform(1, 12))
        if requested > now:
            return
        sized = [line for line in order.lines if _is_sized(line.sku)]
        fragile = [line for line in order.lines if _is_fragile(line.sku)]
        if sized and rng.random() < 0.7:
            line, reason = rng.choice(sized), catalogue.WRONG_SIZE
        elif fragile and rng.random() < 0.6:
            line, reason = rng.choice(fragile), catalogue.DAMAGED
        else:
            line = rng.choice(order.lines)
            reason = rng.choices(
                (catalogue.CHANGED_MIND, catalogue.NOT_AS_DESCRIBED, catalogue.DEFECTIVE),
                weights=(6, 2, 1),
            )[0]
        self.add_return(order, line, reason, requested)


def _is_sized(sku: str) -> bool:
    return any(p.sku == sku for p in catalogue.SIZED_PRODUCTS)


def _is_fragile(sku: str) -> bool:
    return any(p.sku == sku and p.fragile for p in catalogue.BASKET_PRODUCTS)


# --- numbering and writing ---------------------------------------------------------------------


def number_orders(rng: random.Random, orders: Iterable[OrderPlan], after: int) -> int:
    """Give orders numbers in the order they were placed, with the gaps of WooCommerce post
    ids. Returns the last number given."""
    number = after
    for order in sorted(orders, key=lambda o: o.placed_at):
        number += rng.choices((1, 2, 3, 5), weights=(50, 30, 15, 5))[0]
        order.number = str(number)
    return number


def last_order_number(store: Store) -> int:
    from zabota.commerce.models import Order

    numbers = Order.objects.filter(store=store, source=SOURCE).values_list("number", flat=True)
    return max((int(n) for n in numbers if n.isdigit()), default=FIRST_ORDER_NUMBER - 1)


def configure_commerce(store: Store, rates: Rates) -> None:
    """Exchange rates of the local currencies and the store's segment thresholds."""
    ExchangeRate.objects.bulk_create(rates.rows(store), ignore_conflicts=True)
    SegmentSettings.objects.get_or_create(store=store, defaults=SEGMENT_SETTINGS)


def order_data(order: OrderPlan, contact: CustomerData, now: datetime) -> OrderData:
    """The order as an importer would hand it to ``commerce.sync``."""
    status, financial, fulfillment = order.state(now)
    paid = order.paid_at is not None and order.paid_at <= now
    return OrderData(
        source=SOURCE,
        external_id=order.number,
        number=order.number,
        currency=order.currency,
        total=order.total,
        placed_at=order.placed_at,
        customer=contact,
        status=status,
        financial_status=financial,
        fulfillment_status=fulfillment,
        subtotal=order.subtotal,
        discount_total=order.discount,
        shipping_total=order.shipping,
        tax_total=order.tax,
        paid_amount=order.total if paid else Decimal(0),
        discount_codes=order.discount_code,
        shipping_method=order.carrier.method,
        shipping_address=order.address.as_dict(order.shopper.person.display_name),
        paid_at=order.paid_at if paid else None,
        cancelled_at=order.cancelled_at if status == OrderStatus.CANCELLED else None,
        cancel_reason=order.cancel_reason if status == OrderStatus.CANCELLED else "",
        updated_at=order.updated_at(now),
        lines=tuple(
            LineData(
                title=line.title,
                quantity=line.quantity,
                price=line.price,
                sku=line.sku,
                variant=line.variant,
                external_id=f"{order.number}-{i}",
            )
            for i, line in enumerate(order.lines, 1)
        ),
        shipments=tuple(
            ShipmentData(
                external_id=f"{order.number}-{s.key}",
                status=s.status(now),
                carrier=s.carrier.name,
                tracking_number=s.tracking,
                tracking_url=s.carrier.tracking_url(s.tracking),
                shipped_at=s.shipped_at,
                delivered_at=s.delivered_at if s.status(now) == ShipmentStatus.DELIVERED else None,
                updated_at=min(now, s.delivered_at if s.delivered_at <= now else s.shipped_at),
            )
            for s in order.shipments
            if s.shipped_at <= now
        ),
        refunds=tuple(
            RefundData(
                external_id=f"{order.number}-{r.key}",
                amount=r.amount,
                refunded_at=r.at,
                reason=r.reason,
            )
            for r in order.refunds
            if r.at <= now
        ),
        returns=tuple(
            ReturnData(
                external_id=f"{order.number}-{ret.key}",
                requested_at=ret.requested_at,
                status=ret.status(now),
                reason=ret.reason,
                received_at=(
                    ret.received_at
                    if ret.received_at is not None and ret.received_at <= now
                    else None
                ),
                lines=tuple(
                    ReturnLineData(
                        quantity=line.quantity, sku=line.sku, title=line.title, reason=ret.reason
                    )
                    for line in ret.lines
                ),
            )
            for ret in order.returns
            if ret.requested_at <= now
        ),
    )


def write_orders(
    store: Store,
    orders: Sequence[OrderPlan],
    contacts: dict[int, CustomerData],
    *,
    now: datetime,
) -> int:
    """Upsert the planned orders, oldest first, through the importers' path. ``contacts``
    maps a shopper's index to the contact the order carries."""
    count = 0
    with transaction.atomic():
        for order in sorted(orders, key=lambda o: o.placed_at):
            do_upsert_order(store, order_data(order, contacts[order.shopper.index], now))
            count += 1
    return count


# --- the whole book ----------------------------------------------------------------------------


def assign_profiles(rng: random.Random, shoppers: Sequence[Shopper]) -> None:
    """Deal the profiles out in their shares (largest remainder), so that even a small demo
    has some of each: big spenders, dormant customers, high returners."""
    ordinary = [s for s in shoppers if not s.vip]
    total = sum(weight for _p, weight, _lo, _hi in PROFILES)
    exact = [(name, len(ordinary) * weight / total) for name, weight, _lo, _hi in PROFILES]
    counts = {name: int(share) for name, share in exact}
    by_remainder = sorted(exact, key=lambda item: item[1] - int(item[1]), reverse=True)
    for name, _share in by_remainder[: len(ordinary) - sum(counts.values())]:
        counts[name] += 1
    deck = [name for name, _w, _lo, _hi in PROFILES for _i in range(counts[name])]
    rng.shuffle(deck)
    for shopper, profile in zip(ordinary, deck, strict=True):
        shopper.profile = profile


def planned_value(orders: Iterable[OrderPlan], rates: "Rates", now: datetime) -> Decimal:
    """Lifetime value the orders will add up to (as ``commerce.metrics`` computes it)."""
    value = Decimal(0)
    for order in orders:
        if order.cancelled_at is not None or order.paid_at is None or order.paid_at > now:
            continue
        refunded = sum((r.amount for r in order.refunds if r.at <= now), Decimal(0))
        value += (order.total - refunded) * rates.rate(order.currency, order.placed_at)
    return value


def plan_histories(
    shop: Shop,
    shoppers: Sequence[Shopper],
    story_orders: Sequence[OrderPlan],
    rates: Rates,
) -> list[OrderPlan]:
    """Every customer's orders besides those their tickets are about (``story_orders``); VIP
    customers are topped up with another big order until they are well past the store's VIP
    threshold."""
    per_shopper: dict[int, list[OrderPlan]] = {s.index: [] for s in shoppers}
    for order in story_orders:
        per_shopper[order.shopper.index].append(order)
    history: list[OrderPlan] = []
    threshold = SEGMENT_SETTINGS["vip_threshold"]
    assert isinstance(threshold, Decimal)
    for shopper in shoppers:
        own = shop.history(shopper, stories=len(per_shopper[shopper.index]))
        if shopper.vip:
            mine = per_shopper[shopper.index] + own
            while planned_value(mine, rates, shop.now) < threshold * Decimal("1.15"):
                placed = shop.now - in_days(shop.rng.uniform(20, HISTORY_DAYS))
                order = shop.order(shopper, placed, shop.basket(shopper, big=True), express=True)
                shop.ship(order)
                own.append(order)
                mine.append(order)
        history += own
    return history


@dataclass
class Written:
    orders: int = 0
    shipments: int = 0
    refunds: int = 0
    returns: int = 0


def bulk_write(
    store: Store,
    orders: Sequence[OrderPlan],
    customers: dict[int, tuple[int, str]],
    rates: Rates,
    *,
    now: datetime,
) -> Written:
    """Insert the orders as rows, with what ``commerce.sync`` would have stored for them, but
    without events and without refreshing figures (the caller refreshes them in chunks).
    ``customers`` maps a shopper's index to (customer id, e-mail)."""
    from zabota.commerce.models import Order, OrderLine, Refund, Return, ReturnLine, Shipment

    rows = []
    for plan in orders:
        status, financial, fulfillment = plan.state(now)
        paid = plan.paid_at is not None and plan.paid_at <= now
        paid_amount = plan.total if paid else Decimal(0)
        refunded = sum((r.amount for r in plan.refunds if r.at <= now), Decimal(0))
        if refunded and financial == FinancialStatus.PAID:
            financial = (
                FinancialStatus.REFUNDED
                if refunded >= paid_amount
                else FinancialStatus.PARTIALLY_REFUNDED
            )
        cancelled = status == OrderStatus.CANCELLED
        customer_id, email = customers[plan.shopper.index]
        rows.append(
            Order(
                store=store,
                source=SOURCE,
                external_id=plan.number,
                number=plan.number,
                customer_id=customer_id,
                email=email,
                status=status,
                financial_status=financial,
                fulfillment_status=fulfillment,
                currency=plan.currency,
                subtotal=cents(plan.subtotal),
                discount_total=plan.discount,
                shipping_total=cents(plan.shipping),
                tax_total=plan.tax,
                total=cents(plan.total),
                paid_amount=cents(paid_amount),
                refunded_amount=cents(refunded),
                fx_rate=rates.rate(plan.currency, plan.placed_at),
                discount_codes=plan.discount_code,
                shipping_method=plan.carrier.method,
                shipping_address=plan.address.as_dict(plan.shopper.person.display_name),
                placed_at=plan.placed_at,
                paid_at=plan.paid_at if paid else None,
                cancelled_at=plan.cancelled_at if cancelled else None,
                cancel_reason=plan.cancel_reason if cancelled else "",
                source_updated_at=plan.updated_at(now),
                created_at=plan.placed_at,
            )
        )
    Order.objects.bulk_create(rows)
    lines, shipments, refunds, returns = [], [], [], []
    return_lines: list[tuple[Return, list[LinePlan], str]] = []
    for row, plan in zip(rows, orders, strict=True):
        lines += [
            OrderLine(
                order=row,
                external_id=f"{plan.number}-{i}",
                sku=line.sku,
                title=line.title,
                variant=line.variant,
                quantity=line.quantity,
                price=line.price,
                total=line.total,
            )
            for i, line in enumerate(plan.lines, 1)
        ]
        for s in plan.shipments:
            if s.shipped_at > now:
                continue
            shipment_status = s.status(now)
            delivered = shipment_status == ShipmentStatus.DELIVERED
            shipments.append(
                Shipment(
                    order=row,
                    external_id=f"{plan.number}-{s.key}",
                    carrier=s.carrier.name,
                    tracking_number=s.tracking,
                    tracking_url=s.carrier.tracking_url(s.tracking),
                    status=shipment_status,
                    shipped_at=s.shipped_at,
                    delivered_at=s.delivered_at if delivered else None,
                    source_updated_at=s.delivered_at if s.delivered_at <= now else s.shipped_at,
                    created_at=s.shipped_at,
                )
            )
        refunds += [
            Refund(
                order=row,
                external_id=f"{plan.number}-{r.key}",
                amount=r.amount,
                reason=r.reason,
                refunded_at=r.at,
                created_at=r.at,
            )
            for r in plan.refunds
            if r.at <= now
        ]
        for ret in plan.returns:
            if ret.requested_at > now:
                continue
            received = ret.received_at if ret.received_at and ret.received_at <= now else None
            row_ret = Return(
                order=row,
                external_id=f"{plan.number}-{ret.key}",
                status=ret.status(now),
                reason=ret.reason,
                requested_at=ret.requested_at,
                received_at=received,
                created_at=ret.requested_at,
            )
            returns.append(row_ret)
            return_lines.append((row_ret, ret.lines, ret.reason))
    OrderLine.objects.bulk_create(lines)
    Shipment.objects.bulk_create(shipments)
    Refund.objects.bulk_create(refunds)
    Return.objects.bulk_create(returns)
    ReturnLine.objects.bulk_create(
        ReturnLine(ret=row_ret, sku=line.sku, title=line.title, quantity=line.quantity, reason=why)
        for row_ret, plan_lines, why in return_lines
        for line in plan_lines
    )
    return Written(len(rows), len(shipments), len(refunds), len(returns))
