"""The default demo dataset, built through the real actions so that timelines and the outbox are
exactly what the product would have written; and ``--reset``, which removes it again.
"""

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models import F, Max, Min, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from zabota.accounts.models import Group, User
from zabota.commerce.models import Store
from zabota.customers.actions import check_create_customer, do_update_customer
from zabota.customers.error_codes import CustomerError
from zabota.customers.models import Customer, CustomerEvent, Identity
from zabota.demo import data
from zabota.demo.names import (
    LANGUAGES,
    email_candidates,
    random_person,
    random_phone,
    social_handle,
)
from zabota.demo.plans import DemoCustomer, Planner, StepKind, TicketPlan
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


def ticket_plans(
    rng: random.Random, people: list[DemoCustomer], count: int, *, now: datetime
) -> list[TicketPlan]:
    """One ticket for every customer first, the rest to returning customers (VIPs write more);
    oldest first, so ticket numbers grow with time."""
    planner = Planner(rng, now=now)
    owners = list(range(len(people)))
    rng.shuffle(owners)
    owners = owners[:count]
    weights = [4 if c.vip else 1 for c in people]
    owners += rng.choices(range(len(people)), weights=weights, k=count - len(owners))
    order_numbers = rng.sample(range(100_000, 1_000_000), count)
    plans = [
        planner.plan(
            customer_index=owner,
            customer=people[owner],
            order_number=order_numbers[i],
            duplicate=rng.random() < DUPLICATE_SHARE,
        )
        for i, owner in enumerate(owners)
    ]
    plans.sort(key=lambda p: p.created_at)
    return plans


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
    """A customer is known since their first ticket; so is the audit row of their creation."""
    first_ticket = (
        Ticket.objects.filter(customer=OuterRef("pk"))
        .order_by()
        .values("customer")
        .annotate(first=Min("created_at"))
        .values("first")
    )
    since = Coalesce(Subquery(first_ticket), F("created_at"))
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
    """Create the demo store with ``customers`` customers and ``tickets`` ticket stories."""
    rng = random.Random(seed)
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
        executor = Executor(setup, rows)
        for plan in ticket_plans(rng, people, tickets, now=now):
            executor.run(plan)
        backdate(None, setup.store)
        backdate_customers([c.pk for c in rows])
        count = Ticket.objects.filter(store=setup.store).count()
        log(ngettext("%(count)d ticket.", "%(count)d tickets.", count) % {"count": count})
    analyze()
    return setup


def analyze() -> None:
    """Refresh the query planner's statistics of the tables just filled.

    Until autovacuum gets to it, PostgreSQL plans with the statistics of the smaller tables:
    the inbox query then joins every ticket before sorting instead of walking its index
    (hundreds of milliseconds instead of one on 100,000 tickets). SQLite's ANALYZE helps its
    planner the same way.
    """
    models = (Ticket, Ticket.tags.through, Message, TicketEvent, Customer, Identity, CustomerEvent)
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
        store.delete()
        User.objects.filter(email__in=[m.email for m in data.TEAM]).delete()
