"""The contact-pressure budget: one per customer per store, across all surveys and channels."""

from datetime import timedelta

import pytest
from django.utils import timezone
from freezegun import freeze_time

from zabota.commerce.models import Store
from zabota.surveys.budget import check_budget
from zabota.surveys.constants import InvitationStatus, Purpose, SurveyChannel, Trigger
from zabota.surveys.invitations import do_invite, do_send_test
from zabota.surveys.models import SurveySettings
from zabota.surveys.respond import do_submit_response
from zabota.surveys.tests.distribution import make_survey

pytestmark = pytest.mark.django_db


def _invite(survey, customer, key, **kwargs):
    return do_invite(survey, customer=customer, trigger=Trigger.MANUAL, dedupe_key=key, **kwargs)


def test_a_customer_never_surveyed_may_be_surveyed(world):
    assert check_budget(world.store, world.maria, now=timezone.now()) is None


def test_an_invitation_sent_days_ago_blocks_until_the_window_ends(world):
    """Budget 14 days: 5 days after an invitation Maria is not asked; after 14 she is."""
    # given
    survey = make_survey(world.store)
    start = timezone.now()
    with freeze_time(start):
        _invite(survey, world.maria, "first")
    # when / then
    assert check_budget(world.store, world.maria, now=start + timedelta(days=5)) == (
        "surveyed 5 days ago"
    )
    assert check_budget(world.store, world.maria, now=start + timedelta(hours=3)) == (
        "surveyed earlier today"
    )
    assert check_budget(world.store, world.maria, now=start + timedelta(days=1)) == (
        "surveyed 1 day ago"
    )
    assert check_budget(world.store, world.maria, now=start + timedelta(days=14, seconds=1)) is None


def test_the_budget_spans_every_survey_of_the_store(world):
    """An NPS invitation blocks the post-resolution survey too."""
    # given
    nps = make_survey(world.store, purpose=Purpose.NPS)
    post = make_survey(world.store)
    _invite(nps, world.maria, "nps")
    # when
    second = _invite(post, world.maria, "post")
    # then
    assert second.status == InvitationStatus.SKIPPED
    assert second.skip_reason == "surveyed earlier today"


def test_a_response_through_any_channel_counts(world):
    """Maria filled in a paper card (with her e-mail) three days ago."""
    # given
    survey = make_survey(world.store)
    quality = survey.questions.get(position=0)
    do_submit_response(
        survey,
        answers={quality.pk: 4},
        channel=SurveyChannel.PAPER,
        submission_key="card-1",
        language="en",
        customer=world.maria,
        is_paper=True,
        entered_by=world.anna,
        at=timezone.now() - timedelta(days=3),
    )
    # when
    reason = check_budget(world.store, world.maria, now=timezone.now())
    # then
    assert reason == "surveyed 3 days ago"


def test_skipped_and_test_invitations_do_not_count(world):
    # given
    survey = make_survey(world.store)
    world.ivan.identities.all().delete()
    skipped = _invite(survey, world.ivan, "no-address")
    assert skipped.status == InvitationStatus.SKIPPED
    do_send_test(survey, to_user=world.ada, language="en")
    # then
    assert check_budget(world.store, world.ivan, now=timezone.now()) is None
    ada_customer = survey.invitations.get(trigger=Trigger.TEST).customer
    assert check_budget(world.store, ada_customer, now=timezone.now()) is None


def test_a_queued_delivery_survey_counts_as_a_contact(world):
    """The delivery survey goes in three days: a survey now would land just before it."""
    # given
    delivery = make_survey(world.store, purpose=Purpose.AFTER_DELIVERY)
    _invite(delivery, world.maria, "order", send_after=timezone.now() + timedelta(days=3))
    # when
    reason = check_budget(world.store, world.maria, now=timezone.now())
    # then
    assert reason == "surveyed earlier today"


def test_one_survey_per_ticket(world):
    """With no day limit, the ticket rule still holds; switched off, the ticket may be asked
    again."""
    # given
    SurveySettings.objects.create(store=world.store, min_days_between=0, once_per_ticket=True)
    survey = make_survey(world.store)
    _invite(survey, world.maria, "one", ticket=world.maria_ticket)
    # when / then
    now = timezone.now()
    assert check_budget(world.store, world.maria, ticket=world.maria_ticket, now=now) == (
        "already surveyed about this ticket"
    )
    assert check_budget(world.store, world.maria, now=now) is None
    SurveySettings.objects.filter(store=world.store).update(once_per_ticket=False)
    assert check_budget(world.store, world.maria, ticket=world.maria_ticket, now=now) is None


def test_another_stores_surveys_do_not_count(world):
    # given
    other = Store.objects.create(slug="other", name="Other", email="help@other.example")
    _invite(make_survey(other), world.maria, "elsewhere")
    # then
    assert check_budget(world.store, world.maria, now=timezone.now()) is None
    assert check_budget(other, world.maria, now=timezone.now()) == "surveyed earlier today"


def test_the_budget_setting_is_read_per_store(world):
    # given
    SurveySettings.objects.create(store=world.store, min_days_between=30)
    survey = make_survey(world.store)
    start = timezone.now()
    with freeze_time(start):
        _invite(survey, world.maria, "first")
    # then
    assert check_budget(world.store, world.maria, now=start + timedelta(days=20)) == (
        "surveyed 20 days ago"
    )
