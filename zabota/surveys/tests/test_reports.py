"""Report numbers from responses submitted through ``do_submit_response``: totals, trend,
breakdowns, agents hidden below the store's threshold, filters and the responses list."""

from datetime import UTC, date, datetime, timedelta

import pytest

from zabota.surveys.constants import SurveyChannel
from zabota.surveys.models import SurveySettings
from zabota.surveys.reports import period_starts, report, responses, text_answers
from zabota.surveys.tests.reporting import answer, make_report_survey

pytestmark = pytest.mark.django_db

MARCH = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
APRIL = datetime(2026, 4, 14, 12, 0, tzinfo=UTC)
SINCE, UNTIL = date(2026, 1, 1), date(2026, 6, 30)


@pytest.fixture
def answered(world):
    """Five responses: three about Anna (Support) by e-mail in March, one about Piotr
    (Returns) at the kiosk in April, one on paper in April without an agent."""
    survey = make_report_survey(world.store)
    anna = {"agent": world.anna, "group": world.support, "customer": world.maria}
    answer(survey, nps=10, csat=5, ces=7, speed=5, quality=10, at=MARCH, **anna)
    answer(survey, nps=9, csat=4, ces=5, speed=4, quality=7, at=MARCH, **anna)
    answer(survey, nps=3, csat=2, ces=2, speed=1, quality=1, comment="Too slow", at=MARCH, **anna)
    answer(
        survey,
        nps=8,
        csat=3,
        channel=SurveyChannel.KIOSK,
        at=APRIL,
        agent=world.piotr,
        group=world.returns,
    )
    answer(
        survey,
        nps=6,
        comment="Nice shop",
        channel=SurveyChannel.PAPER,
        is_paper=True,
        at=APRIL,
    )
    return survey


def test_totals_are_the_hand_computed_metrics(world, answered):
    # when
    result = report([world.store], since=SINCE, until=UNTIL, period="month")
    # then: NPS answers 10, 9, 3, 8, 6 → 2 promoters, 2 detractors of 5 → 0
    totals = result.totals
    assert totals.responses == 5
    assert totals.nps_n == 5 and totals.nps == 0
    # CSAT 5, 4, 2, 3 → top box (4–5) 2 of 4 = 50 %
    assert totals.csat == 50
    # CES 7, 5, 2 → mean 14 / 3; agree 2 of 3
    assert totals.ces == pytest.approx(14 / 3)
    assert totals.ces_agree_share == pytest.approx(200 / 3)
    # speed 5, 4, 1 → 10 / 3; quality 10, 7, 1 of 10 → 5, 3.67, 1 on 1–5
    assert totals.speed == pytest.approx(10 / 3, abs=0.01)
    assert totals.quality == pytest.approx((5 + 3.67 + 1) / 3, abs=0.01)


def test_trend_per_month_has_every_period(world, answered):
    result = report([world.store], since=SINCE, until=UNTIL, period="month")
    assert [row.start for row in result.trend] == [date(2026, m, 1) for m in range(1, 7)]
    by_month = {row.start.month: row.scores for row in result.trend}
    assert by_month[3].responses == 3 and by_month[3].nps == pytest.approx(100 / 3)
    assert by_month[4].responses == 2 and by_month[4].nps == -50
    assert by_month[1].responses == 0 and by_month[1].nps is None


def test_trend_per_quarter_and_week(world, answered):
    quarters = report([world.store], since=SINCE, until=UNTIL, period="quarter").trend
    assert [(q.label, q.scores.responses) for q in quarters] == [("Q1 2026", 3), ("Q2 2026", 2)]
    weeks = report([world.store], since=date(2026, 3, 1), until=date(2026, 3, 31), period="week")
    assert sum(w.scores.responses for w in weeks.trend) == 3
    assert all(w.start.weekday() == 0 for w in weeks.trend)


def test_breakdowns_per_channel_group_and_store(world, answered):
    result = report([world.store], since=SINCE, until=UNTIL, period="month")
    channels = {row.key: row.scores.responses for row in result.channels}
    assert channels == {"email": 3, "kiosk": 1, "paper": 1}
    groups = {row.label: row.scores.responses for row in result.groups}
    assert groups == {"Support": 3, "Returns": 1, "No group": 1}
    assert [(row.label, row.scores.responses) for row in result.stores] == [("Demo Store", 5)]


def test_agents_below_the_threshold_are_hidden(world, answered):
    # given the store shows agents with at least 3 answers
    SurveySettings.objects.create(store=world.store, min_answers_per_agent=3)
    # when
    result = report([world.store], since=SINCE, until=UNTIL, period="month")
    # then Anna (3) is shown, Piotr (1) hidden; answers without an agent are shown as such
    assert [(row.label, row.scores.responses) for row in result.agents] == [
        ("Anna Agent", 3),
        ("No agent", 1),
    ]
    assert result.agents_hidden == 1
    assert result.min_answers_per_agent == 3


def test_default_threshold_hides_everybody_below_five(world, answered):
    result = report([world.store], since=SINCE, until=UNTIL, period="month")
    assert result.agents_hidden == 2
    assert [row.key for row in result.agents] == [0]


def test_filters(world, answered):
    by_kiosk = report(
        [world.store], since=SINCE, until=UNTIL, period="month", channel=SurveyChannel.KIOSK
    )
    assert by_kiosk.totals.responses == 1 and by_kiosk.totals.nps == 0
    by_group = report([world.store], since=SINCE, until=UNTIL, period="month", group=world.support)
    assert by_group.totals.responses == 3
    by_agent = report([world.store], since=SINCE, until=UNTIL, period="month", agent=world.piotr)
    assert by_agent.totals.responses == 1
    april = report([world.store], since=date(2026, 4, 1), until=UNTIL, period="month")
    assert april.totals.responses == 2
    other_survey = make_report_survey(world.store, name="Other")
    assert (
        report([world.store], since=SINCE, until=UNTIL, survey=other_survey).totals.responses == 0
    )


def test_no_responses_gives_an_empty_report(world):
    result = report([world.store], since=SINCE, until=UNTIL, period="quarter")
    assert result.totals.responses == 0
    assert result.totals.nps is None and result.totals.csat is None
    assert [row.scores.responses for row in result.trend] == [0, 0]
    assert result.channels == [] and result.agents == []


def test_other_stores_are_not_counted(world, answered):
    from zabota.commerce.models import Store

    other = Store.objects.create(slug="other", name="Other", email="o@example.com")
    answer(make_report_survey(other), nps=0, at=MARCH)
    result = report([world.store], since=SINCE, until=UNTIL)
    assert result.totals.responses == 5


def test_responses_list_filters(world, answered):
    everything = responses([world.store], since=SINCE, until=UNTIL)
    assert everything.count() == 5
    assert responses([world.store], score="detractor").count() == 2
    assert responses([world.store], score="promoter").count() == 2
    assert responses([world.store], score="passive").count() == 1
    # low: a rating at most 2 on 1–5 (the third response: CSAT 2, speed 1, quality 1 of 10)
    assert [r.nps for r in responses([world.store], score="low")] == [3]
    # high: a rating at least 4 on 1–5 (the first two; the kiosk's CSAT 3 is not)
    assert sorted(r.nps for r in responses([world.store], score="high")) == [9, 10]
    assert [r.channel for r in responses([world.store], paper_only=True)] == ["paper"]
    assert responses([world.store], channel=SurveyChannel.KIOSK).count() == 1
    assert responses([world.store], since=date(2026, 4, 1)).count() == 2
    assert responses([world.store], with_text=True).count() == 2


def test_text_answers_of_filtered_responses(world, answered):
    texts = [a.text for a in text_answers(responses([world.store]))]
    assert sorted(texts) == ["Nice shop", "Too slow"]
    paper = [a.text for a in text_answers(responses([world.store], paper_only=True))]
    assert paper == ["Nice shop"]


def test_report_costs_a_fixed_number_of_queries(world, answered, django_assert_max_num_queries):
    for day in range(20):
        answer(answered, nps=day % 11, csat=5, at=MARCH + timedelta(days=day))
    with django_assert_max_num_queries(9):
        report([world.store], since=SINCE, until=UNTIL, period="week")


def test_period_starts_cross_the_year():
    assert period_starts(date(2025, 11, 20), date(2026, 2, 1), "quarter") == [
        date(2025, 10, 1),
        date(2026, 1, 1),
    ]
