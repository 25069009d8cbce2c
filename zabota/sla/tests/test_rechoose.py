"""A ticket's policy follows what it is now: a new priority, a customer who became VIP, a
ticket moved to another customer. Due times are counted again from the clock's start.

Office calendar (Europe/Warsaw, CET = UTC+1): Monday to Friday 09:00–17:00."""

from datetime import time, timedelta

import pytest
from freezegun import freeze_time

from zabota.commerce.constants import Segment
from zabota.commerce.models import CustomerSegment
from zabota.core import event_types
from zabota.core.events import publish_on_commit
from zabota.sla.constants import TargetState, Weekday
from zabota.sla.models import BusinessCalendar, SlaPolicy, TicketSla, WeeklyHours
from zabota.sla.tests.test_policies import _utc
from zabota.tickets.actions import do_add_reply, do_change_priority, do_create_ticket
from zabota.tickets.constants import Priority, Status

pytestmark = pytest.mark.django_db

HOUR = timedelta(hours=1)


@pytest.fixture
def capture(django_capture_on_commit_callbacks):
    def run(action, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return action(*args, **kwargs)

    return run


def _new_ticket(world, capture, customer=None):
    return capture(
        do_create_ticket,
        store=world.store,
        customer=customer or world.maria,
        subject="Where is my parcel?",
        body_text="Ordered a week ago.",
        actor=None,
    )


@pytest.fixture
def office(world) -> BusinessCalendar:
    calendar = BusinessCalendar.objects.create(store=world.store, name="Office")
    for weekday in range(Weekday.FRIDAY + 1):
        WeeklyHours.objects.create(
            calendar=calendar, weekday=weekday, opens=time(9), closes=time(17)
        )
    return calendar


@pytest.fixture
def policies(world, office) -> tuple[SlaPolicy, SlaPolicy]:
    urgent = SlaPolicy.objects.create(
        store=world.store,
        name="Urgent",
        position=1,
        priorities=[Priority.URGENT],
        first_reply_within=HOUR / 2,
        resolution_within=2 * HOUR,
        calendar=office,
    )
    standard = SlaPolicy.objects.create(
        store=world.store,
        name="Standard",
        position=10,
        first_reply_within=4 * HOUR,
        resolution_within=16 * HOUR,
        segment_factors={Segment.VIP: 0.5},
        calendar=office,
    )
    return urgent, standard


def test_a_ticket_raised_to_urgent_gets_the_urgent_targets_from_its_start(world, policies, capture):
    """Created Monday 16 November 09:00 CET under Standard (first reply by 13:00); raised to
    urgent at 09:10, its first reply is due at 09:30 and its resolution at 11:00."""
    urgent, standard = policies
    # given
    with freeze_time(_utc(2026, 11, 16, 8)):
        ticket = _new_ticket(world, capture)
    assert TicketSla.objects.get(pk=ticket.pk).policy == standard
    # when
    with freeze_time(_utc(2026, 11, 16, 8, 10)):
        capture(do_change_priority, ticket, priority=Priority.URGENT, actor=world.anna)
    # then
    sla = TicketSla.objects.get(pk=ticket.pk)
    assert sla.policy == urgent
    assert sla.first_reply_due == _utc(2026, 11, 16, 8, 30)
    assert sla.resolution_due == _utc(2026, 11, 16, 10)
    assert (sla.state, sla.next_due) == (TargetState.DUE, _utc(2026, 11, 16, 8, 30))


def test_a_met_target_stays_met_when_the_policy_changes(world, policies, capture):
    # given: answered at 09:20, then raised to urgent at 09:40
    urgent, _standard = policies
    with freeze_time(_utc(2026, 11, 16, 8)):
        ticket = _new_ticket(world, capture)
    with freeze_time(_utc(2026, 11, 16, 8, 20)):
        capture(do_add_reply, ticket, body_text="On it.", then_status=Status.OPEN, actor=world.anna)
    # when
    with freeze_time(_utc(2026, 11, 16, 8, 40)):
        capture(do_change_priority, ticket, priority=Priority.URGENT, actor=world.anna)
    # then
    sla = TicketSla.objects.get(pk=ticket.pk)
    assert sla.policy == urgent
    assert sla.first_reply_state == TargetState.MET
    assert sla.resolution_due == _utc(2026, 11, 16, 10)


def test_a_customer_who_becomes_vip_has_their_open_tickets_halved(world, policies, capture):
    """Standard first reply 4 hours; as VIP (factor 0.5) 2 hours from the same start."""
    # given
    with freeze_time(_utc(2026, 11, 16, 8)):
        ticket = _new_ticket(world, capture)
        ivans = _new_ticket(world, capture, customer=world.ivan)
    assert TicketSla.objects.get(pk=ticket.pk).first_reply_due == _utc(2026, 11, 16, 12)
    # when: the segment sweep makes Maria VIP and says so
    with freeze_time(_utc(2026, 11, 16, 9)):
        CustomerSegment.objects.create(store=world.store, customer=world.maria, segment="vip")
        capture(
            publish_on_commit,
            event_types.CUSTOMER_SEGMENT_CHANGED,
            customer_id=world.maria.pk,
            store_id=world.store.pk,
            added=["vip"],
            removed=[],
        )
    # then
    sla = TicketSla.objects.get(pk=ticket.pk)
    assert sla.factor == 0.5
    assert sla.first_reply_due == _utc(2026, 11, 16, 10)
    assert sla.resolution_due == _utc(2026, 11, 16, 16)
    # Ivan's ticket (another customer) is not touched.
    other = TicketSla.objects.get(pk=ivans.pk)
    assert (other.factor, other.first_reply_due) == (1.0, _utc(2026, 11, 16, 12))


def test_a_segment_no_policy_looks_at_leaves_the_clocks_alone(world, policies, capture):
    """The customer's clock is as it was even though a policy would now read it differently:
    a change of a segment no policy uses is not a reason to choose again."""
    # given: Maria's ticket under the standard policy, then VIP without anybody saying so
    with freeze_time(_utc(2026, 11, 16, 8)):
        ticket = _new_ticket(world, capture)
    CustomerSegment.objects.create(store=world.store, customer=world.maria, segment="vip")
    # when: the sweep reports another segment
    with freeze_time(_utc(2026, 11, 16, 9)):
        capture(
            publish_on_commit,
            event_types.CUSTOMER_SEGMENT_CHANGED,
            customer_id=world.maria.pk,
            store_id=world.store.pk,
            added=["passionate"],
            removed=[],
        )
    # then
    sla = TicketSla.objects.get(pk=ticket.pk)
    assert (sla.factor, sla.first_reply_due) == (1.0, _utc(2026, 11, 16, 12))


def test_a_ticket_without_a_policy_gets_one_when_it_starts_to_match(world, office, capture):
    """Only urgent tickets have a policy: a normal ticket has no clock until it is raised."""
    # given
    SlaPolicy.objects.create(
        store=world.store,
        name="Urgent only",
        priorities=[Priority.URGENT],
        first_reply_within=HOUR,
        calendar=office,
    )
    with freeze_time(_utc(2026, 11, 16, 8)):
        ticket = _new_ticket(world, capture)
    assert not TicketSla.objects.filter(pk=ticket.pk).exists()
    # when
    with freeze_time(_utc(2026, 11, 16, 8, 15)):
        capture(do_change_priority, ticket, priority=Priority.URGENT, actor=world.anna)
    # then: counted from the ticket's creation
    sla = TicketSla.objects.get(pk=ticket.pk)
    assert sla.first_reply_due == _utc(2026, 11, 16, 9)
