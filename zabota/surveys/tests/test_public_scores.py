"""The public scores page: only for a store that publishes its scores, the last four quarters
from real responses with their answer counts, in the visitor's language, rate-limited."""

from datetime import UTC, date, datetime

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from freezegun import freeze_time

from zabota.core import ratelimit
from zabota.surveys.models import SurveySettings
from zabota.surveys.reports import public_scores
from zabota.surveys.tests.reporting import answer, make_report_survey

pytestmark = pytest.mark.django_db

URL = "/scores/demo/"


@pytest.fixture
def published(world):
    SurveySettings.objects.create(store=world.store, public_scores=True)
    survey = make_report_survey(world.store)
    # Q2 2026: speed 5 and 3, quality 10 of 10 (5); NPS 10, 9, 0 → (2 − 1) / 3 = 33
    april = datetime(2026, 4, 20, 10, tzinfo=UTC)
    answer(survey, speed=5, quality=10, nps=10, at=april)
    answer(survey, speed=3, nps=9, at=april)
    answer(survey, nps=0, at=april)
    # Q4 2025: one answer, speed 2
    answer(survey, speed=2, at=datetime(2025, 11, 3, 10, tzinfo=UTC))
    # Q1 2025: too old for the page
    answer(survey, speed=1, nps=0, at=datetime(2025, 2, 3, 10, tzinfo=UTC))
    return survey


def test_last_four_quarters_from_real_responses(world, published):
    quarters = public_scores(world.store, today=date(2026, 5, 10))
    assert [q.label for q in quarters] == ["Q2 2026", "Q1 2026", "Q4 2025", "Q3 2025"]
    q2, q1, q4, _q3 = (q.scores for q in quarters)
    assert (q2.speed, q2.speed_n) == (4, 2)
    assert (q2.quality, q2.quality_n) == (5, 1)
    assert q2.nps == pytest.approx(100 / 3) and q2.nps_n == 3
    assert q1.responses == 0 and q1.speed is None
    assert (q4.speed, q4.speed_n) == (2, 1)
    assert sum(q.scores.responses for q in quarters) == 4


def _on_may_10th():
    """Freeze the clock in Q2 2026, once the URLs are loaded (their API schemas cannot be
    built with freezegun's datetime class)."""
    reverse("scores:store", kwargs={"slug": "demo"})
    return freeze_time("2026-05-10 12:00:00")


def test_page_shows_the_scores_with_answer_counts(world, published):
    with _on_may_10th():
        response = Client().get(URL, {"lang": "en"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Demo Store" in html
    assert 'data-quarter="Q2 2026"' in html
    assert 'data-speed="4.00"' in html and 'data-nps="33"' in html
    assert "(3)" in html  # the NPS of Q2 comes from three answers
    assert response["Content-Language"] == "en"


def test_page_speaks_the_visitors_language(world, published):
    with _on_may_10th():
        russian = Client().get(URL, HTTP_ACCEPT_LANGUAGE="ru-RU,ru;q=0.9")
    assert russian["Content-Language"] == "ru"
    assert '<html lang="ru">' in russian.content.decode()
    # an unknown language falls back to the store's default
    world.store.default_language = "pl"
    world.store.save()
    cache.clear()
    with _on_may_10th():
        polish = Client().get(URL, HTTP_ACCEPT_LANGUAGE="de")
    assert polish["Content-Language"] == "pl"


def test_not_published_is_not_found(world):
    survey = make_report_survey(world.store)
    answer(survey, nps=10)
    assert Client().get(URL).status_code == 404
    SurveySettings.objects.create(store=world.store, public_scores=False)
    assert Client().get(URL).status_code == 404
    assert Client().get("/scores/no-such-store/").status_code == 404


def test_figures_are_cached_briefly(world, published, django_assert_max_num_queries):
    client = Client()
    client.get(URL)
    # the second view reads the figures from the cache: store and settings only
    with django_assert_max_num_queries(2):
        assert client.get(URL).status_code == 200


def test_rate_limited_per_address(world, published):
    client = Client()
    for _ in range(ratelimit.SCORES_PAGE_PER_IP.max_hits):
        assert client.get(URL).status_code == 200
    refused = client.get(URL)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
