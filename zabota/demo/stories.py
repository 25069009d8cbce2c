"""The orders the demo's tickets are about, and the facts of each conversation as read off its
order: number, product, size, carrier, tracking number, amount, address.

A :class:`Story` is made before its conversation (``story()``), as the order stood when the
ticket was opened; once the conversation is planned, :meth:`Story.finish` applies what happened
in it up to now: a refund issued, a replacement or an exchange sent, an address corrected.
"""

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from zabota.demo import catalogue
from zabota.demo.catalogue import DISCOUNT_CODES, Address, Carrier
from zabota.demo.conversations import Facts, money
from zabota.demo.orders import (
    LinePlan,
    OrderPlan,
    RefundPlan,
    Shop,
    Shopper,
    cents,
    in_days,
)
from zabota.demo.plans import StepKind, TicketPlan
from zabota.tickets.constants import Status


@dataclass
class Story:
    """The order a ticket is about (with the subscription's earlier boxes), and the facts of the
    conversation as read off it."""

    scenario: str
    start: datetime
    order: OrderPlan
    line: LinePlan
    days: int
    amount: Decimal
    # The carrier and tracking number the conversation names.
    carrier: Carrier
    tracking: str
    address: Address
    code: str = ""
    size2: str = ""
    # What the conversation sends (replacement, exchange, the delayed item) goes with this
    # carrier (default: the order's) under this number (default: a new one).
    next_carrier: Carrier | None = None
    next_tracking: str = ""
    # Earlier orders of the same story (previous subscription boxes).
    earlier: list[OrderPlan] = field(default_factory=list)

    @property
    def orders(self) -> list[OrderPlan]:
        return [*self.earlier, self.order]

    def facts(self) -> Facts:
        language = self.order.shopper.language
        return Facts(
            order=f"#{self.order.number}",
            item=self.line.title,
            carrier=self.carrier.name_in(language),
            days=self.days,
            amount=money(language, self.amount, self.order.currency),
            size=self.line.variant,
            size2=self.size2,
            address=self.address.text,
            code=self.code,
            tracking=self.tracking,
        )

    def finish(self, shop: "Shop", plan: TicketPlan) -> None:
        """Apply what the conversation did to the order, up to now."""
        moments = Moments.of(plan)
        finisher = _FINISHERS.get(self.scenario)
        if finisher is not None:
            finisher(self, shop, moments)


@dataclass(frozen=True)
class Moments:
    """When the conversation reached its turns (None: not yet)."""

    answered: datetime | None  # the customer answered the agent's question
    solved: datetime | None  # the agent proposed the solution
    confirmed: datetime | None  # the customer (or the timeout) accepted it

    @classmethod
    def of(cls, plan: TicketPlan) -> "Moments":
        asked = answered = solved = confirmed = None
        for step in plan.steps:
            if step.kind == StepKind.REPLY:
                if step.then_status == Status.PENDING and asked is None:
                    asked = step.at
                elif step.then_status == Status.AWAITING_CONFIRMATION and solved is None:
                    solved = step.at
            elif step.kind == StepKind.CUSTOMER and asked is not None and answered is None:
                answered = step.at
            elif step.kind == StepKind.CONFIRM and confirmed is None:
                confirmed = step.at
        if plan.outbound_agent and plan.steps and answered is None:
            first = plan.steps[0]
            answered = first.at if first.kind == StepKind.CUSTOMER else None
        return cls(answered, solved, confirmed)


def _send_out(story: Story, shop: Shop, at: datetime | None, key: str) -> None:
    """Something ships as the conversation promised (a replacement, an exchange, the late item),
    at ``at``."""
    if at is None:
        return
    shop.ship(story.order, at, carrier=story.next_carrier, tracking=story.next_tracking, key=key)


def _finish_parcel(story: Story, shop: Shop, m: Moments) -> None:
    shipment = story.order.shipments[0]
    if m.answered is not None:
        story.order.touched_at = m.answered
    # It arrives after the agent chased the carrier: before the customer confirmed, or in the
    # two days the macro promises.
    if m.confirmed is not None:
        shipment.delivered_at = m.confirmed - in_days(shop.rng.uniform(0.1, 1))
    elif m.solved is not None:
        shipment.delivered_at = m.solved + in_days(shop.rng.uniform(0.5, 2.5))
    else:
        shipment.delivered_at = shop.now + in_days(shop.rng.uniform(1, 3))
    shipment.delivered_at = max(shipment.delivered_at, story.start + in_days(0.2))


def _finish_not_received(story: Story, shop: Shop, m: Moments) -> None:
    _send_out(story, shop, m.solved and m.solved + in_days(0.1), "reship")


def _finish_wrong_size(story: Story, shop: Shop, m: Moments) -> None:
    ret = story.order.returns[0]
    if m.solved is None:
        ret.approved_at = ret.received_at = None
        return
    ret.approved_at = m.solved
    ret.received_at = m.solved + in_days(shop.rng.uniform(3, 6))
    _send_out(story, shop, m.solved + in_days(shop.rng.uniform(1, 2)), "exchange")


def _finish_damaged(story: Story, shop: Shop, m: Moments) -> None:
    _send_out(story, shop, m.solved and m.solved + in_days(0.2), "replacement")


def _finish_refund(story: Story, shop: Shop, m: Moments) -> None:
    order, ret = story.order, story.order.returns[0]
    ret.approved_at = ret.requested_at + in_days(0.5)
    if m.solved is None:
        ret.received_at = ret.refunded_at = None
        return
    ret.received_at = min(m.solved - in_days(0.1), max(ret.requested_at, m.solved - in_days(1)))
    ret.refunded_at = m.solved
    order.refunds.append(RefundPlan("R1-refund", story.amount, m.solved, "Return: Changed mind"))


def _finish_address_change(story: Story, shop: Shop, m: Moments) -> None:
    if m.answered is None:
        return
    story.order.address = story.address
    story.order.touched_at = m.answered
    if m.solved is not None:
        shop.ship(story.order, m.solved + in_days(shop.rng.uniform(0.3, 1)))


def _finish_subscription(story: Story, shop: Shop, m: Moments) -> None:
    if m.solved is not None:
        story.order.refunds.append(
            RefundPlan("cancel-box", story.amount, m.solved, "Subscription cancelled")
        )


def _finish_chargeback(story: Story, shop: Shop, m: Moments) -> None:
    if m.solved is not None:
        ret = shop.add_return(story.order, story.line, catalogue.DEFECTIVE, m.solved, refund=False)
        ret.approved_at = m.solved
        ret.received_at = None


def _finish_promo_code(story: Story, shop: Shop, m: Moments) -> None:
    if m.solved is not None:
        pct = DISCOUNT_CODES[story.code]
        amount = cents(story.line.price * story.line.quantity * pct / 100)
        story.order.refunds.append(
            RefundPlan("discount", amount, m.solved, f"Discount code {story.code} not applied")
        )


def _finish_delay_notice(story: Story, shop: Shop, m: Moments) -> None:
    if m.solved is not None:
        _send_out(story, shop, m.solved - in_days(0.25), "1")


def _finish_warranty(story: Story, shop: Shop, m: Moments) -> None:
    _send_out(story, shop, m.solved and m.solved - in_days(0.05), "warranty")


_FINISHERS: dict[str, Callable[[Story, Shop, Moments], None]] = {
    "parcel": _finish_parcel,
    "not_received": _finish_not_received,
    "wrong_size": _finish_wrong_size,
    "damaged": _finish_damaged,
    "refund": _finish_refund,
    "address_change": _finish_address_change,
    "subscription": _finish_subscription,
    "chargeback": _finish_chargeback,
    "promo_code": _finish_promo_code,
    "delay_notice": _finish_delay_notice,
    "warranty": _finish_warranty,
}

# Products a warranty claim can be about: the ones that wear out or break.
_DURABLE = ("BW-HOS-25", "BW-SKL-28", "BW-SOL-10", "BW-PRU-BYP", "BW-LMP-AAL", "BW-RAT-NOR",
            "BW-CAN-10")  # fmt: skip


def story(shop: Shop, shopper: Shopper, scenario: str, start: datetime, *, sized: bool) -> Story:
    """The order a ticket opened at ``start`` is about, as it stood when the ticket was opened."""
    rng = shop.rng
    country = shopper.address.country
    size2 = ""
    if sized:
        product = rng.choices(
            catalogue.SIZED_PRODUCTS, weights=[p.weight for p in catalogue.SIZED_PRODUCTS]
        )[0]
        line = shop.sized_line(shopper, product, product.usual)
        size2 = product.exchange
    else:
        pool = catalogue.STORY_PRODUCTS
        if scenario == "damaged":
            pool = tuple(p for p in pool if p.fragile) * 2 + pool
        elif scenario == "warranty":
            pool = tuple(p for p in catalogue.BASKET_PRODUCTS if p.sku in _DURABLE)
        line = shop.line(shopper, rng.choice(pool))
    days = rng.randint(4, 12)
    code = rng.choice(tuple(c for c in DISCOUNT_CODES if c != "SORRY10"))
    if scenario == "subscription":
        return _subscription_story(shop, shopper, start, days)
    placed, shipped, delivered = _story_placed_at(rng, scenario, start, days)
    lines = [line]
    if rng.random() < 0.35:
        extra_line = shop.basket(shopper)[0]
        if extra_line.sku != line.sku:
            lines.append(extra_line)
    order = shop.order(
        shopper,
        placed,
        lines,
        code=code if scenario == "promo_code" else "",
        express=shopper.vip,
    )
    if scenario == "promo_code":
        order.discount_pct = 0  # the code was accepted at checkout but not applied
    order.paid_at = placed + timedelta(minutes=rng.randint(1, 6))
    tale = Story(
        scenario, start, order, line, days, line.price, order.carrier, "", shopper.address, code,
        size2,
    )  # fmt: skip
    if scenario == "address_change":
        tale.address = catalogue.random_address(rng, shopper.language)
        return tale
    if scenario == "delay_notice":
        tale.tracking = tale.next_tracking = order.carrier.tracking_number(rng)
        return tale
    shipment = shop.ship(order, shipped, delivered_at=delivered)
    tale.tracking = shipment.tracking
    match scenario:
        case "parcel":
            shipment.delivered_at = start + in_days(3)  # not yet: finish() decides when
        case "not_received":
            tale.next_carrier = catalogue.express_carrier(country)
        case "damaged":
            tale.next_carrier = catalogue.express_carrier(country) if shopper.vip else None
        case "warranty":
            tale.carrier = tale.next_carrier = catalogue.pick_carrier(rng, country)
            tale.tracking = tale.next_tracking = tale.carrier.tracking_number(rng)
        case "wrong_size":
            shop.add_return(order, line, catalogue.WRONG_SIZE, start, refund=False)
        case "refund":
            requested = start - in_days(days)
            shop.add_return(order, line, catalogue.CHANGED_MIND, requested, refund=False)
            # The number of the customer's parcel back to us.
            tale.tracking = order.carrier.tracking_number(rng)
            tale.amount = order.net_price(line)
        case "chargeback":
            tale.amount = order.total
    return tale


def _story_placed_at(
    rng: random.Random, scenario: str, start: datetime, days: int
) -> tuple[datetime, datetime | None, datetime | None]:
    """When the order was placed, and when its parcel went out and arrived (None: the usual
    times), as the conversation tells it."""
    match scenario:
        case "parcel":
            placed = start - in_days(days) - timedelta(hours=rng.uniform(0, 8))
            return placed, placed + in_days(rng.uniform(0.5, 1.5)), None
        case "not_received":
            delivered = start - in_days(rng.uniform(0.6, 1.3))  # "delivered yesterday"
            placed = delivered - in_days(rng.uniform(3, 9))
            return placed, placed + in_days(1), delivered
        case "wrong_size" | "damaged" | "compliment" | "review_threat":
            age = {"wrong_size": (6, 15), "damaged": (4, 10), "compliment": (3, 6),
                   "review_threat": (12, 16)}[scenario]  # fmt: skip
            placed = start - in_days(rng.uniform(*age))
            delivered = start - in_days(rng.uniform(0.1, 1.4))
            return placed, placed + in_days(rng.uniform(0.5, 1.2)), delivered
        case "refund" | "chargeback" | "warranty":
            ago = {"refund": (days + 8, days + 20), "chargeback": (18, 45),
                   "warranty": (200, 650)}[scenario]  # fmt: skip
            placed = start - in_days(rng.uniform(*ago))
            return placed, placed + in_days(1), placed + in_days(rng.uniform(2.5, 4.5))
        case "address_change":
            return start - timedelta(hours=rng.uniform(1, 20)), None, None
        case "delay_notice":
            return start - in_days(rng.uniform(2, 5)), None, None
        case _:  # promo_code: placed the day before writing
            placed = start - timedelta(hours=rng.uniform(3, 40))
            return placed, placed + in_days(rng.uniform(0.3, 1)), None


def _subscription_story(shop: Shop, shopper: Shopper, start: datetime, days: int) -> Story:
    """Two to four monthly boxes; the last one charged a few days before the ticket."""
    rng = shop.rng
    boxes = []
    last = start - in_days(rng.uniform(1, 8))
    for i in range(rng.randint(2, 4)):
        placed = last - in_days(30 * i)
        line = shop.line(shopper, catalogue.GARDEN_BOX)
        order = shop.order(shopper, placed, [line])
        order.paid_at = placed + timedelta(minutes=1)
        order.shipping = Decimal(0)
        shop.ship(order)
        boxes.append(order)
    boxes.reverse()
    latest = boxes[-1]
    line = latest.lines[0]
    return Story(
        "subscription", start, latest, line, days, line.price, latest.carrier,
        latest.shipments[0].tracking, shopper.address, earlier=boxes[:-1],
    )  # fmt: skip
