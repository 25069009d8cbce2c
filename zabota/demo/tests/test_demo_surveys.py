"""The demo's surveys: the five presets and answers from every channel over six months, stored
through the real submission, so the reports have something to show."""

from datetime import timedelta

import pytest
from django.db.models import Sum
from django.utils import timezone

from zabota.demo.surveys import add_demo_surveys
from zabota.surveys.constants import SurveyChannel
from zabota.surveys.models import Answer, Response, ScoreDay, Survey, SurveySettings

pytestmark = pytest.mark.django_db


def test_demo_surveys_and_answers(world):
    # when
    stored = add_demo_surveys(world.store, seed=3, responses=80)
    # then: five surveys, every answer submitted and counted in the day sums
    assert Survey.objects.filter(store=world.store).count() == 5
    responses = Response.objects.filter(store=world.store, submitted_at__isnull=False)
    assert stored == responses.count() == 80
    assert ScoreDay.objects.filter(store=world.store).aggregate(n=Sum("responses"))["n"] == 80
    channels = set(responses.values_list("channel", flat=True))
    assert {SurveyChannel.EMAIL, SurveyChannel.KIOSK, SurveyChannel.PAPER} <= channels
    assert len(channels) >= 5
    assert all(r.is_paper for r in responses.filter(channel=SurveyChannel.PAPER))
    # spread over the last six months, none in the future
    now = timezone.now()
    assert responses.filter(submitted_at__lt=now - timedelta(days=90)).exists()
    assert not responses.filter(submitted_at__gt=now).exists()
    # comments in more than one language, and the store publishes its scores
    languages = set(
        Answer.objects.filter(response__in=responses)
        .exclude(text="")
        .values_list("response__language", flat=True)
    )
    assert len(languages) >= 2
    assert SurveySettings.objects.get(store=world.store).public_scores


def test_second_run_reuses_the_surveys(world):
    add_demo_surveys(world.store, seed=3, responses=5)
    add_demo_surveys(world.store, seed=4, responses=5)
    assert Survey.objects.filter(store=world.store).count() == 5
    assert Response.objects.filter(store=world.store).count() == 10
