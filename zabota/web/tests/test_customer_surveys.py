"""The customer page's "Survey answers": the customer's non-anonymous, submitted responses, newest
first, at most ten, with their scores as badges, their written answers, the ticket they were
about and the follow-up a low score opened — for leads and admins all of them, for an agent only
those about their own work; and what the section costs in queries."""

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from zabota.surveys.constants import SurveyChannel
from zabota.surveys.followups import do_open_follow_up
from zabota.surveys.models import Response
from zabota.surveys.respond import do_submit_response
from zabota.surveys.tests.reporting import answer, make_report_survey
from zabota.web.views import customers as customers_views


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _page(user, customer):
    response = _client(user).get(reverse("web:customer", args=[customer.pk]))
    assert response.status_code == 200
    return response


def _shown(response) -> list[int]:
    return [item.response.pk for item in response.context["survey_answers"]]


@pytest.fixture
def service(world):
    return make_report_survey(world.store, name="After your ticket")


def test_a_lead_sees_the_customers_answers_newest_first_with_scores_texts_and_tickets(
    world, service
):
    """Lena sees Maria's two answers (the older one on paper, with a follow-up ticket) but
    neither the anonymous one, nor Ivan's, nor Maria's unfinished one."""
    # given
    now = timezone.now()
    older = answer(
        service,
        nps=3,
        csat=2,
        ces=2,
        comment="Nobody called <b>back</b>",
        customer=world.maria,
        ticket=world.maria_ticket,
        agent=world.anna,
        group=world.support,
        channel=SurveyChannel.PAPER,
        is_paper=True,
        at=now - timedelta(days=3),
    )
    follow_up = do_open_follow_up(older.pk, lowest=1)
    newer = answer(service, nps=10, speed=5, quality=7, customer=world.maria, at=now)
    anonymous = make_report_survey(world.store, name="Anonymous", anonymous=True)
    answer(anonymous, nps=1, customer=world.maria, at=now)
    answer(service, nps=9, customer=world.ivan, at=now)
    nps = service.questions.order_by("position")[0]
    do_submit_response(
        service,
        answers={nps.pk: 5},
        channel=SurveyChannel.PUBLIC_LINK,
        submission_key="unfinished",
        language="en",
        final=False,
        customer=world.maria,
    )
    # when
    page = _page(world.lena, world.maria)
    # then
    assert _shown(page) == [newer.pk, older.pk]
    first, second = page.context["survey_answers"]
    assert [(b.label, b.value, b.tone) for b in first.scores] == [
        ("NPS", "10", "good"),
        ("Speed", "5/5", "good"),
        ("Quality", "7/10", ""),
    ]
    assert [(b.label, b.value, b.tone) for b in second.scores] == [
        ("NPS", "3", "bad"),
        ("CSAT", "2/5", "bad"),
        ("CES", "2/7", "bad"),
    ]
    assert [(t.question, t.text) for t in second.texts] == [
        ("Anything else?", "Nobody called <b>back</b>")
    ]
    html = page.content.decode()
    section = html[html.index('id="survey-answers"') :]
    section = section[: section.index("</section>")]
    assert "After your ticket" in section and "Anonymous" not in section
    assert "Paper card" in section and "Public link" not in section
    assert "Nobody called &lt;b&gt;back&lt;/b&gt;" in section
    ticket_link = reverse("web:ticket", args=[world.maria_ticket.pk])
    assert f'href="{ticket_link}" data-ticket-link' in section
    assert follow_up is not None
    assert f'href="{reverse("web:ticket", args=[follow_up.pk])}" data-follow-up' in section
    assert section.count("data-ticket-link") == 1 and section.count("data-follow-up") == 1


def test_at_most_ten_answers_are_shown(world, service):
    # given
    now = timezone.now()
    made = [
        answer(service, nps=n % 11, customer=world.maria, at=now - timedelta(hours=n))
        for n in range(12)
    ]
    # when
    page = _page(world.ada, world.maria)
    # then
    assert _shown(page) == [r.pk for r in made[:10]]
    assert page.content.decode().count('class="sa"') == 10


def test_an_agent_sees_only_the_answers_about_her_own_work(world, service):
    """Anna sees the answer about her ticket, not the one about Piotr's; the section is not
    there at all for a customer without answers she may see."""
    # given
    mine = answer(service, nps=9, customer=world.maria, agent=world.anna)
    answer(service, nps=2, customer=world.maria, agent=world.piotr)
    # when
    page = _page(world.anna, world.maria)
    # then
    assert _shown(page) == [mine.pk]
    # and
    Response.objects.filter(pk=mine.pk).update(agent=world.piotr)
    empty = _page(world.anna, world.maria)
    assert _shown(empty) == []
    assert 'id="survey-answers"' not in empty.content.decode()


def test_the_section_costs_two_queries_however_many_answers(world, service, monkeypatch):
    """Responses with their survey and tickets, then their answers with their questions: two
    queries for an admin (a lead's stores cost one more), the same for one answer or ten."""
    # given
    client = _client(world.ada)
    url = reverse("web:customer", args=[world.maria.pk])
    answer(service, nps=9, comment="fine", customer=world.maria, ticket=world.maria_ticket)
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for n in range(9):
        answer(service, nps=n, comment=f"text {n}", customer=world.maria, ticket=world.maria_ticket)
    # when
    with CaptureQueriesContext(connection) as ten:
        response = client.get(url)
    with monkeypatch.context() as patched:
        patched.setattr(customers_views, "_survey_answers", lambda *args: [])
        with CaptureQueriesContext(connection) as without:
            client.get(url)
    # then
    assert len(response.context["survey_answers"]) == 10
    assert len(ten) == len(one)
    assert len(ten) - len(without) == 2


# --- in a real browser ------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_browser_customer_page_shows_the_survey_answers(page, world):
    """Lena opens Maria's page and finds her three answers under the tickets, the unhappy one
    with its comment and the follow-up ticket it opened. Screenshot: customer-surveys.png."""
    from zabota.web.tests.conftest import login, screenshot

    # given
    now = timezone.now()
    service = make_report_survey(world.store, name="After your ticket")
    nps = make_report_survey(world.store, name="Would you recommend us?")
    unhappy = answer(
        service,
        nps=4,
        csat=2,
        ces=3,
        comment="I had to write three times before anyone answered about my parcel.",
        customer=world.maria,
        ticket=world.maria_ticket,
        agent=world.anna,
        group=world.support,
        at=now - timedelta(days=2),
    )
    with transaction.atomic():  # a no-op if the listener opened it on commit already
        do_open_follow_up(unhappy.pk, lowest=2)
    answer(
        nps,
        nps=9,
        comment="Lovely planters, fast delivery.",
        customer=world.maria,
        channel=SurveyChannel.QR,
        at=now - timedelta(days=40),
    )
    answer(
        service,
        nps=10,
        csat=5,
        speed=5,
        quality=9,
        customer=world.maria,
        channel=SurveyChannel.PAPER,
        is_paper=True,
        entered_by=world.lena,
        at=now - timedelta(days=90),
    )
    login(page, world.lena)
    # when
    page.goto(page.base_url + f"/customers/{world.maria.pk}/")
    section = page.locator("#survey-answers")
    section.scroll_into_view_if_needed()
    # then
    items = section.locator(".sa")
    assert items.count() == 3
    assert "After your ticket" in items.first.inner_text()
    assert items.first.locator(".sa-bad").count() == 3
    assert "three times" in items.first.locator("[data-comment]").inner_text()
    assert items.first.locator("[data-follow-up]").count() == 1
    assert "Paper card" in items.nth(2).inner_text()
    page.wait_for_timeout(200)
    path = screenshot(page, "customer-surveys", docs=True)
    assert path.stat().st_size > 10_000
    # and the ticket link leads to the ticket
    items.first.locator("[data-ticket-link]").click()
    page.wait_for_url(f"**/tickets/{world.maria_ticket.pk}/**")
