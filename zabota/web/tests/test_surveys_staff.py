"""Staff survey pages of distribution: paper cards (any agent), the invitations log (admins
and leads) and the store's survey settings (admins)."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from zabota.commerce.models import Store
from zabota.surveys.constants import InvitationStatus, SurveyChannel, Trigger
from zabota.surveys.invitations import do_invite
from zabota.surveys.models import Response, SurveySettings
from zabota.surveys.tests.distribution import make_survey

pytestmark = pytest.mark.django_db

PAPER = reverse("web:survey_paper")
INVITATIONS = reverse("web:survey_invitations")
SETTINGS = reverse("web:survey_settings")


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _card(client, survey, **fields):
    page = client.get(PAPER, {"survey": survey.pk})
    key = page.context["form"].initial["submission_key"]
    quality = survey.questions.get(position=0)
    data = {"survey": survey.pk, "submission_key": key, "language": "en", f"q{quality.pk}": "4"}
    data.update(fields)
    return client.post(PAPER, data), key


def test_an_agent_enters_a_paper_card_stored_as_paper(world):
    """Anna types in Maria's card from three days ago: 4 of 5 and a comment."""
    # given
    survey = make_survey(world.store)
    comment = survey.questions.get(position=2)
    day = timezone.localdate() - timedelta(days=3)
    anna = _client(world.anna)
    # when
    response, _key = _card(
        anna,
        survey,
        customer_email="maria@example.pl",
        card_date=day.isoformat(),
        **{f"q{comment.pk}": "Lovely shop, slow till."},
    )
    # then
    assert response.status_code == 302
    [card] = Response.objects.all()
    assert (card.channel, card.is_paper, card.entered_by) == (
        SurveyChannel.PAPER,
        True,
        world.anna,
    )
    assert card.customer == world.maria
    assert card.quality == 4
    assert timezone.localtime(card.submitted_at).date() == day
    assert card.answers.get(question=comment).text == "Lovely shop, slow till."
    listed = anna.get(response["Location"])
    assert [c.pk for c in listed.context["cards"]] == [card.pk]
    assert "paper" in listed.content.decode()


def test_a_double_submit_stores_one_card(world):
    # given
    survey = make_survey(world.store)
    anna = _client(world.anna)
    first, key = _card(anna, survey)
    quality = survey.questions.get(position=0)
    # when
    again = anna.post(
        PAPER, {"survey": survey.pk, "submission_key": key, "language": "en", f"q{quality.pk}": "4"}
    )
    # then
    assert first.status_code == again.status_code == 302
    assert Response.objects.count() == 1


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"customer_email": "stranger@example.com"}, "No customer you can see has this address."),
        (
            {"card_date": (timezone.localdate() + timedelta(days=2)).isoformat()},
            "The date on the card cannot be in the future.",
        ),
    ],
)
def test_a_card_with_bad_details_is_refused(world, fields, error):
    # given
    survey = make_survey(world.store)
    # when
    response, _key = _card(_client(world.anna), survey, **fields)
    # then
    assert response.status_code == 400
    assert error in response.content.decode()
    assert not Response.objects.exists()


def test_a_card_missing_a_required_answer_shows_the_question_error(world):
    # given
    survey = make_survey(world.store)
    quality = survey.questions.get(position=0)
    # when
    response, _key = _card(_client(world.anna), survey, **{f"q{quality.pk}": ""})
    # then
    assert response.status_code == 400
    [view] = [q for q in response.context["questions"] if q.id == quality.pk]
    assert view.error
    assert not Response.objects.exists()


def test_a_survey_of_a_store_the_agent_does_not_work_in_is_missing(world):
    # given
    other = Store.objects.create(slug="other", name="Other", email="help@other.example")
    foreign = make_survey(other)
    # when
    response = _client(world.anna).get(PAPER, {"survey": foreign.pk})
    # then
    assert response.status_code == 404


def test_the_paper_form_needs_a_signed_in_user(world):
    make_survey(world.store)
    assert Client().get(PAPER).status_code == 302


def test_the_invitations_log_is_for_admins_and_leads(world):
    # given
    survey = make_survey(world.store)
    sent = do_invite(survey, customer=world.maria, trigger=Trigger.MANUAL, dedupe_key="a")
    skipped = do_invite(survey, customer=world.maria, trigger=Trigger.MANUAL, dedupe_key="b")
    assert skipped.status == InvitationStatus.SKIPPED
    # when
    agent = _client(world.anna).get(INVITATIONS)
    lead = _client(world.lena).get(INVITATIONS)
    only_sent = _client(world.ada).get(INVITATIONS, {"status": "sent", "survey": str(survey.pk)})
    # then
    assert agent.status_code == 403
    assert list(lead.context["invitations"]) == [skipped, sent]
    assert "surveyed earlier today" in lead.content.decode()
    assert list(only_sent.context["invitations"]) == [sent]


def test_an_admin_changes_the_contact_budget(world):
    # given
    ada = _client(world.ada)
    assert ada.get(SETTINGS).context["form"].initial["min_days_between"] == 14
    # when
    response = ada.post(
        SETTINGS + "?store=demo",
        {
            "min_days_between": "30",
            "after_delivery_days": "5",
            "link_valid_days": "10",
            "follow_up_at_most": "2",
            "follow_up_detractors": "on",
            "min_answers_per_agent": "5",
        },
    )
    # then
    assert response.status_code == 302
    saved = SurveySettings.objects.get(store=world.store)
    assert (saved.min_days_between, saved.once_per_ticket, saved.after_delivery_days) == (
        30,
        False,
        5,
    )
    assert saved.link_valid_days == 10
    assert saved.public_scores is False


def test_invalid_settings_are_shown_with_the_error(world):
    response = _client(world.ada).post(
        SETTINGS,
        {
            "min_days_between": "14",
            "after_delivery_days": "3",
            "link_valid_days": "0",
            "follow_up_at_most": "2",
            "min_answers_per_agent": "5",
        },
    )
    assert response.status_code == 400
    assert "Between 1 and 365 days." in response.content.decode()
    assert not SurveySettings.objects.exists()


@pytest.mark.parametrize("who", ["lena", "anna"])
def test_only_admins_see_the_settings(world, who):
    assert _client(getattr(world, who)).get(SETTINGS).status_code == 403
