"""The rule action "send_survey": validated against the rule's store when saved, run by the
engine once per rule application, and bound by the contact budget like every send."""

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from zabota.automation.actions import ACTIONS
from zabota.automation.models import Rule, RuleApplication
from zabota.automation.rules import check_save_rule
from zabota.commerce.models import Store
from zabota.core import event_types, events
from zabota.core.models import OutboxEvent
from zabota.surveys.constants import InvitationStatus, Purpose, Trigger
from zabota.surveys.models import Invitation
from zabota.surveys.tests.distribution import make_survey
from zabota.tickets.actions import do_create_ticket

pytestmark = pytest.mark.django_db


def _save(world, survey_param: str) -> Rule:
    return check_save_rule(
        Rule(),
        store=world.store,
        name="NPS for new tickets",
        is_active=True,
        order=0,
        triggers=[event_types.TICKET_CREATED],
        match="all",
        conditions=[],
        actions=[{"type": "send_survey", "params": {"survey": survey_param}}],
        actor=world.ada,
    )


def _new_ticket(world, capture, customer=None):
    with capture(execute=True):
        return do_create_ticket(
            store=world.store,
            customer=customer or world.maria,
            subject="Size exchange",
            body_text="Could I get a larger size?",
            actor=None,
        )


def test_the_rule_sends_the_named_survey_to_the_tickets_customer(
    world, django_capture_on_commit_callbacks
):
    """The survey is named as typed in the rule form (any case); Maria gets it by e-mail."""
    # given
    survey = make_survey(world.store, purpose=Purpose.NPS, name="Quarterly NPS")
    rule = _save(world, "quarterly nps")
    assert rule.actions == [{"type": "send_survey", "params": {"survey": survey.pk}}]
    # when
    ticket = _new_ticket(world, django_capture_on_commit_callbacks)
    # then
    invitation = Invitation.objects.get()
    assert (invitation.survey, invitation.ticket, invitation.customer) == (
        survey,
        ticket,
        world.maria,
    )
    assert invitation.trigger == Trigger.RULE
    application = RuleApplication.objects.get(ticket=ticket)
    assert invitation.dedupe_key == f"rule:application:{application.pk}"
    assert application.actions_applied == [
        {"type": "send_survey", "summary": "survey Quarterly NPS to maria@example.pl"}
    ]
    assert [m.to for m in mail.outbox] == [["maria@example.pl"]]


def test_the_trigger_delivered_again_sends_nothing_more(world, django_capture_on_commit_callbacks):
    # given
    make_survey(world.store, purpose=Purpose.NPS, name="NPS")
    _save(world, "NPS")
    _new_ticket(world, django_capture_on_commit_callbacks)
    event = OutboxEvent.objects.filter(type=event_types.TICKET_CREATED).latest("pk")
    # when
    OutboxEvent.objects.filter(pk=event.pk).update(dispatched_at=None, done_listeners=[])
    with django_capture_on_commit_callbacks(execute=True):
        events.dispatch(event.pk)
    # then
    assert Invitation.objects.count() == 1
    assert len(mail.outbox) == 1


def test_a_rule_send_obeys_the_contact_budget(world, django_capture_on_commit_callbacks):
    """Maria's second new ticket the same day: the rule's invitation is skipped, with why."""
    # given
    make_survey(world.store, purpose=Purpose.NPS, name="NPS")
    _save(world, "NPS")
    _new_ticket(world, django_capture_on_commit_callbacks)
    # when
    second = _new_ticket(world, django_capture_on_commit_callbacks)
    # then
    skipped = Invitation.objects.get(ticket=second)
    assert skipped.status == InvitationStatus.SKIPPED
    assert skipped.skip_reason == "surveyed earlier today"
    assert RuleApplication.objects.get(ticket=second).actions_applied == [
        {"type": "send_survey", "summary": "survey NPS skipped: surveyed earlier today"}
    ]
    assert len(mail.outbox) == 1


def test_a_survey_of_another_store_is_refused_when_the_rule_is_saved(world):
    # given
    other = Store.objects.create(slug="other", name="Other", email="help@other.example")
    foreign = make_survey(other, name="Their survey")
    # when / then
    with pytest.raises(ValidationError):
        _save(world, str(foreign.pk))
    with pytest.raises(ValidationError):
        _save(world, "no such survey")


def test_the_action_is_registered_with_suggestions_and_a_description(world):
    # given
    survey = make_survey(world.store, name="After purchase")
    action = ACTIONS["send_survey"]
    # then
    assert action.options is not None
    assert ("After purchase", "After purchase") in action.options(world.store)
    text = action.describe(world.maria_ticket, {"survey": survey.pk})
    assert "After purchase" in text
    assert "Maria Kowalska" in text
