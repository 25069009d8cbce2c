"""The customer portal: a signed e-mailed link signs a customer in (never a staff user), shows
their requests and, once a quarter and within the contact budget, the feedback survey."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from zabota.commerce.models import Store
from zabota.core import ratelimit
from zabota.surveys import portal
from zabota.surveys.constants import Purpose, SurveyChannel, Trigger
from zabota.surveys.invitations import do_invite
from zabota.surveys.models import Response
from zabota.surveys.respond import do_submit_response
from zabota.surveys.tests.distribution import make_survey

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _urls_loaded():
    """Load the URLconf before any clock is frozen (pydantic and freezegun's datetime)."""
    reverse("ping")


@pytest.fixture
def browser() -> Client:
    return Client(enforce_csrf_checks=True)


def _post(client: Client, url: str, data: dict | None = None):
    """Open the page, then submit its form with the CSRF token it set."""
    client.get(url)
    token = client.cookies["csrftoken"].value
    return client.post(url, {**(data or {}), "csrfmiddlewaretoken": token})


def _ask_link(client: Client, email: str, slug: str = "demo"):
    return _post(client, reverse("portal:sign_in", args=[slug]), {"email": email})


def _link_from_mail() -> str:
    [message] = mail.outbox
    [url] = re.findall(r"https?://\S+/portal/\S+/enter/\S+/", str(message.body))
    return url.split("://", 1)[1].split("/", 1)[1].join(["/", ""])


def _signed_in(world, client: Client) -> None:
    _ask_link(client, "maria@example.pl")
    link = _link_from_mail()
    response = _post(client, link)
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:home", args=["demo"])


def test_a_known_address_gets_a_link_and_an_unknown_one_the_same_answer(world, browser):
    # when
    known = _ask_link(browser, "Maria@Example.pl ")
    unknown = _ask_link(Client(enforce_csrf_checks=True), "nobody@example.com")
    # then
    assert known.status_code == unknown.status_code == 200
    page = known.content.decode().replace("maria@example.pl", "ADDRESS")
    assert page == unknown.content.decode().replace("nobody@example.com", "ADDRESS")
    assert "Check your inbox" in page
    [message] = mail.outbox
    assert message.to == ["maria@example.pl"]
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"
    assert "/portal/demo/enter/" in message.body


def test_the_link_signs_in_on_the_button_and_shows_only_her_requests(world, browser):
    # given
    _ask_link(browser, "maria@example.pl")
    link = _link_from_mail()
    # when: opening the link (a mail scanner would) signs nobody in
    opened = browser.get(link)
    assert opened.status_code == 200
    assert browser.get(reverse("portal:home", args=["demo"])).status_code == 302
    pressed = _post(browser, link)
    home = browser.get(pressed["Location"])
    # then
    assert home.status_code == 200
    assert [t.pk for t in home.context["tickets"]] == [world.maria_ticket.pk]
    page = home.content.decode()
    assert "Where is my parcel?" in page
    assert "Return of a jacket" not in page
    assert "_auth_user_id" not in browser.session


@pytest.mark.parametrize("case", ["forged", "expired", "other store"])
def test_a_bad_link_is_refused(world, browser, case):
    # given
    other = Store.objects.create(slug="other", name="Other", email="help@other.example")
    token = portal.sign_in_token(world.store, "maria@example.pl")
    slug = "demo"
    if case == "forged":
        token = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    if case == "other store":
        slug = other.slug
    url = reverse("portal:enter", args=[slug, token])
    # when
    if case == "expired":
        with freeze_time(timezone.now() + timedelta(minutes=31)):
            response = browser.get(url)
    else:
        response = browser.get(url)
    # then
    assert response.status_code == 410
    assert "This link no longer works" in response.content.decode()


def test_sign_in_requests_are_limited_per_address_and_per_ip(world, browser):
    # when: Maria's address asked for four times
    for _ in range(ratelimit.PORTAL_SIGN_IN_PER_ADDRESS.max_hits + 1):
        response = _ask_link(browser, "maria@example.pl")
        assert response.status_code == 200
    # then: three links went, the fourth request said the same and sent nothing
    assert len(mail.outbox) == ratelimit.PORTAL_SIGN_IN_PER_ADDRESS.max_hits
    for n in range(ratelimit.PORTAL_SIGN_IN_PER_IP.max_hits):
        _ask_link(browser, f"someone{n}@example.com")
    assert _ask_link(browser, "last@example.com").status_code == 429


def test_the_quarterly_survey_is_answered_once_and_stored_with_the_customer(world, browser):
    # given
    survey = make_survey(world.store, purpose=Purpose.MANAGER_REVIEW, name="Manager review")
    quality = survey.questions.get(position=0)
    _signed_in(world, browser)
    home = browser.get(reverse("portal:home", args=["demo"]))
    assert home.context["survey"] == survey
    assert "Your quarterly feedback" in home.content.decode()
    # when
    url = reverse("portal:feedback", args=["demo"])
    token = browser.cookies["csrftoken"].value
    data = {"csrfmiddlewaretoken": token, "survey": survey.pk, f"q{quality.pk}": "2"}
    first = browser.post(url, data)
    again = browser.post(url, data)
    # then
    assert first.status_code == again.status_code == 302
    [response] = Response.objects.all()
    assert response.channel == SurveyChannel.PORTAL
    assert response.customer == world.maria
    assert response.quality == 2
    after = browser.get(reverse("portal:home", args=["demo"]))
    assert after.context.get("survey") is None
    assert "Thanks!" in after.content.decode()


def test_a_missing_required_answer_shows_the_error(world, browser):
    # given
    survey = make_survey(world.store, purpose=Purpose.NPS, name="NPS")
    _signed_in(world, browser)
    token = browser.cookies["csrftoken"].value
    # when
    response = browser.post(
        reverse("portal:feedback", args=["demo"]),
        {"csrfmiddlewaretoken": token, "survey": survey.pk},
    )
    # then
    assert response.status_code == 400
    assert not Response.objects.exists()


def test_no_quarterly_survey_within_the_contact_budget(world, browser):
    """Maria got a survey e-mail today: the portal does not ask her again."""
    # given
    make_survey(world.store, purpose=Purpose.MANAGER_REVIEW)
    post = make_survey(world.store)
    do_invite(post, customer=world.maria, trigger=Trigger.MANUAL, dedupe_key="today")
    _signed_in(world, browser)
    # when
    home = browser.get(reverse("portal:home", args=["demo"]))
    # then
    assert home.context.get("survey") is None


def test_the_survey_comes_back_next_quarter(world):
    # given
    survey = make_survey(world.store, purpose=Purpose.NPS)
    now = timezone.now()
    shown = portal.quarterly_survey(world.store, world.maria, now=now)
    assert shown is not None and shown.survey == survey
    nps = survey.questions.get(position=1)
    quality = survey.questions.get(position=0)
    do_submit_response(
        survey,
        answers={quality.pk: 5, nps.pk: 9},
        channel=SurveyChannel.PORTAL,
        submission_key=shown.submission_key,
        language="en",
        customer=world.maria,
        at=now,
    )
    # then
    assert portal.quarterly_survey(world.store, world.maria, now=now) is None
    later = portal.quarterly_survey(world.store, world.maria, now=now + timedelta(days=95))
    assert later is not None and later.submission_key != shown.submission_key


def test_sign_out_ends_the_portal_session(world, browser):
    # given
    _signed_in(world, browser)
    # when
    token = browser.cookies["csrftoken"].value
    response = browser.post(
        reverse("portal:sign_out", args=["demo"]), {"csrfmiddlewaretoken": token}
    )
    # then
    assert response.status_code == 302
    assert browser.get(reverse("portal:home", args=["demo"])).status_code == 302


def test_the_sign_in_post_needs_the_csrf_token(world, browser):
    response = browser.post(reverse("portal:sign_in", args=["demo"]), {"email": "a@b.example"})
    assert response.status_code == 403
