"""The public survey pages: the e-mailed link (clear pages for forged, expired and used links,
GET never stores, a double submit stores once), the public link with source and channel, the
QR code, the kiosk's JSON endpoint, the pop-up and its snippet, and the limits per address."""

import json
import re

import pytest
import segno
from django.test import Client, override_settings
from django.urls import reverse

from zabota.core import ratelimit
from zabota.surveys.constants import InvitationStatus, SurveyChannel, Trigger
from zabota.surveys.models import Response, ScoreDay
from zabota.surveys.tests.answering import every_kind_survey, invite
from zabota.surveys.tokens import invitation_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def survey(world):
    return every_kind_survey(world.store)


@pytest.fixture
def customer() -> Client:
    """A customer's browser: not signed in, CSRF checked like a real one."""
    return Client(enforce_csrf_checks=True)


def answer_path(invitation) -> str:
    return reverse("surveys_public:answer", kwargs={"token": invitation_token(invitation)})


def csrf_post(client: Client, url: str, data: dict):
    """Open the page, then send its form back with the CSRF token it set."""
    page = client.get(url)
    key = re.search(r'name="submission_key" value="([^"]+)"', page.content.decode())
    token = client.cookies["csrftoken"].value
    body = {"submission_key": key.group(1) if key else "", **data}
    return client.post(url, body, HTTP_X_CSRFTOKEN=token), body


def text(response) -> str:
    return response.content.decode()


# --- the e-mailed answer link --------------------------------------------------------------


def test_the_link_shows_the_survey_in_the_invitations_language_and_stores_nothing(
    world, survey, customer
):
    # given
    invitation = invite(survey, world.maria, language="ru")
    # when
    page = customer.get(answer_path(invitation))
    # then
    assert page.status_code == 200
    assert "Как мы справились?" in text(page)
    assert "Как быстро мы решили вопрос?" in text(page)
    assert page["Content-Language"] == "ru"
    assert f'name="q{survey.q["nps"].pk}"' in text(page)
    assert not Response.objects.exists()


def test_a_score_clicked_in_the_email_is_preselected_but_not_stored(world, survey, customer):
    invitation = invite(survey, world.maria)
    speed = survey.q["speed"].pk
    page = customer.get(answer_path(invitation) + f"?q={speed}&v=4")
    assert re.search(rf'name="q{speed}" value="4" checked', text(page))
    assert not re.search(rf'name="q{speed}" value="3" checked', text(page))
    assert not Response.objects.exists()


def test_answering_stores_one_response_and_a_double_submit_changes_nothing(world, survey, customer):
    # given
    invitation = invite(survey, world.maria, ticket=world.maria_ticket, agent=world.anna)
    url = answer_path(invitation)
    # when
    done, body = csrf_post(
        customer,
        url,
        {
            f"q{survey.q['speed'].pk}": "4",
            f"q{survey.q['nps'].pk}": "9",
            f"q{survey.q['what'].pk}": ["0", "2"],
            f"q{survey.q['comment'].pk}": "Quick!",
        },
    )
    again = customer.post(url, body, HTTP_X_CSRFTOKEN=customer.cookies["csrftoken"].value)
    # then
    assert done.status_code == 200
    assert "Thank you!" in text(done)
    assert again.status_code == 200  # the same form again: the same thanks
    response = Response.objects.get()
    assert (response.channel, response.customer, response.ticket, response.agent) == (
        SurveyChannel.EMAIL,
        world.maria,
        world.maria_ticket,
        world.anna,
    )
    assert (response.speed, response.nps) == (4, 9)
    assert response.answers.get(question=survey.q["what"]).choices == [0, 2]
    assert ScoreDay.objects.get().responses == 1
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.ANSWERED


def test_a_used_link_says_thank_you_already_answered(world, survey, customer):
    invitation = invite(survey, world.maria)
    url = answer_path(invitation)
    csrf_post(customer, url, {f"q{survey.q['speed'].pk}": "5"})
    page = customer.get(url)
    assert page.status_code == 410
    assert "You have already answered, thank you!" in text(page)
    # a new form (another submission key) does not store a second response either
    other = customer.post(
        url,
        {"submission_key": "another", f"q{survey.q['speed'].pk}": "1"},
        HTTP_X_CSRFTOKEN=customer.cookies["csrftoken"].value,
    )
    assert other.status_code == 410
    assert Response.objects.count() == 1


def test_a_forged_link_is_a_clear_bad_request(customer):
    page = customer.get(reverse("surveys_public:answer", kwargs={"token": "made-up:token"}))
    assert page.status_code == 400
    assert "This survey link does not work" in text(page)


def test_an_expired_link_is_gone(world, survey, customer):
    invitation = invite(survey, world.maria, days=-1)
    page = customer.get(answer_path(invitation))
    assert page.status_code == 410
    assert "This survey link has expired" in text(page)
    # and cannot be answered by posting to it
    posted = customer.post(answer_path(invitation), {"submission_key": "x"})
    assert posted.status_code in (403, 410)
    assert not Response.objects.exists()


def test_bad_answers_show_the_form_again_with_the_messages(world, survey, customer):
    invitation = invite(survey, world.maria)
    page, _ = csrf_post(customer, answer_path(invitation), {f"q{survey.q['nps'].pk}": "3"})
    assert page.status_code == 400
    # speed is required; NPS 3 shows "what should we do better", required too
    assert text(page).count("Please answer this question.") == 2
    assert re.search(rf'name="q{survey.q["nps"].pk}" value="3" checked', text(page))
    assert not Response.objects.exists()


def test_posting_without_the_csrf_token_is_refused(world, survey, customer):
    invitation = invite(survey, world.maria)
    posted = customer.post(answer_path(invitation), {f"q{survey.q['speed'].pk}": "5"})
    assert posted.status_code == 403
    assert not Response.objects.exists()


def test_texts_are_escaped(world, survey, customer):
    survey.texts["en"]["title"] = "<script>alert(1)</script>"
    survey.save()
    page = customer.get(reverse("surveys_public:public", args=[survey.public_key]))
    assert "<script>alert(1)" not in text(page)
    assert "&lt;script&gt;alert(1)" in text(page)


# --- public link and QR code ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "channel", "source"),
    [
        ("", SurveyChannel.PUBLIC_LINK, ""),
        ("?src=receipt", SurveyChannel.PUBLIC_LINK, "receipt"),
        ("?c=qr&src=parcel", SurveyChannel.QR, "parcel"),
        ("?c=exit", SurveyChannel.EXIT, ""),
    ],
)
def test_the_public_link_counts_its_channel_and_source(survey, customer, query, channel, source):
    url = reverse("surveys_public:public", args=[survey.public_key])
    page = customer.get(url + query)
    assert page.status_code == 200
    hidden = dict(re.findall(r'type="hidden" name="(c|src)" value="([^"]*)"', text(page)))
    done = customer.post(
        url,
        {**hidden, "submission_key": "pk1", f"q{survey.q['speed'].pk}": "3"},
        HTTP_X_CSRFTOKEN=customer.cookies["csrftoken"].value,
    )
    assert done.status_code == 200
    response = Response.objects.get()
    assert (response.channel, response.source, response.customer) == (channel, source, None)


def test_an_unknown_or_inactive_survey_is_a_friendly_not_found(survey, customer):
    assert customer.get(reverse("surveys_public:public", args=["nope"])).status_code == 404
    survey.is_active = False
    survey.save()
    page = customer.get(reverse("surveys_public:public", args=[survey.public_key]))
    assert page.status_code == 404
    assert "This survey is not available" in text(page)


def test_the_qr_code_is_a_cacheable_svg_of_the_public_link(settings, survey, customer):
    settings.ZABOTA_PUBLIC_URL = "https://help.shop.example"
    page = customer.get(reverse("surveys_public:qr", args=[survey.public_key]) + "?src=receipt")
    assert page.status_code == 200
    assert page["Content-Type"] == "image/svg+xml"
    assert "public" in page["Cache-Control"]
    assert b"<svg" in page.content
    # the same code as one made for the public link with ?c=qr&src=receipt
    target = f"https://help.shop.example/s/{survey.public_key}/?c=qr&src=receipt"
    expected = segno.make(target, error="m")
    made = segno.make(target + "x", error="m")
    assert f"{expected.symbol_size(scale=8, border=2)[0]}" in page.content.decode()
    assert expected.svg_data_uri() != made.svg_data_uri()
    from io import BytesIO

    buffer = BytesIO()
    expected.save(buffer, kind="svg", scale=8, border=2, title=survey.store.name, xmldecl=True)
    assert page.content == buffer.getvalue()


# --- kiosk ---------------------------------------------------------------------------------


def test_the_kiosk_page_knows_its_idle_time(survey, customer):
    survey.kiosk_idle_seconds = 20
    survey.save()
    page = customer.get(reverse("surveys_public:kiosk", args=[survey.public_key]))
    assert page.status_code == 200
    assert 'data-idle-seconds="20"' in text(page)


def test_the_kiosk_stores_each_key_once_and_answers_json(survey, customer):
    url = reverse("surveys_public:kiosk", args=[survey.public_key])
    customer.get(url)
    token = customer.cookies["csrftoken"].value
    body = {"submission_key": "kiosk-1", f"q{survey.q['speed'].pk}": "5"}
    first = customer.post(url, body, HTTP_X_CSRFTOKEN=token)
    retry = customer.post(url, body, HTTP_X_CSRFTOKEN=token)  # the reply was lost on the way
    assert (first.status_code, first.json()) == (200, {"ok": True})
    assert (retry.status_code, retry.json()) == (200, {"ok": True})
    assert Response.objects.get().channel == SurveyChannel.KIOSK
    refused = customer.post(url, {"submission_key": "kiosk-2"}, HTTP_X_CSRFTOKEN=token)
    assert refused.status_code == 400
    assert refused.json()["errors"] == {str(survey.q["speed"].pk): "Please answer this question."}
    assert customer.post(url, {}, HTTP_X_CSRFTOKEN=token).status_code == 400
    assert Response.objects.count() == 1


# --- website pop-up ------------------------------------------------------------------------


def test_the_popup_asks_the_first_two_questions_and_may_be_framed(survey, customer):
    url = reverse("surveys_public:popup", args=[survey.public_key])
    page = customer.get(url + "?page=/shoes/red?utm=mail")
    assert page.status_code == 200
    assert "X-Frame-Options" not in page
    names = set(re.findall(r'name="q(\d+)"', text(page)))
    assert names == {str(survey.q["speed"].pk), str(survey.q["quality"].pk)}
    assert 'name="page" value="/shoes/red"' in text(page)


def test_a_popup_answer_is_stored_with_its_page_and_the_unasked_questions_skipped(survey, customer):
    # given: NPS (third) and the rest were not asked
    url = reverse("surveys_public:popup", args=[survey.public_key])
    page = customer.get(url + "?page=/checkout/done")
    found = re.search(r'name="stamp" value="([^"]+)"', text(page))
    assert found
    stamp = found.group(1)
    # when (no CSRF cookie in a third-party iframe: the signed stamp stands for it)
    done = customer.post(
        url,
        {
            "stamp": stamp,
            "page": "/checkout/done",
            "submission_key": "pop1",
            f"q{survey.q['speed'].pk}": "2",
            f"q{survey.q['nps'].pk}": "10",
        },
    )
    # then
    assert done.status_code == 200
    response = Response.objects.get()
    assert (response.channel, response.source, response.speed, response.nps) == (
        SurveyChannel.POPUP,
        "/checkout/done",
        2,
        None,
    )


def test_a_popup_post_without_a_valid_stamp_is_refused(survey, customer):
    url = reverse("surveys_public:popup", args=[survey.public_key])
    posted = customer.post(
        url, {"stamp": "forged", "submission_key": "p", f"q{survey.q['speed'].pk}": "2"}
    )
    assert posted.status_code == 403
    assert not Response.objects.exists()


def test_the_snippet_lists_the_stores_popup_surveys(world, survey, customer):
    # given
    survey.popup_paths = ["/checkout/", "/shoes"]
    survey.texts["en"]["title"] = "</script><b>Hi"
    survey.save()
    quiet = every_kind_survey(world.store, name="No pop-up")
    # when
    script = customer.get(reverse("surveys_public:embed", args=["demo"]))
    # then
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    body = text(script)
    assert "</script>" not in body
    found = re.search(r"var config = (\{.*?\});\n", body)
    assert found
    config = json.loads(found.group(1))
    assert [s["key"] for s in config["surveys"]] == [survey.public_key]
    assert quiet.public_key not in body
    assert config["surveys"][0]["paths"] == ["/checkout/", "/shoes"]
    assert config["surveys"][0]["url"] == f"http://testserver/s/{survey.public_key}/popup/"
    assert config["surveys"][0]["title"] == "</script><b>Hi"


def test_the_snippet_of_an_unknown_store_does_nothing(customer):
    script = customer.get(reverse("surveys_public:embed", args=["nobody"]))
    assert script.status_code == 200
    assert '"surveys": []' in text(script)


# --- limits per address --------------------------------------------------------------------


def test_trying_many_tokens_is_limited_with_a_friendly_page(monkeypatch, customer):
    monkeypatch.setattr(ratelimit, "SURVEY_TOKEN_PER_IP", ratelimit.Limit("t-survey-token", 3, 60))
    url = reverse("surveys_public:answer", kwargs={"token": "guess"})
    codes = [customer.get(url).status_code for _ in range(4)]
    assert codes == [400, 400, 400, 429]
    page = customer.get(url)
    assert "Too many attempts" in text(page)
    assert int(page["Retry-After"]) > 0


def test_many_submissions_from_one_address_are_limited(monkeypatch, survey, customer):
    monkeypatch.setattr(
        ratelimit, "SURVEY_SUBMIT_PER_IP", ratelimit.Limit("t-survey-submit", 2, 60)
    )
    kiosk = reverse("surveys_public:kiosk", args=[survey.public_key])
    customer.get(kiosk)
    token = customer.cookies["csrftoken"].value
    codes = [
        customer.post(
            kiosk,
            {"submission_key": f"k{n}", f"q{survey.q['speed'].pk}": "4"},
            HTTP_X_CSRFTOKEN=token,
        ).status_code
        for n in range(3)
    ]
    assert codes == [200, 200, 429]
    public = customer.post(
        reverse("surveys_public:public", args=[survey.public_key]),
        {"submission_key": "x", f"q{survey.q['speed'].pk}": "4"},
        HTTP_X_CSRFTOKEN=token,
    )
    assert public.status_code == 429
    assert "Too many attempts" in text(public)
    assert Response.objects.count() == 2


@override_settings(TASKS={"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}})
def test_a_kiosk_submission_costs_a_few_queries(survey, customer, django_assert_num_queries):
    """The path a load test measures: the raw submission's insert, nothing else (the survey
    and its questions are cached per process since the page was drawn); the response, answers,
    day row and event are the worker's (test_submissions)."""
    url = reverse("surveys_public:kiosk", args=[survey.public_key])
    customer.get(url)
    token = customer.cookies["csrftoken"].value
    body = {"submission_key": "k", f"q{survey.q['speed'].pk}": "4", f"q{survey.q['nps'].pk}": "9"}
    with django_assert_num_queries(1):
        assert customer.post(url, body, HTTP_X_CSRFTOKEN=token).status_code == 200


def test_a_test_invitation_checks_the_answers_but_stores_nothing(world, survey, customer):
    """ "Send a test to me": the tester answers; nothing counts in the reports."""
    invitation = invite(survey, world.maria)
    invitation.trigger = Trigger.TEST
    invitation.save()
    url = answer_path(invitation)
    refused, _ = csrf_post(customer, url, {f"q{survey.q['nps'].pk}": "9"})
    assert refused.status_code == 400
    done, _ = csrf_post(customer, url, {f"q{survey.q['speed'].pk}": "2"})
    assert done.status_code == 200
    assert "This was a test" in text(done)
    assert not Response.objects.exists()
    assert not ScoreDay.objects.exists()
    invitation.refresh_from_db()
    assert invitation.answered_at is None


def test_the_respondent_can_switch_to_another_language_of_the_survey(world, survey, customer):
    # given Maria's invitation is in English; the survey also speaks Russian
    invitation = invite(survey, world.maria, language="en")
    page = customer.get(answer_path(invitation))
    assert 'href="?lang=ru"' in text(page)
    # when
    russian = customer.get(answer_path(invitation) + "?lang=ru")
    # then
    assert russian["Content-Language"] == "ru"
    assert "Как быстро мы решили вопрос?" in text(russian)
    # the public link keeps its source when switching
    public = customer.get(reverse("surveys_public:public", args=[survey.public_key]) + "?src=bag")
    assert 'href="?src=bag&amp;lang=ru"' in text(public)


def test_the_answer_page_keeps_a_partial_response_until_it_is_sent(world, survey, customer):
    """The autosave of the answer page: the answers so far (the invalid one left out) under
    the form's key, not counted; sending the form completes the same response."""
    # given
    invitation = invite(survey, world.maria)
    url = answer_path(invitation)
    page = customer.get(url)
    found = re.search(r'name="submission_key" value="([^"]+)"', text(page))
    assert found
    key, token = found.group(1), customer.cookies["csrftoken"].value
    nps, speed = f"q{survey.q['nps'].pk}", f"q{survey.q['speed'].pk}"
    # when Maria answered the NPS (and a bad CES) and stopped there
    saved = customer.post(
        url,
        {"partial": "1", "submission_key": key, nps: "9", f"q{survey.q['ces'].pk}": "99"},
        HTTP_X_CSRFTOKEN=token,
    )
    # then
    assert (saved.status_code, saved.json()) == (200, {"ok": True})
    partial = Response.objects.get()
    assert partial.submitted_at is None
    assert partial.customer == world.maria
    assert list(partial.answers.values_list("question_id", "number")) == [(survey.q["nps"].pk, 9)]
    assert not ScoreDay.objects.exists()
    # when she comes back and sends it
    done = customer.post(
        url, {"submission_key": key, nps: "10", speed: "4"}, HTTP_X_CSRFTOKEN=token
    )
    # then
    assert done.status_code == 200
    response = Response.objects.get()
    assert response.pk == partial.pk
    assert (response.nps, response.speed, response.submitted_at is not None) == (10, 4, True)
    assert ScoreDay.objects.get().responses == 1
