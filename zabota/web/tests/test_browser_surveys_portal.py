"""The customer portal and the survey settings in a real browser
(docs/screenshots/surveys-portal.png and surveys-settings.png)."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from zabota.surveys.constants import Purpose, SurveyChannel
from zabota.surveys.models import Response, SurveySettings
from zabota.surveys.tests.distribution import make_survey
from zabota.tickets.actions import do_create_ticket
from zabota.web.tests.conftest import login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_customer_signs_in_and_gives_quarterly_feedback(page, world):
    """Maria asks for a link, opens it, sees her two requests and answers the quarterly
    personal-manager review."""
    # given
    survey = make_survey(world.store, purpose=Purpose.MANAGER_REVIEW, name="Manager review")
    quality, nps, comment = survey.questions.order_by("position")
    do_create_ticket(
        store=world.store,
        customer=world.maria,
        subject="Exchange for a larger size",
        body_text="The coat is too small.",
        actor=None,
    )
    # when: she asks for a sign-in link
    page.goto(page.base_url + "/portal/demo/")
    page.fill("input[name=email]", "maria@example.pl")
    page.click("button[type=submit]")
    page.wait_for_selector("#portal-sent")
    [message] = mail.outbox
    [link] = re.findall(r"/portal/demo/enter/\S+/", str(message.body))
    # and opens it
    page.goto(page.base_url + link)
    page.click("#portal-enter")
    page.wait_for_url("**/portal/demo/home/")
    page.wait_for_selector("#portal-feedback")
    # then: her requests, newest first, and the survey (waited for: once, under load, the
    # count was read as 0 on the freshly loaded page)
    rows = page.locator("#portal-tickets tbody tr")
    expect(rows).to_have_count(2)
    assert "Exchange for a larger size" in rows.first.inner_text()
    page.click(f"#sv-q{quality.pk} label:has(input[value='5'])")
    page.click(f"#sv-q{nps.pk} label:has(input[value='10'])")
    page.fill(f"textarea[name=q{comment.pk}]", "Anna always finds a way.")
    screenshot(page, "surveys-portal", docs=True)
    page.click("#portal-feedback button[type=submit]")
    page.wait_for_selector("#portal-thanks")
    # then
    [response] = Response.objects.all()
    assert (response.channel, response.customer_id) == (SurveyChannel.PORTAL, world.maria.pk)
    assert (response.quality, response.nps) == (5, 10)
    assert page.locator("#portal-feedback").count() == 0
    page.click("#portal-sign-out")
    page.wait_for_selector("input[name=email]")


def test_an_admin_sets_the_contact_budget(page, world):
    # given
    login(page, world.ada)
    # when
    page.goto(page.base_url + "/surveys/settings/")
    page.fill("input[name=min_days_between]", "21")
    page.uncheck("input[name=once_per_ticket]")
    screenshot(page, "surveys-settings", docs=True)
    page.click("#survey-settings button[type=submit]")
    page.wait_for_selector(".toast, .alert-success")
    # then
    saved = SurveySettings.objects.get(store=world.store)
    assert (saved.min_days_between, saved.once_per_ticket) == (21, False)
    assert page.input_value("input[name=min_days_between]") == "21"
