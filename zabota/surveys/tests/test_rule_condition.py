"""The rule trigger "survey answered" and the conditions "survey answered with a rating ≤ X"
and "with NPS ≤ X": a survey answered about a ticket runs the rules on that ticket."""

import pytest
from django.core.exceptions import ValidationError

from zabota.automation.conditions import Facts
from zabota.automation.models import Rule
from zabota.core import event_types
from zabota.surveys.tests.reporting import answer, make_report_survey

pytestmark = pytest.mark.django_db


def _rule(world, conditions) -> Rule:
    rule = Rule(
        store=world.store,
        name="Unhappy customers",
        triggers=[event_types.SURVEY_ANSWERED],
        conditions=conditions,
        actions=[{"type": "add_tag", "params": {"tag": "unhappy"}}],
    )
    rule.full_clean()
    rule.save()
    return rule


def _tags(ticket) -> list[str]:
    return list(ticket.tags.values_list("name", flat=True))


def test_low_rating_tags_the_ticket_the_survey_was_about(world, django_capture_on_commit_callbacks):
    # given a rule: survey answered with a rating at most 2 (of 5) → tag "unhappy"
    _rule(world, [{"field": "survey.lowest_score", "op": "lte", "value": 2}])
    survey = make_report_survey(world.store)
    # when Maria rates speed 2 of 5 about her ticket, Ivan quality 8 of 10 (4 of 5) about his
    with django_capture_on_commit_callbacks(execute=True):
        answer(survey, speed=2, csat=5, customer=world.maria, ticket=world.maria_ticket)
    with django_capture_on_commit_callbacks(execute=True):
        answer(survey, quality=8, customer=world.ivan, ticket=world.ivan_ticket)
    # then only Maria's ticket is tagged
    assert _tags(world.maria_ticket) == ["unhappy"]
    assert _tags(world.ivan_ticket) == []


def test_nps_condition(world, django_capture_on_commit_callbacks):
    _rule(world, [{"field": "survey.nps", "op": "lte", "value": 6}])
    survey = make_report_survey(world.store)
    with django_capture_on_commit_callbacks(execute=True):
        answer(survey, nps=6, customer=world.maria, ticket=world.maria_ticket)
    with django_capture_on_commit_callbacks(execute=True):
        answer(survey, nps=7, customer=world.ivan, ticket=world.ivan_ticket)
    assert _tags(world.maria_ticket) == ["unhappy"]
    assert _tags(world.ivan_ticket) == []


def test_answers_about_no_ticket_run_no_rules(world, django_capture_on_commit_callbacks):
    _rule(world, [])
    survey = make_report_survey(world.store)
    with django_capture_on_commit_callbacks(execute=True):
        answer(survey, nps=0, customer=world.maria)
    assert _tags(world.maria_ticket) == []


def test_facts_without_the_event_read_the_tickets_latest_response(world):
    survey = make_report_survey(world.store)
    answer(survey, nps=9, csat=1, customer=world.maria, ticket=world.maria_ticket)
    assert Facts(world.maria_ticket).survey_scores == (9, 1)
    assert Facts(world.ivan_ticket).survey_scores == (None, None)


def test_condition_is_validated_when_the_rule_is_saved(world):
    with pytest.raises(ValidationError):
        _rule(world, [{"field": "survey.nps", "op": "contains", "value": "6"}])
    with pytest.raises(ValidationError):
        _rule(world, [{"field": "survey.lowest_score", "op": "lte", "value": "low"}])
