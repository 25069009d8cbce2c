import re
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db.models import Count, F
from django.utils import timezone

from zabota.accounts.constants import Role
from zabota.accounts.models import User
from zabota.commerce.models import Store
from zabota.customers.models import Customer
from zabota.demo import data
from zabota.tickets.constants import EventKind, MessageKind, Status
from zabota.tickets.models import Message, Ticket, TicketEvent
from zabota.tickets.search import search_tickets

# Small enough to build in a few seconds, large enough to hold every kind of conversation.
SMALL = {"customers": 40, "stories": 60}


def run_demo(**options) -> str:
    out = StringIO()
    call_command("demo", stdout=out, **options)
    return out.getvalue()


def first_message(ticket: Ticket) -> str:
    message = ticket.messages.order_by("created_at", "id").first()
    assert message is not None
    return message.body_text


def demo_store() -> Store:
    return Store.objects.get(slug=data.STORE_SLUG)


@pytest.mark.django_db
def test_default_demo_has_a_believable_store():
    """`zabota demo` builds the store `make run` shows: every status, every language, merged
    tickets, a history over the last two months, VIP care and returns routed to their groups."""
    # when
    out = run_demo()
    # then
    store = demo_store()
    assert (store.name, store.email, store.time_zone, store.currency) == (
        data.STORE_NAME,
        "support@store.example",
        "Europe/Warsaw",
        "EUR",
    )
    assert store.default_group is not None and store.default_group.name == "Support"
    tickets = Ticket.objects.filter(store=store)
    assert tickets.count() >= 600
    assert set(tickets.values_list("status", flat=True)) == set(Status.values)
    assert set(Customer.objects.values_list("language", flat=True)) == {"en", "ru", "pl", "hu"}
    assert tickets.filter(merged_into__isnull=False).count() >= 3
    by_group = dict(tickets.values_list("group__name").annotate(n=Count("id")))
    assert set(by_group) == {"Support", "Returns & Refunds", "VIP care"}
    now = timezone.now()
    oldest = tickets.order_by("created_at").first()
    assert oldest is not None and now - timedelta(days=61) < oldest.created_at < now - timedelta(
        days=45
    )
    assert not tickets.filter(created_at__gt=now).exists()
    assert "admin@example.com" in out and data.PASSWORD in out


@pytest.mark.django_db
def test_demo_logins_work():
    """Every demo login signs in with the published password and has the role it is shown with."""
    # when
    run_demo(**SMALL)
    # then
    for role, email in data.LOGINS:
        user = authenticate(username=email, password=data.PASSWORD)
        assert user is not None, email
        assert user.role == role
    assert User.objects.get(email="admin@example.com").role == Role.ADMIN
    assert authenticate(username="agent@example.com", password="wrong password") is None


@pytest.mark.django_db
def test_customers_speak_four_languages_with_native_names():
    """Customers write in English, Russian, Polish and Hungarian; Hungarian names are shown
    family name first; Russian names are in Cyrillic; some customers have a phone in E.164."""
    # when
    run_demo(**SMALL)
    # then
    customers = Customer.objects.all()
    assert set(customers.values_list("language", flat=True)) == {"en", "ru", "pl", "hu"}
    for c in customers.filter(language="hu"):
        assert c.display_name == f"{c.last_name} {c.first_name}"
    for c in customers.filter(language="ru"):
        assert re.fullmatch(r"[А-ЯЁа-яё]+ [А-ЯЁа-яё]+", c.display_name), c.display_name
    phones = list(
        customers.filter(identities__kind="phone").values_list("identities__value", flat=True)
    )
    assert phones and all(re.fullmatch(r"\+[1-9]\d{7,14}", p) for p in phones)
    # Each customer writes in their own language.
    assert not Ticket.objects.exclude(language=F("customer__language")).exists()


@pytest.mark.django_db
def test_conversations_are_real_timelines():
    """Conversations were played through the actions: each ticket's timeline has consecutive
    versions in time order, replies count as first reply, and notes stay out of the count."""
    # when
    run_demo(**SMALL)
    # then
    for ticket in Ticket.objects.filter(merged_into__isnull=True):
        events = list(TicketEvent.objects.filter(ticket=ticket).order_by("version"))
        assert [e.version for e in events] == list(range(1, ticket.version + 1))
        assert events[0].kind == EventKind.CREATED
        times = [e.created_at for e in events]
        assert times == sorted(times), ticket.number
        assert ticket.created_at == events[0].created_at
        visible = ticket.messages.exclude(kind=MessageKind.NOTE)
        assert ticket.message_count == visible.count()
        first_reply = ticket.messages.filter(kind=MessageKind.AGENT).order_by("created_at").first()
        if first_reply is not None:
            assert ticket.first_reply_at == first_reply.created_at
    assert Message.objects.filter(kind=MessageKind.NOTE).exists()
    assert (
        Message.objects.exclude(channel_meta__macro_id=None).filter(kind=MessageKind.AGENT).exists()
    )


@pytest.mark.django_db
def test_rerun_is_a_no_op(world):
    """With a demo store in place (here the test world's), `zabota demo` changes nothing."""
    # given
    tickets, customers, users = (
        Ticket.objects.count(),
        Customer.objects.count(),
        User.objects.count(),
    )
    # when
    out = run_demo(**SMALL)
    # then
    assert "exists already" in out
    assert (Ticket.objects.count(), Customer.objects.count(), User.objects.count()) == (
        tickets,
        customers,
        users,
    )


@pytest.mark.django_db
def test_same_seed_same_demo():
    """The demo is deterministic: --reset with the same seed rebuilds the same conversations,
    and removes the old rows instead of adding to them."""
    # given
    run_demo(seed=3, **SMALL)
    first = list(
        Ticket.objects.order_by("number").values_list("number", "subject", "customer__display_name")
    )
    old_ids = set(Ticket.objects.values_list("pk", flat=True))
    # when
    run_demo(seed=3, reset=True, **SMALL)
    # then
    again = list(
        Ticket.objects.order_by("number").values_list("number", "subject", "customer__display_name")
    )
    assert again == first
    assert not Ticket.objects.filter(pk__in=old_ids).exists()
    assert Customer.objects.count() == SMALL["customers"]


@pytest.mark.django_db
def test_bulk_tickets_add_exactly_n_with_consistent_rows():
    """--tickets N adds exactly N tickets numbered on from the store's sequence, each with 2–4
    messages, a 'created' timeline row and fields that agree with its messages."""
    # given
    run_demo(**SMALL)
    before = Ticket.objects.count()
    seq = demo_store().ticket_seq
    # when
    run_demo(tickets=300)
    # then
    assert Ticket.objects.count() == before + 300
    assert demo_store().ticket_seq == seq + 300
    bulk = Ticket.objects.filter(number__gt=seq)
    assert sorted(bulk.values_list("number", flat=True)) == list(range(seq + 1, seq + 301))
    for ticket in bulk.prefetch_related("messages", "events"):
        messages = sorted(ticket.messages.all(), key=lambda m: (m.created_at, m.pk))
        assert 2 <= len(messages) <= 4
        events = sorted(ticket.events.all(), key=lambda e: e.version)
        assert events[0].kind == EventKind.CREATED
        assert events[0].data["message_id"] == messages[0].pk
        assert [e.version for e in events] == list(range(1, ticket.version + 1))
        visible = [m for m in messages if m.kind != MessageKind.NOTE]
        assert ticket.message_count == len(visible)
        assert ticket.last_activity_at == visible[-1].created_at
        assert ticket.created_at == messages[0].created_at
        assert all(m.original_ticket_number == ticket.number for m in messages)
        if ticket.status == Status.AWAITING_CONFIRMATION:
            assert ticket.awaiting_since is not None
        if ticket.status in (Status.SOLVED, Status.CLOSED):
            assert ticket.solved_at is not None
    statuses = set(bulk.values_list("status", flat=True))
    assert {Status.NEW, Status.PENDING, Status.CLOSED} <= statuses
    assert Customer.objects.filter(tickets__in=bulk).distinct().count() > 1


@pytest.mark.django_db
def test_bulk_ticket_is_found_by_full_text_search():
    """Bulk-inserted messages are in the search index: a ticket is found by its order number
    and by a word of its first message."""
    # given
    run_demo(**SMALL)
    seq = demo_store().ticket_seq
    run_demo(tickets=300)
    admin = User.objects.get(email="admin@example.com")
    # The first bulk ticket whose opening message names an order number.
    ticket, order = next(
        (t, found)
        for t in Ticket.objects.filter(number__gt=seq).order_by("number")
        if (found := re.search(r"#(\d{7})\b", first_message(t)))
    )
    # when
    by_order = list(search_tickets(admin, order.group(1)))
    # then
    assert [t.pk for t in by_order] == [ticket.pk]
    longest_word = max(re.findall(r"[^\W\d_]+", first_message(ticket)), key=len)
    by_word_and_order = list(search_tickets(admin, f"{longest_word} {order.group(1)}"))
    assert [t.pk for t in by_word_and_order] == [ticket.pk]


@pytest.mark.django_db
def test_demo_has_automation_that_acts_on_new_events_only():
    """Business hours, SLA policies with running clocks on the active tickets, routing and
    rules; the history's events were delivered before the rules existed, so no rule touched
    the made-up past."""
    from zabota.automation.models import Rule, RuleApplication
    from zabota.core.models import OutboxEvent
    from zabota.routing.models import GroupRouting
    from zabota.sla.models import BusinessCalendar, SlaPolicy, TicketSla

    # when
    out = run_demo(**SMALL)
    # then
    store = demo_store()
    assert BusinessCalendar.objects.get(store=store, is_default=True).weekly_hours.count() == 6
    # Chat, e-mail and web form, everything else; and callbacks (zabota.callbacks.demo), first.
    assert list(
        SlaPolicy.objects.filter(store=store)
        .order_by("position")
        .values_list("channels", flat=True)
    ) == [["callback"], ["chat"], ["email", "web"], []]
    assert Rule.objects.filter(store=store, is_active=True).count() == 3
    assert GroupRouting.objects.filter(group__store=store).count() == 2
    active = Ticket.objects.filter(store=store, status__in=[Status.NEW, Status.OPEN])
    assert TicketSla.objects.filter(ticket__in=active).count() == active.count() > 0
    assert not RuleApplication.objects.exists()
    assert not OutboxEvent.objects.filter(dispatched_at__isnull=True).exists()
    assert "SLA clocks" in out
