"""The survey builder's pages: the list per store, creating from a template, the edit page with
its share links, the htmx question actions, the library, the preview per language and "send a
test to me"; CSRF on every POST; agents refused, leads only see the list."""

import re
from html import unescape

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from zabota.surveys.builder import check_add_question, check_create_survey
from zabota.surveys.constants import InvitationStatus, Metric, Purpose, QuestionKind, Trigger
from zabota.surveys.library import QUESTIONS
from zabota.surveys.models import Invitation, Question, Survey

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def _client(user, *, csrf: bool = False) -> Client:
    client = Client(enforce_csrf_checks=csrf)
    client.force_login(user)
    return client


def _survey(world, preset_key="", name="Feedback"):
    return check_create_survey(
        world.store, name=name, purpose=Purpose.GENERAL, actor=world.ada, preset_key=preset_key
    )


def _url(name, survey, question=None, **extra):
    kwargs = {"survey_id": survey.pk, **extra}
    if question is not None:
        kwargs["question_id"] = question.pk
    return reverse(f"web:{name}", kwargs=kwargs)


# --- the list and creating ---------------------------------------------------------------------


def test_admin_sees_the_surveys_of_each_store_with_their_response_counts(world):
    # given
    _survey(world, preset_key="nps", name="NPS quarterly")

    # when
    response = _client(world.ada).get(reverse("web:surveys"))

    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-store="demo"' in html
    assert "NPS quarterly" in html
    assert 'data-responses="0"' in html
    assert reverse("web:survey_new") in html
    assert 'data-nav="surveys"' in html  # the sidebar link


def test_lead_sees_the_list_without_edit_links_and_agent_is_refused(world):
    survey = _survey(world)
    lead = _client(world.lena)
    response = lead.get(reverse("web:surveys"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Feedback" in html and _url("survey", survey) not in html
    assert reverse("web:survey_new") not in html
    assert lead.get(_url("survey", survey)).status_code == 403
    assert lead.get(reverse("web:survey_new")).status_code == 403

    agent = _client(world.anna)
    assert agent.get(reverse("web:surveys")).status_code == 403
    assert 'data-nav="surveys"' not in agent.get(reverse("web:inbox")).content.decode()


def test_agents_and_leads_cannot_change_anything(world):
    survey = _survey(world, preset_key="post_resolution")
    question = survey.questions.first()
    posts = [
        (reverse("web:survey_new"), {"name": "X", "store": world.store.pk}),
        (_url("survey", survey), {"name": "Hijacked"}),
        (_url("survey_question_add", survey), {"kind": "text"}),
        (_url("survey_question", survey, question), {"text_en": "Hijacked"}),
        (_url("survey_question_move", survey, question), {"direction": "down"}),
        (_url("survey_question_delete", survey, question), {}),
        (_url("survey_send_test", survey), {"language": "en"}),
    ]
    gets = [
        _url("survey_library", survey),
        _url("survey_preview", survey, language="ru"),
        _url("survey_question", survey, question),
    ]
    for user in (world.lena, world.anna):
        client = _client(user)
        for url, data in posts:
            assert client.post(url, data).status_code == 403, url
        for url in gets:
            assert client.get(url).status_code == 403, url
    survey.refresh_from_db()
    assert survey.name == "Feedback"
    assert survey.questions.count() == 4
    assert Survey.objects.count() == 1
    assert Invitation.objects.count() == 0


def test_an_unknown_survey_or_a_question_of_another_is_missing(world):
    survey = _survey(world)
    other = _survey(world, name="Other", preset_key="nps")
    foreign = other.questions.first()
    client = _client(world.ada)
    assert client.get(reverse("web:survey", kwargs={"survey_id": 999_999})).status_code == 404
    assert client.get(_url("survey_question", survey, foreign)).status_code == 404
    assert client.post(_url("survey_question_delete", survey, foreign)).status_code == 404
    assert Question.objects.filter(pk=foreign.pk).exists()


def test_creating_from_a_template(world):
    # when
    response = _client(world.ada).post(
        reverse("web:survey_new"),
        {"name": "", "store": world.store.pk, "purpose": "general", "preset": "post_resolution"},
    )

    # then: the template's name, purpose and questions; on to the edit page
    survey = Survey.objects.get()
    assert response.status_code == 302
    assert response["Location"] == _url("survey", survey)
    assert survey.name == "Post-resolution: speed and quality"
    assert survey.purpose == Purpose.POST_RESOLUTION
    assert list(survey.questions.values_list("metric", flat=True)) == [
        Metric.SPEED,
        Metric.QUALITY,
        Metric.CSAT,
        Metric.NONE,
    ]


def test_creating_a_blank_survey_needs_a_name(world):
    client = _client(world.ada)
    response = client.post(
        reverse("web:survey_new"), {"name": " ", "store": world.store.pk, "purpose": "exit"}
    )
    assert response.status_code == 400
    assert 'data-error="name"' in response.content.decode()
    response = client.post(
        reverse("web:survey_new"), {"name": "Bye", "store": world.store.pk, "purpose": "exit"}
    )
    assert response.status_code == 302
    survey = Survey.objects.get()
    assert (survey.name, survey.purpose, survey.questions.count()) == ("Bye", "exit", 0)


def test_posts_need_the_csrf_token(world):
    survey = _survey(world, preset_key="nps")
    question = survey.questions.first()
    client = _client(world.ada, csrf=True)
    for url, data in [
        (reverse("web:survey_new"), {"name": "X", "store": world.store.pk, "purpose": "nps"}),
        (_url("survey", survey), {"name": "Changed"}),
        (_url("survey_question_add", survey), {"kind": "text"}),
        (_url("survey_question_move", survey, question), {"direction": "down"}),
        (_url("survey_question_delete", survey, question), {}),
        (_url("survey_send_test", survey), {"language": "en"}),
    ]:
        assert client.post(url, data).status_code == 403, url
    assert Survey.objects.count() == 1 and survey.questions.count() == 4

    # the edit page carries the token for htmx and the forms
    html = client.get(_url("survey", survey)).content.decode()
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match is not None
    token = match.group(1)
    response = client.post(
        _url("survey_question_add", survey),
        {"kind": "text"},
        headers={**HTMX, "X-CSRFToken": token},
    )
    assert response.status_code == 200
    assert survey.questions.count() == 5


# --- the edit page -----------------------------------------------------------------------------


def test_the_edit_page_shows_questions_share_links_and_missing_languages(world):
    # given: a survey with a question written in English only
    survey = _survey(world, preset_key="nps")
    blank = check_add_question(survey, actor=world.ada, kind=QuestionKind.TEXT)
    Question.objects.filter(pk=blank.pk).update(texts={"en": {"text": "Anything else?"}})

    # when
    html = _client(world.ada).get(_url("survey", survey)).content.decode()

    # then
    assert html.count('<article class="sb-q') == 5
    assert "How likely are you to recommend us" in html
    assert 'data-missing="ru,pl,hu"' in html
    assert 'data-branch="1"' in html  # the follow-ups depend on question 1
    assert f"/s/{survey.public_key}/" in html
    assert f"/s/{survey.public_key}/qr.svg" in html
    assert f"/s/{survey.public_key}/kiosk/" in html
    snippet = '<script src="http://localhost:8000/s/embed/demo.js" async></script>'
    assert snippet not in html  # shown as text, escaped
    assert snippet in unescape(html)
    for code in ("en", "ru", "pl", "hu"):
        assert _url("survey_preview", survey, language=code) in html


def test_saving_the_settings_and_texts(world):
    survey = _survey(world)
    response = _client(world.ada).post(
        _url("survey", survey),
        {
            "name": "In the shop",
            "purpose": "on_site",
            "default_language": "ru",
            "kiosk_idle_seconds": "30",
            "popup_paths": "/checkout/done\n/help/",
            "is_active": "on",
            "title_en": "Tell us",
            "title_ru": "Расскажите нам",
            "thanks_hu": "Köszönjük!",
        },
    )
    assert response.status_code == 302
    survey.refresh_from_db()
    assert (survey.name, survey.purpose, survey.default_language) == (
        "In the shop",
        "on_site",
        "ru",
    )
    assert (survey.is_active, survey.anonymous, survey.kiosk_idle_seconds) == (True, False, 30)
    assert survey.popup_paths == ["/checkout/done", "/help/"]
    assert survey.texts == {
        "en": {"title": "Tell us"},
        "ru": {"title": "Расскажите нам"},
        "hu": {"thanks": "Köszönjük!"},
    }


def test_a_refused_setting_shows_the_form_again(world):
    survey = _survey(world)
    response = _client(world.ada).post(
        _url("survey", survey),
        {
            "name": "X",
            "purpose": "general",
            "default_language": "en",
            "kiosk_idle_seconds": "45",
            "popup_paths": "checkout",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-error="popup_paths"' in html
    assert "checkout" in html
    survey.refresh_from_db()
    assert survey.popup_paths == [] and survey.name == "Feedback"


# --- questions ---------------------------------------------------------------------------------


def test_adding_a_blank_question_opens_its_editor(world):
    survey = _survey(world)
    response = _client(world.ada).post(
        _url("survey_question_add", survey), {"kind": "single"}, headers=HTMX
    )
    question = survey.questions.get()
    html = response.content.decode()
    assert response.status_code == 200
    assert html.startswith('<div id="questions"')
    assert "data-question-form" in html
    assert 'name="choices_ru"' in html
    assert question.kind == QuestionKind.SINGLE


def test_adding_from_the_library(world):
    survey = _survey(world)
    client = _client(world.ada)
    library = client.get(_url("survey_library", survey), headers=HTMX).content.decode()
    assert library.count("data-goal=") == 14
    assert library.count("data-add-library=") == len(QUESTIONS)
    full_page = client.get(_url("survey_library", survey)).content.decode()
    assert full_page.startswith("<!doctype html>") and full_page.count("data-goal=") == 14

    response = client.post(
        _url("survey_question_add", survey), {"library_key": "problem_speed"}, headers=HTMX
    )
    question = survey.questions.get()
    assert (question.library_key, question.metric) == ("problem_speed", Metric.SPEED)
    assert "How quickly did we solve your problem?" in response.content.decode()
    assert "data-question-form" not in response.content.decode()


def test_editing_a_question_in_place(world):
    # given: a rating and a text question after it
    survey = _survey(world)
    rating = check_add_question(survey, actor=world.ada, kind=QuestionKind.RATING)
    text = check_add_question(survey, actor=world.ada, kind=QuestionKind.TEXT)
    client = _client(world.ada)

    # when: the editor opens and the text question is saved to show only after a low rating
    editor = client.get(_url("survey_question", survey, text), headers=HTMX).content.decode()
    assert f'<option value="{rating.pk}">1. Rating scale (1–5)</option>' in editor
    Question.objects.filter(pk=rating.pk).update(texts={"en": {"text": "How was it?"}})
    editor = client.get(_url("survey_question", survey, text), headers=HTMX).content.decode()
    assert f'<option value="{rating.pk}">1. How was it? (1–5)</option>' in editor
    response = client.post(
        _url("survey_question", survey, text),
        {
            "text_en": "What went wrong?",
            "text_ru": "Что пошло не так?",
            "required": "on",
            "show_if": rating.pk,
            "show_if_min": "",
            "show_if_max": "2",
        },
        headers=HTMX,
    )

    # then
    text.refresh_from_db()
    assert response.status_code == 200
    assert text.texts == {"en": {"text": "What went wrong?"}, "ru": {"text": "Что пошло не так?"}}
    assert (text.required, text.show_if_id, text.show_if_min, text.show_if_max) == (
        True,
        rating.pk,
        None,
        2,
    )
    html = response.content.decode()
    assert "Shown if question 1 is 2 or less" in html
    assert "data-question-form" not in html


def test_a_refused_question_edit_keeps_the_editor_open_with_the_message(world):
    survey = _survey(world)
    question = check_add_question(survey, actor=world.ada, kind=QuestionKind.SINGLE)
    response = _client(world.ada).post(
        _url("survey_question", survey, question),
        {"text_en": "Pick one", "choices_en": "Red\nGreen", "choices_ru": "Красный"},
        headers=HTMX,
    )
    html = response.content.decode()
    assert 'data-error="choices"' in html
    assert "data-question-form" in html
    assert "Pick one" in html  # what was typed is kept
    question.refresh_from_db()
    assert question.texts == {}


def test_moving_and_deleting_questions(world):
    survey = _survey(world, preset_key="post_resolution")
    speed, quality, csat, better = survey.questions.order_by("position")
    client = _client(world.ada)

    response = client.post(
        _url("survey_question_move", survey, quality), {"direction": "up"}, headers=HTMX
    )
    assert response.status_code == 200
    assert list(survey.questions.order_by("position")) == [quality, speed, csat, better]

    # a move that breaks the branching is refused with the reason
    response = client.post(
        _url("survey_question_move", survey, better), {"direction": "up"}, headers=HTMX
    )
    assert "data-notice" in response.content.decode()
    assert list(survey.questions.order_by("position")) == [quality, speed, csat, better]

    response = client.post(_url("survey_question_delete", survey, speed), headers=HTMX)
    assert response.status_code == 200
    assert list(survey.questions.order_by("position")) == [quality, csat, better]
    assert response.content.decode().count('<article class="sb-q') == 3


def test_plain_form_posts_work_without_htmx(world):
    survey = _survey(world)
    client = _client(world.ada)
    response = client.post(_url("survey_question_add", survey), {"kind": "yes_no"})
    question = survey.questions.get()
    assert question.kind == QuestionKind.YES_NO
    assert response.status_code == 302
    assert response["Location"] == _url("survey_question", survey, question)
    assert "data-question-form" in client.get(response["Location"]).content.decode()
    response = client.post(_url("survey_question", survey, question), {"text_en": "Happy?"})
    assert response.status_code == 302
    assert response["Location"] == _url("survey", survey)
    question.refresh_from_db()
    assert question.texts == {"en": {"text": "Happy?"}}


# --- preview and test --------------------------------------------------------------------------


def test_preview_in_russian_uses_the_answering_partial(world):
    survey = _survey(world, preset_key="post_resolution")
    response = _client(world.ada).get(_url("survey_preview", survey, language="ru"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Как мы справились?" in html
    assert "Насколько быстро мы решили вашу проблему?" in html
    assert "Что мы могли бы сделать лучше?" in html
    assert 'data-preview-language="ru"' in html
    assert 'class="sv-questions"' in html
    assert "data-missing-preview" not in html
    assert _client(world.ada).get(_url("survey_preview", survey, language="de")).status_code == 404


def test_preview_warns_about_questions_missing_in_the_language(world):
    survey = _survey(world)
    question = check_add_question(survey, actor=world.ada, kind=QuestionKind.TEXT)
    Question.objects.filter(pk=question.pk).update(texts={"en": {"text": "Anything else?"}})
    html = _client(world.ada).get(_url("survey_preview", survey, language="pl")).content.decode()
    assert "data-missing-preview" in html
    assert "Anything else?" in html  # the fallback


def test_send_a_test_to_me(world, django_capture_on_commit_callbacks):
    survey = _survey(world, preset_key="nps")
    with django_capture_on_commit_callbacks(execute=True):
        response = _client(world.ada).post(_url("survey_send_test", survey), {"language": "hu"})
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert (invitation.trigger, invitation.language, invitation.email) == (
        Trigger.TEST,
        "hu",
        "ada@example.com",
    )
    assert invitation.status in (InvitationStatus.SENT, InvitationStatus.FAILED)
    assert [message.to for message in mail.outbox] == [["ada@example.com"]]


def test_texts_are_escaped_on_the_builder_pages(world):
    """A survey name or a question text with markup is shown as text, never run."""
    hostile = '<img src=x onerror="window.__xss = 1">'
    survey = _survey(world, name=hostile)
    question = check_add_question(survey, actor=world.ada, kind=QuestionKind.SINGLE)
    Question.objects.filter(pk=question.pk).update(
        texts={"en": {"text": hostile, "choices": [hostile, "b"]}}
    )
    client = _client(world.ada)
    for url in (
        reverse("web:surveys"),
        _url("survey", survey),
        _url("survey_preview", survey, language="en"),
    ):
        html = client.get(url).content.decode()
        assert hostile not in html, url
        assert "&lt;img src=x onerror=&quot;window.__xss = 1&quot;&gt;" in html, url
