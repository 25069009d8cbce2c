"""Bad answers open one follow-up ticket for the group lead, with the answers in an internal
note and a link to the original conversation; nothing goes to the customer."""

import pytest

from zabota.core.models import OutboxEvent
from zabota.surveys.followups import do_open_follow_up, follow_up_bad_answers
from zabota.surveys.models import Response, SurveySettings
from zabota.surveys.tests.reporting import answer, make_report_survey
from zabota.tickets.constants import MessageKind
from zabota.tickets.models import Ticket

pytestmark = pytest.mark.django_db


def _about_maria_ticket(world):
    return {
        "customer": world.maria,
        "ticket": world.maria_ticket,
        "agent": world.anna,
        "group": world.support,
    }


def test_detractor_opens_a_follow_up_for_the_group_lead(world, django_capture_on_commit_callbacks):
    # given Maria's survey about her ticket, answered by Anna (Support, led by Lena)
    survey = make_report_survey(world.store)
    # when she answers NPS 3 and the event is dispatched
    with django_capture_on_commit_callbacks(execute=True):
        response = answer(
            survey, nps=3, csat=4, comment="Nobody called back", **_about_maria_ticket(world)
        )
    # then one follow-up ticket exists, for Lena in Support
    response.refresh_from_db()
    follow_up = response.follow_up
    assert follow_up is not None
    assert follow_up.assignee == world.lena
    assert follow_up.group == world.support
    assert follow_up.customer == world.maria
    assert follow_up.subject == "Follow-up: NPS 3 from Maria Kowalska"
    # its first message carries the customer's answers; the note links the original ticket
    first, note = follow_up.messages.order_by("created_at", "pk")
    assert first.kind == MessageKind.CUSTOMER
    assert "Nobody called back" in first.body_text
    assert "3 / 10" in first.body_text
    assert note.kind == MessageKind.NOTE
    assert f"#{world.maria_ticket.number}" in note.body_text
    assert f"/tickets/{world.maria_ticket.pk}/" in note.body_text
    assert "Anna Agent" in note.body_text
    # nothing is sent to the customer: no agent message, no e-mail queued
    assert not follow_up.messages.filter(kind=MessageKind.AGENT).exists()
    assert not OutboxEvent.objects.filter(type="message.sent").exists()


def test_dispatched_twice_opens_one_ticket(world, django_capture_on_commit_callbacks):
    survey = make_report_survey(world.store)
    with django_capture_on_commit_callbacks(execute=True):
        response = answer(survey, nps=1, **_about_maria_ticket(world))
    tickets_before = Ticket.objects.count()
    event = OutboxEvent.objects.get(type="survey.answered", payload__response_id=response.pk)
    # when the listener runs again for the same event
    follow_up_bad_answers(event.type, [event.payload])
    follow_up_bad_answers(event.type, [event.payload, event.payload])
    # then no second ticket
    assert Ticket.objects.count() == tickets_before
    assert Ticket.objects.filter(subject__startswith="Follow-up").count() == 1


def test_good_answers_open_nothing(world, django_capture_on_commit_callbacks):
    survey = make_report_survey(world.store)
    with django_capture_on_commit_callbacks(execute=True):
        response = answer(survey, nps=9, csat=4, speed=3, **_about_maria_ticket(world))
    response.refresh_from_db()
    assert response.follow_up is None
    assert not Ticket.objects.filter(subject__startswith="Follow-up").exists()


def test_low_rating_at_the_threshold_opens_one(world):
    # given the store follows up ratings up to 2 of 5 (the default), no NPS given
    survey = make_report_survey(world.store)
    response = answer(survey, speed=2, **_about_maria_ticket(world))
    # when
    ticket = do_open_follow_up(response.pk, lowest=2)
    # then
    assert ticket is not None and ticket.subject == "Follow-up: 2 of 5 from Maria Kowalska"
    # a 3 is not low enough
    other = answer(survey, speed=3, **_about_maria_ticket(world))
    assert do_open_follow_up(other.pk, lowest=3) is None


def test_detractors_not_followed_when_the_store_says_so(world):
    SurveySettings.objects.create(store=world.store, follow_up_detractors=False)
    survey = make_report_survey(world.store)
    response = answer(survey, nps=2, csat=5, **_about_maria_ticket(world))
    assert do_open_follow_up(response.pk, lowest=5) is None


def test_anonymous_answers_open_nothing(world):
    """A ticket needs a customer; an anonymous response has none (documented)."""
    survey = make_report_survey(world.store, anonymous=True)
    response = answer(survey, nps=0, **_about_maria_ticket(world))
    assert response.customer is None
    assert do_open_follow_up(response.pk, lowest=None) is None
    assert Response.objects.get(pk=response.pk).follow_up is None


def test_without_a_group_the_default_groups_lead_takes_it(world):
    # given an answer about Piotr with no group recorded: his group Returns has Lena as lead
    survey = make_report_survey(world.store)
    response = answer(survey, nps=4, customer=world.ivan, agent=world.piotr)
    ticket = do_open_follow_up(response.pk, lowest=None)
    assert ticket is not None
    assert ticket.group == world.returns and ticket.assignee == world.lena
    # given no agent at all and no lead anywhere: unassigned in the default group
    world.support.lead = None
    world.support.save()
    response = answer(survey, nps=4, customer=world.ivan)
    ticket = do_open_follow_up(response.pk, lowest=None)
    assert ticket is not None
    assert ticket.group == world.support and ticket.assignee is None
