"""The default demo dataset, built through the real actions so that timelines and the outbox are
exactly what the product would have written; and ``--reset``, which removes it again.
"""

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models import Count, F, Max, Min, OuterRef, Subquery
from django.db.models.functions import Coalesce, Least
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from zabota.accounts.models import Group, User
from zabota.commerce import metrics
from zabota.commerce.constants import Segment
from zabota.commerce.models import (
    CustomerSegment,
    CustomerStats,
    Order,
    OrderLine,
    Refund,
    Return,
    Shipment,
    Store,
)
from zabota.commerce.order_data import CustomerData
from zabota.customers.actions import check_create_customer, do_update_customer
from zabota.customers.constants import IdentityKind
from zabota.customers.error_codes import CustomerError
from zabota.customers.models import Customer, CustomerEvent, Identity
from zabota.demo import data, orders, stories
from zabota.demo.conversations import SCENARIOS_BY_KEY, Scenario
from zabota.demo.dates import add_important_dates
from zabota.demo.names import (
    LANGUAGES,
    email_candidates,
    random_person,
    random_phone,
    social_handle,
)
from zabota.demo.plans import (
    STORE_TZ,
    DemoCustomer,
    Planner,
    StepKind,
    TicketPlan,
    pick_scenario,
    random_start,
)
from zabota.tickets import actions
from zabota.tickets.constants import Status
from zabota.tickets.macros import render_macro
from zabota.tickets.models import Macro, MacroText, Message, Tag, Ticket, TicketEvent

# Share of customers per language: the store sells mostly in Poland, then to English, Russian
# and Hungarian speakers across the EU.
LANGUAGE_WEIGHTS = (30, 20, 32, 18)  # en, ru, pl, hu
VIP_SHARE = 0.04
PHONE_SHARE = 0.3
SOCIAL_SHARE = 0.08
DUPLICATE_SHARE = 0.015

CUSTOMER_NOTES = {
    "en": ("Prefers to be contacted by e-mail, not phone.", "Runs a small café; orders in bulk."),
    "ru": ("Просит связываться по e-mail, не по телефону.", "Заказывает для дачи, обычно весной."),
    "pl": ("Woli kontakt mailowy, nie telefoniczny.", "Prowadzi kawiarnię; zamawia hurtowo."),
    "hu": (
        "E-mailben kéri a kapcsolatot, nem telefonon.",
        "Kis kávézót üzemeltet; nagyban rendel.",
    ),
}
VIP_NOTES = {
    "en": "VIP since 2022 — always offer express shipping.",
    "ru": "VIP с 2022 года — всегда предлагать экспресс-доставку.",
    "pl": "VIP od 2022 — zawsze proponować wysyłkę ekspresową.",
    "hu": "2022 óta VIP — mindig ajánljunk expressz szállítást.",
}


@dataclass
class Setup:
    """The demo store's configuration rows, by the keys used in :mod:`zabota.demo.data`."""

    store: Store
    members: dict[str, User]
    groups: dict[str, Group]
    tags: dict[str, Tag]
    macros: dict[str, Macro]


def demo_store() -> Store | None:
    return Store.objects.filter(slug=data.STORE_SLUG).first()


def configure_store() -> Setup:
    """The store, its team (one password hash for all: hashing is the slow part), groups, tags
    and macros."""
    password = make_password(data.PASSWORD)
    members = {}
    for m in data.TEAM:
        user, _created = User.objects.update_or_create(
            email=m.email,
            defaults={
                "name": m.name,
                "role": m.role,
                "languages": list(m.languages),
                "capacity": m.capacity,
                "ui_language": m.ui_language,
                "is_active": True,
                "password": password,
            },
        )
        members[m.key] = user
    store = Store.objects.create(
        slug=data.STORE_SLUG,
        name=data.STORE_NAME,
        email=data.STORE_EMAIL,
        time_zone=data.STORE_TIME_ZONE,
        default_language=data.STORE_LANGUAGE,
        currency=data.STORE_CURRENCY,
    )
    groups = {}
    for spec in data.GROUPS:
        group = Group.objects.create(
            store=store,
            name=spec.name,
            lead=members[spec.lead],
            members_see_unassigned=spec.members_see_unassigned,
        )
        group.members.set([members[k] for k in spec.members])
        groups[spec.key] = group
    store.default_group = groups[data.DEFAULT_GROUP]
    # Only this field: a full save would write back the ticket_seq read above.
    store.save(update_fields=["default_group", "updated_at"])
    tags = {
        name: Tag.objects.create(store=store, name=name, color=color)
        for name, color in data.TAGS.items()
    }
    macros = {}
    for macro_spec in data.MACROS:
        macro = Macro.objects.create(
            store=store, name=macro_spec.name, set_status=macro_spec.set_status
        )
        macro.add_tags.set([tags[t] for t in macro_spec.add_tags])
        MacroText.objects.bulk_create(
            MacroText(macro=macro, language=lang, body=body)
            for lang, body in macro_spec.texts.items()
        )
        macros[macro_spec.key] = macro
    return Setup(store, members, groups, tags, macros)


def load_setup(store: Store) -> Setup:
    """The configuration rows of an existing demo store (for adding bulk tickets to it)."""
    members = {m.key: User.objects.get(email=m.email) for m in data.TEAM}
    by_name = {g.name: g for g in Group.objects.filter(store=store)}
    groups = {spec.key: by_name[spec.name] for spec in data.GROUPS}
    tags = {t.name: t for t in Tag.objects.filter(store=store)}
    by_macro_name = {m.name: m for m in Macro.objects.filter(store=store)}
    macros = {spec.key: by_macro_name[spec.name] for spec in data.MACROS}
    return Setup(store, members, groups, tags, macros)


def random_customers(rng: random.Random, count: int) -> list[DemoCustomer]:
    return [
        DemoCustomer(
            random_person(rng, rng.choices(LANGUAGES, weights=LANGUAGE_WEIGHTS)[0]),
            vip=rng.random() < VIP_SHARE,
        )
        for _i in range(count)
    ]


def create_customers(rng: random.Random, people: list[DemoCustomer]) -> list[Customer]:
    """Customers through the real action, each with an e-mail, some with a phone or a handle."""
    created = []
    for demo in people:
        person = demo.person
        identities: list[tuple[str, str]] = []
        if rng.random() < PHONE_SHARE:
            identities.append(("phone", random_phone(rng, person.language)))
        if rng.random() < SOCIAL_SHARE:
            identities.append(("social", social_handle(rng, person)))
        for email in email_candidates(rng, person):
            try:
                customer = check_create_customer(
                    first_name=person.first_name,
                    last_name=person.last_name,
                    display_name=person.display_name,
                    language=person.language,
                    identities=[("email", email), *identities],
                    actor=None,
                )
            except CustomerError:
                continue  # the address (or the random phone) is taken: try the next one
            break
        else:
            raise RuntimeError(f"No free e-mail address for {person.display_name}")
        notes = ""
        if demo.vip:
            notes = VIP_NOTES[person.language]
        elif rng.random() < 0.05:
            notes = rng.choice(CUSTOMER_NOTES[person.language])
        if notes:
            do_update_customer(customer, actor=None, notes=notes)
        created.append(customer)
    return created


@dataclass(frozen=True)
class Draft:
    """A ticket before its conversation: who writes, about what, and when."""

    owner: int  # index into the customers
    scenario: Scenario
    start: datetime
    duplicate: bool


def ticket_drafts(
    rng: random.Random,
    people: list[DemoCustomer],
    shoppers: list[orders.Shopper],
    count: int,
    *,
    now: datetime,
) -> list[Draft]:
    """One ticket for every customer first, the rest to returning customers (VIPs write more).
    A customer who stopped buying long ago writes once, about something bought back then (a
    warranty claim), and so stays dormant."""
    owners = list(range(len(people)))
    rng.shuffle(owners)
    owners = owners[:count]
    lapsed = {s.index for s in shoppers if s.profile == "lapsed"}
    weights = [0 if i in lapsed else 4 if c.vip else 1 for i, c in enumerate(people)]
    if not any(weights):
        weights = [1] * len(people)
    owners += rng.choices(range(len(people)), weights=weights, k=count - len(owners))
    warranty = SCENARIOS_BY_KEY["warranty"]
    scenarios = [warranty if owner in lapsed else pick_scenario(rng) for owner in owners]
    starts = [random_start(rng, now) for _owner in owners]
    # A fixed share, so that even a small demo has a few tickets opened twice and merged.
    inbound = [i for i, scenario in enumerate(scenarios) if not scenario.outbound]
    duplicates = set(rng.sample(inbound, min(len(inbound), round(count * DUPLICATE_SHARE) or 1)))
    return [
        Draft(owner, scenario, start, i in duplicates)
        for i, (owner, scenario, start) in enumerate(zip(owners, scenarios, starts, strict=True))
    ]


def plan_tickets(
    rng: random.Random, people: list[DemoCustomer], book: "OrderBook", *, now: datetime
) -> list[tuple[TicketPlan, stories.Story]]:
    """The conversations, each with the order it is about; oldest first, so that ticket numbers
    grow with time."""
    planner = Planner(rng, now=now)
    pairs = [
        (
            planner.plan(
                customer_index=draft.owner,
                customer=people[draft.owner],
                scenario=draft.scenario,
                start=draft.start,
                facts=story.facts(),
                duplicate=draft.duplicate,
            ),
            story,
        )
        for draft, story in zip(book.drafts, book.stories, strict=True)
    ]
    pairs.sort(key=lambda pair: pair[0].created_at)
    return pairs


@dataclass
class OrderBook:
    """Everything the demo's customers bought, planned before the tickets about it."""

    shop: orders.Shop
    rates: orders.Rates
    shoppers: list[orders.Shopper]
    drafts: list[Draft]
    stories: list[stories.Story]
    history: list[orders.OrderPlan]

    @property
    def orders(self) -> list[orders.OrderPlan]:
        return self.history + [o for story in self.stories for o in story.orders]


def plan_book(
    rng: random.Random,
    order_rng: random.Random,
    people: list[DemoCustomer],
    tickets: int,
    *,
    now: datetime,
) -> OrderBook:
    shop = orders.Shop(order_rng, now)
    rates = orders.Rates(order_rng, now)
    shoppers = [shop.shopper(i, c.person, vip=c.vip) for i, c in enumerate(people)]
    orders.assign_profiles(order_rng, shoppers)
    drafts = ticket_drafts(rng, people, shoppers, tickets, now=now)
    tales = [
        stories.story(shop, shoppers[d.owner], d.scenario.key, d.start, sized=d.scenario.sized)
        for d in drafts
    ]
    history = orders.plan_histories(
        shop, shoppers, [o for tale in tales for o in tale.orders], rates
    )
    book = OrderBook(shop, rates, shoppers, drafts, tales, history)
    orders.number_orders(order_rng, book.orders, after=orders.FIRST_ORDER_NUMBER - 1)
    return book


def contacts_of(
    customers: list[Customer], shoppers: list[orders.Shopper]
) -> dict[int, CustomerData]:
    """What each order says about its customer: the customer's e-mail and name."""
    emails = dict(
        Identity.objects.filter(customer__in=customers, kind=IdentityKind.EMAIL)
        .order_by("pk")
        .values_list("customer_id", "value")
    )
    return {
        shopper.index: CustomerData(
            email=emails[customer.pk],
            first_name=customer.first_name,
            last_name=customer.last_name,
            country=shopper.address.country,
        )
        for customer, shopper in zip(customers, shoppers, strict=True)
    }


class Executor:
    """Plays plans through the ticket actions."""

    def __init__(self, setup: Setup, customers: list[Customer]) -> None:
        self.setup = setup
        self.customers = customers

    def run(self, plan: TicketPlan) -> Ticket:
        s = self.setup
        outbound = s.members[plan.outbound_agent] if plan.outbound_agent else None
        customer = self.customers[plan.customer]
        ticket = actions.do_create_ticket(
            store=s.store,
            customer=customer,
            subject=plan.subject,
            body_text=plan.body,
            channel=plan.channel,
            priority=plan.priority,
            language=plan.language,
            group=s.groups[plan.group] if plan.group else None,
            assignee=outbound,
            from_agent=outbound is not None,
            actor=outbound,
            at=plan.created_at,
        )
        duplicate: Ticket | None = None
        for step in plan.steps:
            actor = s.members[step.actor] if step.actor else None
            match step.kind:
                case StepKind.CUSTOMER:
                    actions.do_add_customer_message(ticket, body_text=step.text, at=step.at)
                case StepKind.REPLY:
                    assert actor is not None
                    macro = s.macros[step.macro] if step.macro else None
                    body = render_macro(macro, ticket, actor) if macro else step.text
                    actions.do_add_reply(
                        ticket,
                        body_text=body,
                        then_status=step.then_status,
                        macro_id=macro.pk if macro else None,
                        actor=actor,
                        at=step.at,
                    )
                case StepKind.NOTE:
                    actions.do_add_note(ticket, body_text=step.text, actor=actor, at=step.at)
                case StepKind.ASSIGN:
                    actions.do_assign(
                        ticket,
                        assignee=s.members[step.assignee],
                        group=s.groups[step.group],
                        actor=actor,
                        at=step.at,
                    )
                case StepKind.TAGS:
                    add = [s.tags[name] for name in step.tags]
                    actions.do_change_tags(ticket, add=add, actor=actor, at=step.at)
                case StepKind.PRIORITY:
                    actions.do_change_priority(
                        ticket, priority=step.priority, actor=actor, at=step.at
                    )
                case StepKind.CONFIRM:
                    actions.do_confirm_solution(ticket, actor=None, via=step.via, at=step.at)
                case StepKind.CLOSE:
                    actions.do_change_status(ticket, status=Status.CLOSED, actor=actor, at=step.at)
                case StepKind.DUPLICATE:
                    duplicate = actions.do_create_ticket(
                        store=s.store,
                        customer=customer,
                        subject=plan.subject,
                        body_text=step.text,
                        channel=step.channel,
                        priority=plan.priority,
                        language=plan.language,
                        actor=None,
                        at=step.at,
                    )
                case StepKind.MERGE:
                    assert duplicate is not None
                    actions.do_merge_tickets(duplicate, ticket, actor=actor, at=step.at)
        return ticket


def backdate(tickets: Iterable[int] | None, store: Store) -> None:
    """Set ``updated_at`` to the time of each ticket's last change in its story.

    It is an ``auto_now`` field, so every save stamped it with the wall clock; the timeline
    rows carry the times the actions were given.
    """
    qs = Ticket.objects.filter(store=store)
    if tickets is not None:
        qs = qs.filter(pk__in=list(tickets))
    last_change = (
        TicketEvent.objects.filter(ticket=OuterRef("pk"))
        .order_by()
        .values("ticket")
        .annotate(last=Max("created_at"))
        .values("last")
    )
    qs.update(updated_at=Subquery(last_change))


def backdate_customers(customer_ids: list[int]) -> None:
    """A customer is known since their first ticket or order, whichever came first; so is the
    audit row of their creation."""
    first_ticket = (
        Ticket.objects.filter(customer=OuterRef("pk"))
        .order_by()
        .values("customer")
        .annotate(first=Min("created_at"))
        .values("first")
    )
    first_order = (
        Order.objects.filter(customer=OuterRef("pk"))
        .order_by()
        .values("customer")
        .annotate(first=Min("placed_at"))
        .values("first")
    )
    since = Least(
        Coalesce(Subquery(first_ticket), F("created_at")),
        Coalesce(Subquery(first_order), F("created_at")),
    )
    Customer.objects.filter(pk__in=customer_ids).update(created_at=since, updated_at=since)
    CustomerEvent.objects.filter(customer_id__in=customer_ids, kind="created").update(
        created_at=Subquery(
            Customer.objects.filter(pk=OuterRef("customer_id")).values("created_at")[:1]
        )
    )


def build_demo(
    *,
    seed: int,
    customers: int,
    tickets: int,
    now: datetime | None = None,
    log: Callable[[str], None] = lambda _msg: None,
) -> Setup:
    """Create the demo store with ``customers`` customers, their orders and ``tickets`` ticket
    stories."""
    rng = random.Random(seed)
    # Orders draw from their own generator, so that their details can change without changing
    # the conversations.
    order_rng = random.Random(f"{seed}:orders")
    now = now or timezone.now()
    with transaction.atomic():
        setup = configure_store()
        log(
            _("Store “%(name)s” with a team of %(count)d.")
            % {"name": setup.store.name, "count": len(setup.members)}
        )
        people = random_customers(rng, customers)
        rows = create_customers(rng, people)
        log(
            ngettext("%(count)d customer.", "%(count)d customers.", len(rows))
            % {"count": len(rows)}
        )
        book = plan_book(rng, order_rng, people, tickets, now=now)
        orders.configure_commerce(setup.store, book.rates)
        pairs = plan_tickets(rng, people, book, now=now)
        for plan, story in pairs:
            story.finish(book.shop, plan)
        # Orders before tickets, as they happened. The history is written as an import of the
        # shop's past orders would write it (rows, figures refreshed at the end); the orders
        # the tickets are about arrive as the platform's webhooks deliver them, through
        # ``commerce.sync.do_upsert_order``, which refreshes figures and segments each time.
        contacts = contacts_of(rows, book.shoppers)
        orders.bulk_write(
            setup.store,
            book.history,
            {i: (rows[i].pk, contact.email) for i, contact in contacts.items()},
            book.rates,
            now=now,
        )
        metrics.refresh(setup.store, [c.pk for c in rows], now=now)
        orders.write_orders(
            setup.store, [o for story in book.stories for o in story.orders], contacts, now=now
        )
        backdate_orders(setup.store)
        executor = Executor(setup, rows)
        for plan, _story in pairs:
            executor.run(plan)
        backdate(None, setup.store)
        count = Ticket.objects.filter(store=setup.store).count()
        log(ngettext("%(count)d ticket.", "%(count)d tickets.", count) % {"count": count})
        metrics.refresh(setup.store, [c.pk for c in rows], now=now)
        dates = add_important_dates(
            order_rng,
            rows,
            [c.person for c in people],
            today=timezone.localdate(now, STORE_TZ),
        )
        backdate_customers([c.pk for c in rows])
        log_commerce(setup.store, log)
        log(
            ngettext("%(count)d important date.", "%(count)d important dates.", dates)
            % {"count": dates}
        )
    analyze()
    return setup


def log_commerce(store: Store, log: Callable[[str], None]) -> None:
    """How many orders, shipments and returns the store has, and its customers per segment."""
    counts = {
        "orders": Order.objects.filter(store=store).count(),
        "shipments": Shipment.objects.filter(order__store=store).count(),
        "returns": Return.objects.filter(order__store=store).count(),
        "refunds": Refund.objects.filter(order__store=store).count(),
    }
    log(
        ngettext(
            "%(orders)d order: %(shipments)d shipments, %(returns)d returns, %(refunds)d refunds.",
            "%(orders)d orders: %(shipments)d shipments, %(returns)d returns, %(refunds)d refunds.",
            counts["orders"],
        )
        % counts
    )
    by_segment = dict(
        CustomerSegment.objects.filter(store=store)
        .values_list("segment")
        .annotate(n=Count("id"))
        .order_by()
    )
    log(
        _("Customers per segment: %(segments)s.")
        % {
            "segments": ", ".join(
                f"{label} {by_segment.get(value, 0)}" for value, label in Segment.choices
            )
        }
    )


def backdate_orders(store: Store) -> None:
    """Rows of orders and what followed them are dated when it happened, as a sync that had
    been running all along would have dated them."""
    Order.objects.filter(store=store).update(created_at=F("placed_at"))
    Shipment.objects.filter(order__store=store, shipped_at__isnull=False).update(
        created_at=F("shipped_at")
    )
    Refund.objects.filter(order__store=store).update(created_at=F("refunded_at"))
    Return.objects.filter(order__store=store).update(created_at=F("requested_at"))


def analyze() -> None:
    """Refresh the query planner's statistics of the tables just filled.

    Until autovacuum gets to it, PostgreSQL plans with the statistics of the smaller tables:
    the inbox query then joins every ticket before sorting instead of walking its index
    (hundreds of milliseconds instead of one on 100,000 tickets). SQLite's ANALYZE helps its
    planner the same way.
    """
    models = (
        Ticket,
        Ticket.tags.through,
        Message,
        TicketEvent,
        Customer,
        Identity,
        CustomerEvent,
        Order,
        OrderLine,
        Shipment,
        CustomerStats,
        CustomerSegment,
    )
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def _chunks(ids: list[int], size: int = 2000) -> Iterable[list[int]]:
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


def wipe_demo(store: Store, log: Callable[[str], None] = lambda _msg: None) -> None:
    """Delete the demo store with its tickets, the customers the demo made up (``.example``
    addresses, no tickets left in any store) and the demo team."""
    with transaction.atomic():
        ticket_ids = list(Ticket.objects.filter(store=store).values_list("pk", flat=True))
        # In chunks: the deletion collector holds every related row of a chunk in memory.
        for chunk in _chunks(ticket_ids):
            Ticket.objects.filter(pk__in=chunk).delete()
        log(
            ngettext("Deleted %(count)d ticket.", "Deleted %(count)d tickets.", len(ticket_ids))
            % {"count": len(ticket_ids)}
        )
        made_up = list(
            Customer.objects.filter(
                identities__kind="email",
                identities__value__endswith=data.DEMO_EMAIL_SUFFIX,
                tickets__isnull=True,
            )
            .values_list("pk", flat=True)
            .distinct()
        )
        for chunk in _chunks(made_up):
            Customer.objects.filter(pk__in=chunk).delete()
        log(
            ngettext("Deleted %(count)d customer.", "Deleted %(count)d customers.", len(made_up))
            % {"count": len(made_up)}
        )
        order_ids = list(Order.objects.filter(store=store).values_list("pk", flat=True))
        for chunk in _chunks(order_ids):
            Order.objects.filter(pk__in=chunk).delete()
        store.delete()
        User.objects.filter(email__in=[m.email for m in data.TEAM]).delete()
