"""The survey report pages: who may see them, the figures they show, the responses list with
its links and the CSV export (content, filters, formula-safe cells)."""

import csv
import io
from datetime import UTC, date, datetime

import pytest
from django.test import Client
from django.urls import reverse

from zabota.surveys.constants import SurveyChannel
from zabota.surveys.tests.reporting import answer, make_report_survey
from zabota.web.views.surveys_reports import safe_cell

pytestmark = pytest.mark.django_db

AT = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
RANGE = {"since": "2026-01-01", "until": "2026-06-30"}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def answered(world):
    survey = make_report_survey(world.store)
    about = {
        "customer": world.maria,
        "ticket": world.maria_ticket,
        "agent": world.anna,
        "group": world.support,
    }
    answer(survey, nps=10, csat=5, ces=6, at=AT, comment="Great help", **about)
    answer(survey, nps=2, csat=1, ces=2, at=AT, comment='=HYPERLINK("http://evil")', **about)
    answer(
        survey,
        nps=8,
        channel=SurveyChannel.PAPER,
        is_paper=True,
        at=AT,
        comment="Кофе был вкусный",
        entered_by=world.anna,
    )
    return survey


def test_report_page_shows_counts_and_metrics(world, answered):
    # when Lena (lead) opens the report for the first half of 2026
    response = _client(world.lena).get(reverse("web:surveys_reports"), RANGE)
    # then: 3 responses; NPS (1 promoter, 1 detractor of 3) = 0; CSAT 1 of 2 = 50 %; CES 4.0
    assert response.status_code == 200
    totals = response.context["report"].totals
    assert (totals.responses, totals.nps, totals.csat, totals.ces) == (3, 0, 50, 4)
    html = response.content.decode()
    assert 'data-kpi="responses"' in html and 'data-value="3"' in html
    assert 'data-kpi="csat"' in html and "50 %" in html
    assert "<svg" in html and "<title" in html
    # agents below the default threshold of five are hidden, and it says so
    assert 'id="agents-hidden"' in html


def test_agents_see_no_reports(world, answered):
    client = _client(world.anna)
    assert client.get(reverse("web:surveys_reports")).status_code == 403
    assert client.get(reverse("web:surveys_responses")).status_code == 403
    assert client.get(reverse("web:surveys_responses_csv")).status_code == 403


def test_anonymous_visitor_is_sent_to_login():
    response = Client().get(reverse("web:surveys_reports"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_admin_sees_reports(world, answered):
    assert _client(world.ada).get(reverse("web:surveys_reports"), RANGE).status_code == 200


def test_lead_of_another_store_sees_none_of_its_numbers(world, answered):
    from zabota.accounts.models import Group
    from zabota.commerce.models import Store
    from zabota.conftest import make_user

    other_lead = make_user("olga@example.com", "Olga Lead", "lead")
    other = Store.objects.create(slug="other", name="Other", email="o@example.com")
    Group.objects.create(store=other, name="Team", lead=other_lead)
    client = _client(other_lead)
    response = client.get(reverse("web:surveys_reports"), {**RANGE, "store": "demo"})
    assert response.context["report"].totals.responses == 0
    page = client.get(reverse("web:surveys_responses"), RANGE)
    assert page.context["page"].paginator.count == 0


def test_filters_narrow_the_report(world, answered):
    client = _client(world.lena)
    paper = client.get(reverse("web:surveys_reports"), {**RANGE, "channel": "paper"})
    assert paper.context["report"].totals.responses == 1
    group = client.get(reverse("web:surveys_reports"), {**RANGE, "group": world.support.pk})
    assert group.context["report"].totals.responses == 2
    week = client.get(reverse("web:surveys_reports"), {**RANGE, "period": "week"})
    assert week.context["report"].trend[0].start == date(2025, 12, 29)


def test_responses_page_lists_comments_with_links(world, answered):
    response = _client(world.lena).get(reverse("web:surveys_responses"), RANGE)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Great help" in html and "Кофе был вкусный" in html
    assert reverse("web:ticket", args=[world.maria_ticket.pk]) in html
    assert reverse("web:customer", args=[world.maria.pk]) in html
    assert html.count("data-paper") == 1
    # the comment is escaped, not markup
    assert "=HYPERLINK(&quot;http://evil&quot;)" in html


def test_responses_page_filters_by_score_and_paper(world, answered):
    client = _client(world.lena)
    detractors = client.get(reverse("web:surveys_responses"), {**RANGE, "score": "detractor"})
    assert [r.nps for r, _answers in detractors.context["rows"]] == [2]
    paper = client.get(reverse("web:surveys_responses"), {**RANGE, "paper": "1"})
    assert [r.channel for r, _answers in paper.context["rows"]] == ["paper"]


def _csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))


def test_csv_has_one_row_per_response_with_its_answers(world, answered):
    # when Lena exports the one survey's responses
    response = _client(world.lena).get(
        reverse("web:surveys_responses_csv"), {**RANGE, "survey": answered.pk}
    )
    # then
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = _csv(response)
    header, body = rows[0], rows[1:]
    assert len(body) == 3
    assert header[-6:] == [
        "Would you recommend us?",
        "How satisfied are you?",
        "It was easy to get my issue solved.",
        "How fast was the solution?",
        "How good was the solution?",
        "Anything else?",
    ]
    by_comment = {row[-1]: dict(zip(header, row, strict=True)) for row in body}
    great = by_comment["Great help"]
    assert great["NPS"] == "10" and great["Customer"] == "Maria Kowalska"
    assert great["Ticket"] == str(world.maria_ticket.number)
    assert great["Would you recommend us?"] == "10 / 10"
    assert by_comment["Кофе был вкусный"]["Paper card"] == "yes"


def test_csv_cells_cannot_run_formulas(world, answered):
    # given a comment that a spreadsheet would run as a formula, exported in its own column
    url = reverse("web:surveys_responses_csv")
    rows = _csv(_client(world.lena).get(url, {**RANGE, "survey": answered.pk}))
    cells = [cell for row in rows for cell in row]
    # then it is text (a leading apostrophe), and no cell starts like a formula
    assert '\'=HYPERLINK("http://evil")' in cells
    assert not any(cell.startswith(("=", "+", "@", "-")) for cell in cells)


def test_safe_cell():
    assert safe_cell("=1+1") == "'=1+1"
    assert safe_cell("-2+3") == "'-2+3"
    assert safe_cell("@SUM(A1)") == "'@SUM(A1)"
    assert safe_cell("\tcmd") == "'\tcmd"
    assert safe_cell("fine") == "fine"
    assert safe_cell(-5) == -5
    assert safe_cell(None) == ""
