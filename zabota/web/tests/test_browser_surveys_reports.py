"""The survey reports in a real browser: Lena (lead) sees the response count and NPS, CSAT and
CES with their answer counts, the SVG trend and the tables; the store's public scores page
(docs/screenshots/surveys-report.png, surveys-scores.png)."""

from datetime import timedelta

import pytest
from django.template.defaultfilters import floatformat
from django.utils import timezone

from zabota.demo.surveys import add_demo_surveys
from zabota.surveys.models import Response
from zabota.surveys.reports import report
from zabota.surveys.tests.reporting import answer, make_report_survey
from zabota.web.tests.conftest import ARTIFACTS, login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _answers(world) -> None:
    """The demo's answers from every channel, and some about Anna and Piotr's tickets."""
    add_demo_surveys(world.store, seed=5, responses=120)
    survey = make_report_survey(world.store, name="After a solved ticket")
    now = timezone.now()
    for day in range(14):
        anna = {"agent": world.anna, "group": world.support, "customer": world.maria}
        answer(
            survey,
            nps=9 + day % 2,
            csat=5 - day % 3,
            ces=6,
            speed=5,
            quality=9,
            at=now - timedelta(days=day * 9 + 1),
            **anna,
        )
    for day in range(7):
        piotr = {"agent": world.piotr, "group": world.returns, "customer": world.ivan}
        answer(
            survey,
            nps=4 + day,
            csat=3,
            ces=4,
            speed=3,
            quality=6,
            at=now - timedelta(days=day * 20 + 2),
            **piotr,
        )


def test_lead_sees_counts_and_metrics_on_the_report_page(page, world):
    # given
    _answers(world)
    expected = report(
        [world.store],
        since=timezone.localdate() - timedelta(days=182),
        until=timezone.localdate(),
    ).totals
    submitted = Response.objects.filter(submitted_at__isnull=False).count()
    # when Lena opens the reports
    login(page, world.lena)
    page.goto(page.base_url + "/surveys/reports/")
    # then the key figures are those of the responses
    kpis = page.locator("#kpis")
    kpis.wait_for()
    assert expected.responses == submitted
    assert kpis.locator('[data-kpi="responses"] dd').inner_text() == str(submitted)
    assert expected.nps is not None and expected.csat is not None
    nps_shown = kpis.locator('[data-kpi="nps"] dd').get_attribute("data-value")
    assert nps_shown == floatformat(expected.nps, 0)
    assert kpis.locator('[data-kpi="csat"] dd').inner_text() == f"{floatformat(expected.csat, 0)} %"
    assert kpis.locator('[data-kpi="ces"] dd').inner_text().startswith(floatformat(expected.ces, 1))
    assert f"{expected.nps_n} answers" in kpis.locator('[data-kpi="nps"]').inner_text()
    # the charts are drawn (SVG with an accessible title), the tables filled
    assert page.locator("#chart-trend-nps title").first.text_content().startswith("NPS per")
    assert page.locator("#per-channel tbody tr").count() >= 5
    assert page.locator("#per-agent tr[data-row]").count() >= 2
    screenshot(page, "surveys-report", docs=True)
    page.locator("#per-agent").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "surveys-report-tables.png"))

    # when she opens the responses with comments, paper cards only
    page.locator("#to-responses").click()
    page.locator("#responses").wait_for()
    page.check("input[name=paper]")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**paper=1**")
    # then every listed response is a paper card
    listed = page.locator("article[data-response]")
    assert listed.count() > 0
    assert listed.count() == page.locator("article[data-paper]").count()
    screenshot(page, "surveys-responses", docs=True)


def test_public_scores_page(page, world):
    # given the demo answers (the demo publishes the store's scores)
    _answers(world)
    # when a visitor opens the store's page in Polish
    page.goto(page.base_url + "/scores/demo/?lang=pl")
    # then four quarters with the number of answers each
    page.locator("#quarters").wait_for()
    assert page.locator("#quarters tbody tr").count() == 4
    assert page.locator("html").get_attribute("lang") == "pl"
    assert page.locator('#latest [data-score="nps"] dd').inner_text() != "—"
    screenshot(page, "surveys-scores", docs=True)
