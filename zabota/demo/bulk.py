"""Many tickets fast, for benchmarks: the same conversation plans as the demo, written with
``bulk_create`` in batches instead of one action per step.

The rows are what the actions would have written — messages, one timeline row per change with
consecutive versions, ``last_activity_at``, ``first_reply_at``, ``awaiting_since`` … — but no
outbox events are published for them: nobody should be notified about a load test. Search
indexes keep up by themselves (FTS5 triggers on SQLite, GIN expression indexes on PostgreSQL).

The new customers get order histories, and every ticket the order it is about, as rows too
(``orders.bulk_write``); their figures and segments are then computed by
``commerce.metrics.refresh`` in chunks, which publishes customer.segment_changed as it always
does.
"""

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import batched
from typing import Any

from django.db import transaction
from django.db.models import F
from django.template import Context, Engine, Template
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from zabota.commerce import metrics
from zabota.commerce.models import Store
from zabota.core.html import text_to_html
from zabota.customers.constants import IdentityKind
from zabota.customers.models import Customer, CustomerEvent, Identity
from zabota.demo import data, orders, stories
from zabota.demo.build import (
    LANGUAGE_WEIGHTS,
    PHONE_SHARE,
    VIP_SHARE,
    Setup,
    analyze,
    backdate,
    backdate_customers,
)
from zabota.demo.names import LANGUAGES, numbered_email, numbered_phone, random_person
from zabota.demo.plans import (
    DemoCustomer,
    Planner,
    Step,
    StepKind,
    TicketPlan,
    pick_scenario,
    random_start,
)
from zabota.tickets.constants import REOPENED_BY_CUSTOMER, EventKind, MessageKind, Status
from zabota.tickets.models import Message, Ticket, TicketEvent

BATCH = 1000
CUSTOMERS_PER_TICKET = 0.2
# Customers whose figures are refreshed in one transaction.
REFRESH_CHUNK = 500
# Templates are compiled once; the engine matches zabota.tickets.macros (no tags, no escaping).
_engine = Engine(builtins=[], autoescape=False, string_if_invalid="")


def add_bulk_tickets(
    setup: Setup,
    count: int,
    *,
    seed: int,
    console: Console | None = None,
    now: datetime | None = None,
) -> int:
    """Add ``count`` tickets (and a fifth as many new customers) to the demo store."""
    now = now or timezone.now()
    store = setup.store
    # Vary with what is there already, so that a second run does not repeat the first.
    rng = random.Random(f"{seed}:{Store.objects.get(pk=store.pk).ticket_seq}")
    console = console or Console(quiet=True)
    order_rng = random.Random(f"{seed}:orders:{Store.objects.get(pk=store.pk).ticket_seq}")
    writer = _Writer(setup, rng, order_rng, now)
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=not console.is_terminal,
    )
    with progress:
        customers = writer.create_customers(max(1, round(count * CUSTOMERS_PER_TICKET)))
        writer.write_histories(customers)
        task = progress.add_task(_("Tickets"), total=count)
        starts = sorted(random_start(rng, now) for _i in range(count))
        for offset in range(0, count, BATCH):
            batch = starts[offset : offset + BATCH]
            writer.write_batch(customers, batch)
            progress.advance(task, len(batch))
            done = offset + len(batch)
            # Logs get a line every tenth instead of the bar.
            if not console.is_terminal and done * 10 // count > offset * 10 // count:
                console.print(_("%(done)d of %(count)d tickets …") % {"done": done, "count": count})
        backdate_customers([c.pk for c in customers])
        figures = progress.add_task(_("Customer figures"), total=len(customers))
        for chunk in batched([c.pk for c in customers], REFRESH_CHUNK, strict=False):
            with transaction.atomic():
                metrics.refresh(store, chunk, now=now)
            progress.advance(figures, len(chunk))
    console.print(
        ngettext("Added %(count)d order.", "Added %(count)d orders.", writer.written.orders)
        % {"count": writer.written.orders}
    )
    analyze()
    return count


@dataclass
class _State:
    """A ticket's fields while its plan is replayed; mirrors the bookkeeping of the actions."""

    ticket: Ticket
    messages: list[Message] = field(default_factory=list)
    # (event, index of the message it refers to in ``messages`` or None)
    events: list[tuple[TicketEvent, int | None]] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)


@dataclass
class _Customer:
    pk: int
    demo: DemoCustomer
    email: str
    shopper: orders.Shopper


class _Writer:
    def __init__(
        self, setup: Setup, rng: random.Random, order_rng: random.Random, now: datetime
    ) -> None:
        self.setup = setup
        self.rng = rng
        self.now = now
        self.planner = Planner(rng, now=now, lean=True)
        self.macro_templates = self._macro_templates()
        self.shop = orders.Shop(order_rng, now)
        self.rates = orders.Rates.of_store(setup.store, order_rng, now)
        orders.configure_commerce(setup.store, self.rates)
        self.last_order = orders.last_order_number(setup.store)
        self.written = orders.Written()

    def _macro_templates(self) -> dict[tuple[str, str], tuple[int, Template]]:
        """(macro key, language) → (macro id, compiled text), read from the store's macros."""
        compiled = {}
        for key, macro in self.setup.macros.items():
            for text in macro.texts.all():
                compiled[key, text.language] = (macro.pk, _engine.from_string(text.body))
        return compiled

    def create_customers(self, count: int) -> list[_Customer]:
        """Customers with addresses and phones unique by construction (numbered)."""
        rng = self.rng
        customers: list[_Customer] = []
        for offset in range(0, count, BATCH):
            people = [
                DemoCustomer(
                    random_person(rng, rng.choices(LANGUAGES, weights=LANGUAGE_WEIGHTS)[0]),
                    vip=rng.random() < VIP_SHARE,
                )
                for _i in range(min(BATCH, count - offset))
            ]
            with transaction.atomic():
                rows = Customer.objects.bulk_create(
                    Customer(
                        first_name=c.person.first_name,
                        last_name=c.person.last_name,
                        display_name=c.person.display_name,
                        language=c.person.language,
                    )
                    for c in people
                )
                identities = []
                for row, c in zip(rows, people, strict=True):
                    identities.append(
                        Identity(
                            customer=row,
                            kind=IdentityKind.EMAIL,
                            value=numbered_email(c.person, row.pk),
                        )
                    )
                    if rng.random() < PHONE_SHARE:
                        phone = numbered_phone(c.person.language, row.pk)
                        identities.append(
                            Identity(customer=row, kind=IdentityKind.PHONE, value=phone)
                        )
                # A real customer may own one of these values already; then this one goes without.
                Identity.objects.bulk_create(identities, ignore_conflicts=True)
                created: dict[int, list[str]] = {}
                for identity in identities:
                    created.setdefault(identity.customer.pk, []).append(
                        f"{identity.kind}:{identity.value}"
                    )
                CustomerEvent.objects.bulk_create(
                    CustomerEvent(
                        customer=row, kind="created", data={"identities": created[row.pk]}
                    )
                    for row in rows
                )
            customers += [
                _Customer(
                    row.pk,
                    c,
                    numbered_email(c.person, row.pk),
                    self.shop.shopper(len(customers) + i, c.person, vip=c.vip),
                )
                for i, (row, c) in enumerate(zip(rows, people, strict=True))
            ]
        orders.assign_profiles(self.shop.rng, [c.shopper for c in customers])
        return customers

    def write_histories(self, customers: list[_Customer]) -> None:
        """The orders the new customers placed besides those their tickets are about."""
        history = orders.plan_histories(self.shop, [c.shopper for c in customers], [], self.rates)
        self.last_order = orders.number_orders(self.shop.rng, history, after=self.last_order)
        history.sort(key=lambda o: o.placed_at)
        for chunk in batched(history, BATCH * 2, strict=False):
            with transaction.atomic():
                self._write_orders(customers, list(chunk))

    def _write_orders(self, customers: list[_Customer], plans: list[orders.OrderPlan]) -> None:
        contacts = {
            p.shopper.index: (customers[p.shopper.index].pk, customers[p.shopper.index].email)
            for p in plans
        }
        written = orders.bulk_write(self.setup.store, plans, contacts, self.rates, now=self.now)
        for name in ("orders", "shipments", "refunds", "returns"):
            setattr(self.written, name, getattr(self.written, name) + getattr(written, name))

    def _reserve_numbers(self, count: int) -> int:
        """The first of ``count`` consecutive ticket numbers (caller holds a transaction)."""
        store = self.setup.store
        Store.objects.filter(pk=store.pk).update(ticket_seq=F("ticket_seq") + count)
        last = Store.objects.values_list("ticket_seq", flat=True).get(pk=store.pk)
        return last - count + 1

    def _owners(self, customers: list[_Customer], count: int) -> Iterator[int]:
        """Customer indexes: most write once or twice, a tenth write again and again."""
        rng = self.rng
        regulars = max(1, len(customers) // 10)
        for _i in range(count):
            if rng.random() < 0.3:
                yield rng.randrange(regulars)
            else:
                yield rng.randrange(len(customers))

    def write_batch(self, customers: list[_Customer], starts: list[datetime]) -> None:
        """A batch of tickets, each with the order it is about."""
        with transaction.atomic():
            first_number = self._reserve_numbers(len(starts))
            owners = list(self._owners(customers, len(starts)))
            scenarios = [pick_scenario(self.rng) for _start in starts]
            tales = [
                stories.story(
                    self.shop, customers[owner].shopper, scenario.key, start, sized=scenario.sized
                )
                for owner, scenario, start in zip(owners, scenarios, starts, strict=True)
            ]
            plans = [o for tale in tales for o in tale.orders]
            self.last_order = orders.number_orders(self.shop.rng, plans, after=self.last_order)
            states = []
            for i, (owner, scenario, start, tale) in enumerate(
                zip(owners, scenarios, starts, tales, strict=True)
            ):
                number = first_number + i
                plan = self.planner.plan(
                    customer_index=owner,
                    customer=customers[owner].demo,
                    scenario=scenario,
                    start=start,
                    facts=tale.facts(),
                )
                tale.finish(self.shop, plan)
                states.append(self._replay(plan, number, customers[owner].pk))
            Ticket.objects.bulk_create(s.ticket for s in states)
            for s in states:
                for m in s.messages:
                    m.ticket = s.ticket
            Message.objects.bulk_create(m for s in states for m in s.messages)
            events = []
            for s in states:
                for event, message_index in s.events:
                    event.ticket = s.ticket
                    if message_index is not None:
                        event.data["message_id"] = s.messages[message_index].pk
                    events.append(event)
            TicketEvent.objects.bulk_create(events)
            tag_ids = {name: tag.pk for name, tag in self.setup.tags.items()}
            Through = Ticket.tags.through
            Through.objects.bulk_create(
                Through(ticket_id=s.ticket.pk, tag_id=tag_ids[name])
                for s in states
                for name in s.tags
            )
            backdate([s.ticket.pk for s in states], self.setup.store)
            self._write_orders(customers, plans)

    def _replay(self, plan: TicketPlan, number: int, customer_id: int) -> _State:
        """Apply the plan's steps to fresh rows the way the ticket actions would."""
        setup = self.setup
        outbound = setup.members[plan.outbound_agent] if plan.outbound_agent else None
        group = setup.groups[plan.group] if plan.group else setup.groups[data.DEFAULT_GROUP]
        at = plan.created_at
        ticket = Ticket(
            store=setup.store,
            number=number,
            subject=plan.subject[:300],
            status=Status.PENDING if outbound else Status.NEW,
            priority=plan.priority,
            channel=plan.channel,
            language=plan.language,
            customer_id=customer_id,
            group=group,
            assignee=outbound,
            last_activity_at=at,
            last_customer_message_at=None if outbound else at,
            first_reply_at=at if outbound else None,
            message_count=1,
            preview=_preview(plan.body),
            created_at=at,
        )
        state = _State(ticket)
        state.messages.append(
            self._message(
                plan,
                MessageKind.AGENT if outbound else MessageKind.CUSTOMER,
                plan.body,
                at,
                number,
                author_id=outbound.pk if outbound else None,
                customer_id=None if outbound else customer_id,
            )
        )
        state.events.append(
            (
                TicketEvent(
                    kind=EventKind.CREATED,
                    actor=outbound,
                    actor_label="" if outbound else "customer",
                    data={"channel": plan.channel},
                    version=1,
                    created_at=at,
                ),
                0,
            )
        )
        for step in plan.steps:
            self._apply(state, plan, step, number, customer_id)
        return state

    def _apply(
        self, s: _State, plan: TicketPlan, step: Step, number: int, customer_id: int
    ) -> None:
        t = s.ticket
        actor = self.setup.members[step.actor] if step.actor else None
        if step.kind == StepKind.CUSTOMER:
            s.messages.append(
                self._message(
                    plan, MessageKind.CUSTOMER, step.text, step.at, number, customer_id=customer_id
                )
            )
            t.last_activity_at = t.last_customer_message_at = step.at
            t.message_count += 1
            t.preview = _preview(step.text)
            data_: dict[str, Any] = {}
            if t.status in REOPENED_BY_CUSTOMER:
                data_["reopened_from"] = t.status
                t.status = Status.OPEN
                t.awaiting_since = t.solved_at = None
            self._event(s, EventKind.MESSAGE, step.at, None, data_, message=True, label="customer")
        elif step.kind == StepKind.REPLY:
            assert actor is not None
            macro_id = None
            text = step.text
            if step.macro:
                macro_id, template = self.macro_templates[step.macro, plan.language]
                text = template.render(Context(self._macro_context(plan, number, actor)))
            s.messages.append(
                self._message(
                    plan, MessageKind.AGENT, text, step.at, number, author_id=actor.pk,
                    meta={"macro_id": macro_id} if macro_id else {},
                )
            )  # fmt: skip
            t.last_activity_at = step.at
            t.message_count += 1
            t.preview = _preview(text)
            if t.first_reply_at is None:
                t.first_reply_at = step.at
            self._event(s, EventKind.REPLY, step.at, actor, {"macro_id": macro_id}, message=True)
            if step.then_status and step.then_status != t.status:
                self._status(s, step.then_status, step.at, actor)
        elif step.kind == StepKind.NOTE:
            s.messages.append(
                self._message(
                    plan,
                    MessageKind.NOTE,
                    step.text,
                    step.at,
                    number,
                    author_id=actor.pk if actor else None,
                )
            )
            self._event(s, EventKind.NOTE, step.at, actor, {}, message=True)
        elif step.kind == StepKind.ASSIGN:
            assignee = self.setup.members[step.assignee]
            group = self.setup.groups[step.group]
            payload = {
                "old_assignee": t.assignee_id,
                "new_assignee": assignee.pk,
                "assignee_name": str(assignee),
                "old_group": t.group_id,
                "new_group": group.pk,
                "group_name": group.name,
            }
            t.assignee, t.group = assignee, group
            if t.status == Status.NEW:
                t.status = payload["status"] = Status.OPEN
            self._event(s, EventKind.ASSIGNED, step.at, actor, payload)
        elif step.kind == StepKind.TAGS:
            added = [name for name in step.tags if name not in s.tags]
            if added:
                s.tags += added
                self._event(s, EventKind.TAGS, step.at, actor, {"added": added, "removed": []})
        elif step.kind == StepKind.PRIORITY:
            if step.priority != t.priority:
                payload = {"old": t.priority, "new": step.priority}
                t.priority = step.priority
                self._event(s, EventKind.PRIORITY, step.at, actor, payload)
        elif step.kind == StepKind.CONFIRM:
            if t.status == Status.AWAITING_CONFIRMATION:
                label = "system" if step.via == "timeout" else "customer"
                self._status(s, Status.SOLVED, step.at, None, label=label, reason=step.via)
        elif step.kind == StepKind.CLOSE:
            if t.status != Status.CLOSED:
                self._status(s, Status.CLOSED, step.at, actor)
        else:
            raise ValueError(f"Bulk plans have no {step.kind} steps")

    def _status(
        self, s: _State, status: str, at: datetime, actor: Any, *, label: str = "", reason: str = ""
    ) -> None:
        t = s.ticket
        payload = {"old": t.status, "new": status}
        if reason:
            payload["reason"] = reason
        t.status = status
        if status == Status.AWAITING_CONFIRMATION:
            t.awaiting_since = at
        elif status == Status.SOLVED:
            t.solved_at = at
        elif status == Status.CLOSED:
            t.closed_at = at
        else:
            t.awaiting_since = t.solved_at = t.closed_at = None
        self._event(s, EventKind.STATUS, at, actor, payload, label=label)

    def _event(
        self,
        s: _State,
        kind: str,
        at: datetime,
        actor: Any,
        payload: dict[str, Any],
        *,
        message: bool = False,
        label: str = "",
    ) -> None:
        s.ticket.version += 1
        event = TicketEvent(
            kind=kind,
            actor=actor,
            actor_label=label or ("" if actor else "system"),
            data=payload,
            version=s.ticket.version,
            created_at=at,
        )
        s.events.append((event, len(s.messages) - 1 if message else None))

    def _message(
        self,
        plan: TicketPlan,
        kind: str,
        text: str,
        at: datetime,
        number: int,
        *,
        author_id: int | None = None,
        customer_id: int | None = None,
        meta: dict[str, Any] | None = None,
    ) -> Message:
        return Message(
            kind=kind,
            author_user_id=author_id,
            author_customer_id=customer_id,
            channel=plan.channel,
            body_text=text,
            body_html=text_to_html(text),
            channel_meta=meta or {},
            original_ticket_number=number,
            created_at=at,
        )

    def _macro_context(self, plan: TicketPlan, number: int, agent: Any) -> dict[str, Any]:
        """What zabota.tickets.macros.macro_context gives a macro, from the plan."""
        person = plan.person
        store = self.setup.store
        return {
            "customer": {
                "first_name": person.first_name,
                "last_name": person.last_name,
                "name": person.display_name,
                "email": "",
            },
            "ticket": {"number": str(number), "subject": plan.subject, "status": ""},
            "agent": {
                "name": agent.name,
                "first_name": agent.name.split(" ")[0],
                "email": agent.email,
            },
            "store": {"name": store.name, "email": store.email},
        }


def _preview(text: str) -> str:
    return " ".join(text.split())[:160]
