"""The rule action "notify", saved through the rule validation and run by the engine."""

import pytest
from django.core.exceptions import ValidationError

from zabota.automation.actions import ACTIONS
from zabota.automation.constants import TIME_TRIGGER
from zabota.automation.engine import preview, sweep_time_rules
from zabota.automation.models import Rule, RuleApplication
from zabota.automation.rules import check_save_rule
from zabota.core import event_types, events
from zabota.core.models import OutboxEvent
from zabota.notifications.constants import Kind
from zabota.notifications.models import Notification
from zabota.tickets.actions import do_create_ticket

pytestmark = pytest.mark.django_db


def _save(world, to: str) -> Rule:
    return check_save_rule(
        Rule(),
        store=world.store,
        name="VIP first",
        is_active=True,
        order=0,
        triggers=[event_types.TICKET_CREATED],
        match="all",
        conditions=[],
        actions=[{"type": "notify", "params": {"to": to}}],
        actor=world.ada,
    )


def _new_ticket(world, capture, group=None):
    with capture(execute=True):
        return do_create_ticket(
            store=world.store,
            customer=world.maria,
            subject="Broken zipper",
            body_text="Help.",
            group=group,
            actor=None,
        )


def test_notify_the_group_tells_each_member_once(world, django_capture_on_commit_callbacks):
    """A new Support ticket: Anna (Support's only member) is told, under the rule's name."""
    # given
    _save(world, "group")
    # when
    ticket = _new_ticket(world, django_capture_on_commit_callbacks)
    # then
    [notification] = Notification.objects.all()
    assert notification.recipient == world.anna
    assert notification.ticket == ticket
    assert notification.kind == Kind.RULE
    assert notification.actor_label == "rule: VIP first"
    application = RuleApplication.objects.get(ticket=ticket)
    assert application.actions_applied == [{"type": "notify", "summary": "notify anna@example.com"}]


def test_notify_the_lead_and_an_agent_by_email(world, django_capture_on_commit_callbacks):
    # given
    _save(world, "lead")
    by_email = _save(world, "PIOTR@example.com")
    # when
    _new_ticket(world, django_capture_on_commit_callbacks)
    # then
    recipients = set(Notification.objects.values_list("recipient__email", flat=True))
    assert recipients == {"lena@example.com", "piotr@example.com"}
    by_email.refresh_from_db()
    assert by_email.actions == [{"type": "notify", "params": {"to": world.piotr.pk}}]


def test_notify_the_assignee_of_an_unassigned_ticket_does_nothing(
    world, django_capture_on_commit_callbacks
):
    # given
    _save(world, "assignee")
    # when
    ticket = _new_ticket(world, django_capture_on_commit_callbacks)
    # then
    assert not Notification.objects.exists()
    assert RuleApplication.objects.get(ticket=ticket).actions_applied == []


def test_the_event_delivered_twice_notifies_once(world, django_capture_on_commit_callbacks):
    # given
    _save(world, "group")
    _new_ticket(world, django_capture_on_commit_callbacks)
    event = OutboxEvent.objects.filter(type=event_types.TICKET_CREATED).latest("pk")
    # when
    OutboxEvent.objects.filter(pk=event.pk).update(dispatched_at=None, done_listeners=[])
    with django_capture_on_commit_callbacks(execute=True):
        events.dispatch(event.pk)
    # then
    assert Notification.objects.count() == 1


@pytest.mark.parametrize("to", ["", "nobody@example.com", "everyone"])
def test_unknown_recipients_are_refused_when_the_rule_is_saved(world, to):
    with pytest.raises(ValidationError):
        _save(world, to)
    assert not Rule.objects.exists()


def test_inactive_agent_is_refused(world):
    world.piotr.is_active = False
    world.piotr.save()
    with pytest.raises(ValidationError):
        _save(world, "piotr@example.com")


def test_options_offer_the_audiences_and_active_agents(world):
    # given
    world.piotr.is_active = False
    world.piotr.save()
    # when
    action = ACTIONS["notify"]
    assert action.options is not None
    values = [value for value, _label in action.options(world.store)]
    # then
    assert values[:3] == ["assignee", "group", "lead"]
    assert "anna@example.com" in values
    assert "piotr@example.com" not in values


def test_preview_describes_whom_it_would_notify(world):
    rule = _save(world, "lead")
    [row] = preview(rule, [world.maria_ticket])
    assert row.would_do == ["notify Lena Lead"]


def test_a_time_rule_notifies_once_per_application(world, django_capture_on_commit_callbacks):
    """Time-based rules run outside any event: the sweep run twice notifies the lead once per
    ticket, keyed by the rule's application."""
    # given
    rule = _save(world, "lead")
    rule.triggers = [TIME_TRIGGER]
    rule.conditions = [{"field": "ticket.status", "op": "is", "value": "new"}]
    rule.full_clean()
    rule.save()
    # when
    with django_capture_on_commit_callbacks(execute=True):
        first = sweep_time_rules()
    with django_capture_on_commit_callbacks(execute=True):
        second = sweep_time_rules()
    # then
    assert (first, second) == (2, 0)
    keys = list(Notification.objects.values_list("recipient__email", "dedupe_key"))
    assert len(keys) == 2
    assert {email for email, _key in keys} == {"lena@example.com"}
    assert all(key.startswith("rule:application:") for _email, key in keys)
