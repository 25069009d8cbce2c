"""Built-in notifications: assignment by someone else (a person, routing or a rule) and SLA
warnings and breaches, once per event."""

from datetime import timedelta

import pytest
from django.utils import timezone

from zabota.core import event_types, events
from zabota.core.models import OutboxEvent
from zabota.notifications.constants import Kind
from zabota.notifications.models import Notification
from zabota.sla.actions import sweep
from zabota.sla.models import SlaPolicy
from zabota.tickets.actions import do_assign, do_create_ticket

pytestmark = pytest.mark.django_db


def test_a_lead_assigning_a_ticket_notifies_the_assignee(world, django_capture_on_commit_callbacks):
    """Lena gives Maria's ticket to Anna: Anna is told, by Lena, with a link to the ticket."""
    # when
    with django_capture_on_commit_callbacks(execute=True):
        do_assign(world.maria_ticket, assignee=world.anna, group=world.support, actor=world.lena)
    # then
    [notification] = Notification.objects.filter(recipient=world.anna)
    assert notification.kind == Kind.ASSIGNED
    assert notification.ticket == world.maria_ticket
    assert notification.actor_label == "Lena Lead"
    assert f"#{world.maria_ticket.number}" in notification.title
    assert not Notification.objects.exclude(recipient=world.anna).exists()


def test_taking_a_ticket_yourself_notifies_nobody(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        do_assign(world.maria_ticket, assignee=world.anna, group=world.support, actor=world.anna)
    assert not Notification.objects.exists()


def test_routing_assignment_is_labelled_with_routing(world, django_capture_on_commit_callbacks):
    # when
    with django_capture_on_commit_callbacks(execute=True):
        do_assign(
            world.ivan_ticket,
            assignee=world.piotr,
            group=world.returns,
            actor=None,
            actor_label="routing",
        )
    # then
    [notification] = Notification.objects.filter(recipient=world.piotr)
    assert notification.actor_label == "routing"


def test_an_assignment_event_delivered_twice_notifies_once(
    world, django_capture_on_commit_callbacks
):
    # given
    with django_capture_on_commit_callbacks(execute=True):
        do_assign(world.maria_ticket, assignee=world.anna, group=world.support, actor=world.lena)
    event = OutboxEvent.objects.filter(type=event_types.TICKET_ASSIGNED).latest("pk")
    # when
    OutboxEvent.objects.filter(pk=event.pk).update(dispatched_at=None, done_listeners=[])
    with django_capture_on_commit_callbacks(execute=True):
        assert events.dispatch(event.pk)
    # then
    assert Notification.objects.filter(recipient=world.anna).count() == 1


def test_sla_breach_notifies_the_assignee(world, publish, django_capture_on_commit_callbacks):
    # given
    with django_capture_on_commit_callbacks(execute=True):
        do_assign(world.ivan_ticket, assignee=world.piotr, group=world.returns, actor=world.piotr)
    # when
    publish(event_types.SLA_BREACHED, ticket_id=world.ivan_ticket.pk, targets=["first_reply"])
    # then
    [notification] = Notification.objects.filter(recipient=world.piotr)
    assert notification.kind == Kind.SLA_BREACHED
    assert "first reply" in notification.title
    assert not Notification.objects.filter(recipient=world.lena).exists()


def test_sla_warning_on_an_unassigned_ticket_notifies_the_group_lead(world, publish):
    # when
    publish(event_types.SLA_WARNING, ticket_id=world.maria_ticket.pk, targets=["resolution"])
    # then
    [notification] = Notification.objects.all()
    assert notification.recipient == world.lena
    assert notification.kind == Kind.SLA_WARNING


def test_sla_breach_through_the_real_sweep(world, django_capture_on_commit_callbacks):
    """A 24/7 policy with a one-hour first reply: the sweep two hours later breaches Maria's
    new unassigned ticket and Lena, the lead of Support, hears of it once."""
    # given
    SlaPolicy.objects.create(store=world.store, name="Fast", first_reply_within=timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        ticket = do_create_ticket(
            store=world.store, customer=world.maria, subject="Late", body_text="?", actor=None
        )
    # when
    later = timezone.now() + timedelta(hours=2)
    with django_capture_on_commit_callbacks(execute=True):
        moved = sweep(now=later)
    with django_capture_on_commit_callbacks(execute=True):
        sweep(now=later)
    # then
    assert moved == 1
    [notification] = Notification.objects.filter(recipient=world.lena, ticket=ticket)
    assert notification.kind == Kind.SLA_BREACHED
