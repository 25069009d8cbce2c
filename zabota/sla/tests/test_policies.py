"""SLA policies start clocks on new tickets and move them on replies, customer messages and
status changes; the sweep turns passed warning and due times into warnings and breaches.

Office calendar of the demo store (Europe/Warsaw): Monday to Friday 09:00–17:00, closed on
11 November 2026 (Independence Day). UTC times below: CET is UTC+1, CEST (until Sunday
25 October 2026, 03:00) is UTC+2.
"""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from zabota.commerce.models import CustomerSegment
from zabota.conftest import PASSWORD
from zabota.core import event_types
from zabota.core.models import OutboxEvent
from zabota.sla.actions import sweep
from zabota.sla.constants import TargetState, Weekday
from zabota.sla.models import BusinessCalendar, Holiday, SlaPolicy, TicketSla, WeeklyHours
from zabota.tickets.actions import (
    do_add_customer_message,
    do_add_reply,
    do_change_status,
    do_create_ticket,
)
from zabota.tickets.constants import Channel, EventKind, Status
from zabota.tickets.models import Ticket, TicketEvent
from zabota.tickets.queries import InboxFilter, inbox_page

pytestmark = pytest.mark.django_db

HOUR = timedelta(hours=1)


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def office(world) -> BusinessCalendar:
    calendar = BusinessCalendar.objects.create(store=world.store, name="Office")
    for weekday in range(Weekday.FRIDAY + 1):
        WeeklyHours.objects.create(
            calendar=calendar, weekday=weekday, opens=time(9), closes=time(17)
        )
    Holiday.objects.create(calendar=calendar, date=date(2026, 11, 11), name="Independence Day")
    return calendar


@pytest.fixture
def standard(world, office) -> SlaPolicy:
    return SlaPolicy.objects.create(
        store=world.store,
        name="Standard",
        position=10,
        first_reply_within=2 * HOUR,
        next_reply_within=4 * HOUR,
        resolution_within=8 * HOUR,
        calendar=office,
    )


@pytest.fixture
def capture(django_capture_on_commit_callbacks):
    def run(action, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return action(*args, **kwargs)

    return run


def _new_ticket(world, capture, **fields) -> Ticket:
    return capture(
        do_create_ticket,
        store=world.store,
        customer=world.maria,
        subject="Where is my parcel?",
        body_text="Ordered a week ago.",
        actor=None,
        **fields,
    )


def _sla(ticket: Ticket) -> TicketSla:
    return TicketSla.objects.get(pk=ticket.pk)


def test_due_times_skip_the_night_and_the_weekend(world, standard, capture):
    """Friday 6 November 2026, 16:00 CET: one business hour left that day, the rest on Monday."""
    # given / when
    with freeze_time(_utc(2026, 11, 6, 15)):
        ticket = _new_ticket(world, capture)
    # then
    sla = _sla(ticket)
    assert sla.policy == standard
    assert sla.first_reply_due == _utc(2026, 11, 9, 9)  # Monday 10:00 CET
    # 80 % of two hours (96 minutes): one hour on Friday, 36 minutes on Monday.
    assert sla.first_reply_warn_at == _utc(2026, 11, 9, 8, 36)
    assert sla.resolution_due == _utc(2026, 11, 9, 15)  # Monday 16:00 CET
    assert sla.next_reply_due is None
    assert (sla.state, sla.next_due) == (TargetState.DUE, sla.first_reply_due)


def test_a_holiday_is_skipped(world, standard, capture):
    """Tuesday 10 November, 16:00 CET: Wednesday is Independence Day, so Thursday 10:00."""
    with freeze_time(_utc(2026, 11, 10, 15)):
        ticket = _new_ticket(world, capture)
    assert _sla(ticket).first_reply_due == _utc(2026, 11, 12, 9)


def test_due_times_cross_the_dst_change(world, standard, capture):
    """Friday 23 October, 16:00 CEST (14:00 UTC); clocks go back on Sunday 25 October, so
    Monday 10:00 is CET (09:00 UTC)."""
    with freeze_time(_utc(2026, 10, 23, 14)):
        ticket = _new_ticket(world, capture)
    sla = _sla(ticket)
    assert sla.first_reply_due == _utc(2026, 10, 26, 9)
    assert sla.resolution_due == _utc(2026, 10, 26, 15)


def test_the_first_matching_policy_in_order_wins(world, standard, capture):
    """A chat-only policy ordered first does not apply to e-mail; urgent chat gets its own."""
    # given
    SlaPolicy.objects.create(
        store=world.store,
        name="Urgent chat",
        position=1,
        channels=[Channel.CHAT],
        priorities=[40],
        first_reply_within=timedelta(minutes=5),
    )
    # when
    with freeze_time(_utc(2026, 11, 16, 8)):
        email = _new_ticket(world, capture)
        chat = _new_ticket(world, capture, channel=Channel.CHAT, priority=40)
    # then
    assert _sla(email).policy == standard
    chat_sla = _sla(chat)
    assert chat_sla.policy is not None and chat_sla.policy.name == "Urgent chat"
    # No calendar: 24/7.
    assert chat_sla.first_reply_due == _utc(2026, 11, 16, 8, 5)
    assert chat_sla.resolution_due is None


def test_vip_customers_get_halved_targets(world, capture):
    """A 24/7 policy with a VIP factor of 0.5: four hours become two for a VIP."""
    # given
    SlaPolicy.objects.create(
        store=world.store,
        name="Everyone",
        first_reply_within=4 * HOUR,
        segment_factors={"vip": 0.5},
    )
    CustomerSegment.objects.create(store=world.store, customer=world.maria, segment="vip")
    # when
    with freeze_time(_utc(2026, 11, 14, 12)):  # a Saturday: no calendar, so it counts
        vip = _new_ticket(world, capture)
        regular = capture(
            do_create_ticket,
            store=world.store,
            customer=world.ivan,
            subject="Return",
            body_text="Too small.",
            actor=None,
        )
    # then
    assert _sla(vip).first_reply_due == _utc(2026, 11, 14, 14)
    assert _sla(vip).factor == 0.5
    assert _sla(regular).first_reply_due == _utc(2026, 11, 14, 16)


def test_a_store_without_matching_policy_starts_no_clock(world, capture):
    SlaPolicy.objects.create(store=world.store, name="Chat", channels=[Channel.CHAT])
    ticket = _new_ticket(world, capture)
    assert not TicketSla.objects.filter(pk=ticket.pk).exists()


def test_replies_meet_targets_and_customer_messages_owe_the_next_reply(world, standard, capture):
    """Monday 16 November 09:00 CET: Anna replies at 10:00, Maria writes at 11:00, Anna
    answers at 12:00, and the ticket is solved at 13:00."""
    # given
    with freeze_time(_utc(2026, 11, 16, 8)):
        ticket = _new_ticket(world, capture)
    # when: the first reply
    with freeze_time(_utc(2026, 11, 16, 9)):
        capture(
            do_add_reply, ticket, body_text="On its way.", then_status=Status.OPEN, actor=world.anna
        )
    sla = _sla(ticket)
    assert sla.first_reply_state == TargetState.MET
    assert sla.first_reply_seconds == 3600
    assert sla.next_due == sla.resolution_due == _utc(2026, 11, 16, 16)
    # when: Maria writes again
    with freeze_time(_utc(2026, 11, 16, 10)):
        capture(do_add_customer_message, ticket, body_text="Still nothing.")
    sla = _sla(ticket)
    assert sla.next_reply_due == _utc(2026, 11, 16, 14)
    assert sla.next_reply_state == TargetState.DUE
    assert sla.next_due == _utc(2026, 11, 16, 14)
    # when: Anna answers, then the ticket is solved
    with freeze_time(_utc(2026, 11, 16, 11)):
        capture(
            do_add_reply, ticket, body_text="Found it.", then_status=Status.OPEN, actor=world.anna
        )
    with freeze_time(_utc(2026, 11, 16, 12)):
        capture(do_change_status, ticket, status=Status.SOLVED, actor=world.anna)
    # then
    sla = _sla(ticket)
    assert (sla.next_reply_state, sla.next_reply_due) == (TargetState.MET, None)
    assert sla.resolution_state == TargetState.MET
    assert sla.resolved_at == _utc(2026, 11, 16, 12)
    assert sla.resolution_seconds == 4 * 3600
    assert (sla.state, sla.next_due) == (TargetState.MET, None)


def test_pending_pauses_the_clock_and_resuming_shifts_the_due_times(world, standard, capture):
    """Created Monday 16 November 09:00 CET, pending from 10:00 until Tuesday 10:00: eight
    business hours paused, so the resolution (seven hours left) is due Tuesday 17:00."""
    # given
    with freeze_time(_utc(2026, 11, 16, 8)):
        ticket = _new_ticket(world, capture)
        capture(do_add_reply, ticket, body_text="Hello!", then_status=Status.OPEN, actor=world.anna)
    with freeze_time(_utc(2026, 11, 16, 9)):
        capture(do_change_status, ticket, status=Status.PENDING, actor=world.anna)
    # when: the due time passes while paused
    with freeze_time(_utc(2026, 11, 16, 17)):
        moved = sweep()
    # then
    assert moved == 0
    assert _sla(ticket).paused_at == _utc(2026, 11, 16, 9)
    # when: the ticket is opened again
    with freeze_time(_utc(2026, 11, 17, 9)):
        capture(do_change_status, ticket, status=Status.OPEN, actor=world.anna)
    # then
    sla = _sla(ticket)
    assert sla.paused_at is None
    assert sla.paused_total == 8 * HOUR
    assert sla.resolution_due == _utc(2026, 11, 17, 16)
    assert sla.state == TargetState.DUE


def test_the_sweep_warns_then_breaches_once(world, standard, capture):
    """First reply due Monday 16 November 11:00 CET (warning at 10:36)."""
    # given
    with freeze_time(_utc(2026, 11, 16, 8)):
        ticket = _new_ticket(world, capture)
    # when: before the warning time nothing happens
    assert sweep(now=_utc(2026, 11, 16, 9, 35)) == 0
    # when: past the warning time
    with CaptureQueriesContext(connection) as queries:
        warned = capture(sweep, now=_utc(2026, 11, 16, 9, 40))
    # then
    assert warned == 1
    sla = _sla(ticket)
    assert (sla.state, sla.first_reply_state) == (TargetState.WARNING, TargetState.WARNING)
    assert sla.resolution_state == TargetState.DUE
    # when: past the due time, twice
    with freeze_time(_utc(2026, 11, 16, 10, 5)):
        breached = capture(sweep)
        again = capture(sweep)
    # then
    assert (breached, again) == (1, 0)
    sla = _sla(ticket)
    assert (sla.state, sla.first_reply_state) == (TargetState.BREACHED, TargetState.BREACHED)
    timeline = list(
        TicketEvent.objects.filter(ticket=ticket, kind=EventKind.SLA)
        .order_by("version")
        .values_list("data", flat=True)
    )
    assert timeline == [
        {"sla": "warning", "targets": ["first_reply"]},
        {"sla": "breached", "targets": ["first_reply"]},
    ]
    published = list(
        OutboxEvent.objects.filter(type__in=[event_types.SLA_WARNING, event_types.SLA_BREACHED])
        .order_by("pk")
        .values_list("type", "payload")
    )
    assert published == [
        (event_types.SLA_WARNING, {"ticket_id": ticket.pk, "targets": ["first_reply"]}),
        (event_types.SLA_BREACHED, {"ticket_id": ticket.pk, "targets": ["first_reply"]}),
    ]
    # A warning costs a fixed number of queries, whatever the number of tickets (with the
    # dispatch of its event to the listeners: rules, webhooks, the assignee's notification).
    assert len(queries) <= 35
    # when: a late reply keeps the breach on record
    with freeze_time(_utc(2026, 11, 16, 10, 30)):
        capture(do_add_reply, ticket, body_text="Sorry!", then_status=Status.OPEN, actor=world.anna)
    sla = _sla(ticket)
    assert sla.first_reply_state == TargetState.BREACHED
    # The resolution is still running, so that is what the ticket shows.
    assert (sla.state, sla.next_due) == (TargetState.DUE, sla.resolution_due)


def test_the_ticket_page_shows_the_sla_badge_and_timeline_row(world, standard, capture, client):
    """Lena opens a ticket whose first reply was breached by the sweep."""
    # given
    with freeze_time(_utc(2026, 11, 16, 8)):
        ticket = _new_ticket(world, capture)
    capture(sweep, now=_utc(2026, 11, 16, 10, 5))
    client.login(email=world.lena.email, password=PASSWORD)
    # when
    page = client.get(reverse("web:ticket", args=[ticket.pk])).content.decode()
    # then
    assert '<span class="pill sla sla-breached"' in page
    assert "SLA breached: first reply" in page


def test_the_ticket_page_shows_when_the_sla_is_due(world, standard, capture, client):
    # given
    now = timezone.now()
    ticket = _new_ticket(world, capture)
    TicketSla.objects.filter(pk=ticket.pk).update(
        state=TargetState.DUE, next_due=now + timedelta(hours=3, minutes=1), paused_at=None
    )
    client.login(email=world.lena.email, password=PASSWORD)
    # when
    page = client.get(reverse("web:ticket", args=[ticket.pk])).content.decode()
    # then
    assert "due in 3\xa0hours" in page


def test_the_inbox_sorts_by_sla_due_time_page_by_page(world, standard, capture, client):
    """Breached first, then the earliest due, tickets without a clock last; the keyset cursor
    walks the same order one ticket per page, and the page costs no extra query."""
    # given: two clocks (created 09:00 and 10:00 CET) and the fixture's tickets without one
    with freeze_time(_utc(2026, 11, 16, 9)):
        later = _new_ticket(world, capture)
    with freeze_time(_utc(2026, 11, 16, 8)):
        sooner = _new_ticket(world, capture)
    capture(sweep, now=_utc(2026, 11, 16, 10, 30))  # breaches "sooner" (due 10:00 UTC)
    expected = [sooner.pk, later.pk, *sorted([world.ivan_ticket.pk, world.maria_ticket.pk])]
    # when
    seen, cursor = [], ""
    for _ in range(5):
        page = inbox_page(world.lena, InboxFilter(view="all", sort="sla"), cursor=cursor, limit=1)
        seen += [ticket.pk for ticket in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    # then
    assert seen == expected
    with CaptureQueriesContext(connection) as queries:
        inbox_page(world.lena, InboxFilter(view="all", sort="sla"))
    assert len(queries) == 2  # the tickets (joined with their clocks) and their tags
    client.login(email=world.lena.email, password=PASSWORD)
    assert client.get(reverse("web:inbox") + "?view=all&sort=sla").status_code == 200


def test_inbox_rows_show_the_sla_state_and_follow_its_changes(world, standard, capture, client):
    """The row is cached by ticket version; the clock's state is part of its key too."""
    # given
    with freeze_time(_utc(2026, 11, 16, 8)):
        ticket = _new_ticket(world, capture)
    client.login(email=world.lena.email, password=PASSWORD)
    url = reverse("web:inbox") + "?view=all"
    assert '<span class="pill sla sla-due"' in client.get(url).content.decode()
    # when
    TicketSla.objects.filter(pk=ticket.pk).update(state=TargetState.WARNING)
    # then
    page = client.get(url).content.decode()
    assert '<span class="pill sla sla-warning"' in page
    assert "SLA warning" in page
