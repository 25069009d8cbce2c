"""The survey builder in a real browser: Ada builds a survey with every type of question through
the UI (texts in English and Russian, a rating on 7 stars, choices, a follow-up shown only after a
low rating, one question from the library), then previews it in Russian and sees the branching
work (docs/screenshots/surveys-builder.png and surveys-preview-ru.png)."""

import pytest

from zabota.surveys.constants import Display, Metric, QuestionKind
from zabota.surveys.models import Survey
from zabota.web.tests.conftest import login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# (kind, English, Russian, choices in English, choices in Russian)
QUESTIONS = [
    (QuestionKind.RATING, "How was your visit?", "Как прошёл ваш визит?", "", ""),
    (
        QuestionKind.NPS,
        "Would you recommend our shop?",
        "Порекомендуете ли вы наш магазин?",
        "",
        "",
    ),
    (QuestionKind.CES, "Paying was easy.", "Оплатить было легко.", "", ""),
    (
        QuestionKind.SINGLE,
        "What did you come for?",
        "Зачем вы пришли?",
        "Shoes\nA bag\nJust looking",
        "Обувь\nСумка\nПросто посмотреть",
    ),
    (
        QuestionKind.MULTIPLE,
        "What did you like?",
        "Что вам понравилось?",
        "The staff\nThe prices\nThe music",
        "Персонал\nЦены\nМузыка",
    ),
    (QuestionKind.YES_NO, "Did you find your size?", "Вы нашли свой размер?", "", ""),
    (QuestionKind.TEXT, "What went wrong?", "Что пошло не так?", "", ""),
]


def _edit_last_question(page, kind, english, russian, choices_en, choices_ru):
    form = page.locator("form[data-question-form]")
    form.wait_for()
    form.locator("textarea[name=text_en]").fill(english)
    if choices_en:
        form.locator("textarea[name=choices_en]").fill(choices_en)
    form.get_by_role("tab", name="RU").click()
    form.locator("textarea[name=text_ru]").fill(russian)
    if choices_ru:
        form.locator("textarea[name=choices_ru]").fill(choices_ru)
    form.get_by_role("tab", name="EN").click()
    if kind == QuestionKind.RATING:
        form.locator("select[name=scale_max]").select_option("7")
        form.locator("select[name=display]").select_option(Display.STARS)
        form.locator("select[name=metric]").select_option(Metric.CSAT)
        form.get_by_label("Required").check()
    if kind == QuestionKind.TEXT:
        # shown only after a rating of 3 or less (question 1)
        form.locator("select[name=show_if]").select_option(index=1)
        form.locator("input[name=show_if_max]").fill("3")
        form.get_by_role("tab", name="RU").click()
        form.scroll_into_view_if_needed()
        screenshot(page, "surveys-question-editor")
    form.get_by_role("button", name="Save question").click()
    form.wait_for(state="detached")


def test_admin_builds_a_survey_with_every_question_type_and_previews_it_in_russian(page, world):
    # given: Ada opens the surveys from the sidebar and starts a blank survey
    login(page, world.ada)
    page.locator('[data-nav="surveys"]').click()
    page.get_by_text("No surveys yet.").wait_for()
    page.get_by_role("link", name="New survey").first.click()
    page.fill("input[name=name]", "In-store visit")
    screenshot(page, "surveys-new")
    page.get_by_role("button", name="Create survey").click()
    page.locator("[data-no-questions]").wait_for()
    survey = Survey.objects.get()

    # when: she adds one question of every type and writes it in English and Russian
    for kind, english, russian, choices_en, choices_ru in QUESTIONS:
        page.locator(f'[data-add-kind="{kind}"]').click()
        _edit_last_question(page, kind, english, russian, choices_en, choices_ru)

    # and one from the library, with one click
    page.locator("#open-library").click()
    page.locator('[data-goal="staff"] summary').click()
    page.locator('[data-add-library="staff_thanks"]').click()
    page.locator("[data-notice]").wait_for()

    # and the survey's Russian title
    page.get_by_role("tab", name="RU").last.click()
    page.fill("input[name=title_ru]", "Как прошёл ваш визит в магазин?")
    page.get_by_role("button", name="Save survey").click()
    page.locator(".toast, .alert-success").first.wait_for()

    # then: every type is stored, in order, with its texts, choices and branching
    questions = list(survey.questions.order_by("position"))
    assert [q.kind for q in questions] == [kind for kind, *_ in QUESTIONS] + [QuestionKind.TEXT]
    rating, nps, ces, single, multiple, yes_no, text, thanks = questions
    assert (rating.scale_max, rating.display, rating.metric, rating.required) == (
        7,
        Display.STARS,
        Metric.CSAT,
        True,
    )
    assert (nps.metric, ces.metric) == (Metric.NPS, Metric.CES)
    assert single.texts["ru"]["choices"] == ["Обувь", "Сумка", "Просто посмотреть"]
    assert multiple.texts["en"]["choices"] == ["The staff", "The prices", "The music"]
    assert yes_no.texts == {
        "en": {"text": "Did you find your size?"},
        "ru": {"text": "Вы нашли свой размер?"},
    }
    assert (text.show_if_id, text.show_if_min, text.show_if_max) == (rating.pk, None, 3)
    assert thanks.library_key == "staff_thanks"
    survey.refresh_from_db()
    assert survey.texts["ru"]["title"] == "Как прошёл ваш визит в магазин?"

    # the page shows the branch and the languages that fall back (PL, HU)
    page.locator(f'#question-{text.pk} [data-branch="1"]').wait_for()
    assert page.locator(f'#question-{yes_no.pk} [data-missing="pl,hu"]').is_visible()
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "surveys-builder", docs=True)

    # when: she previews it in Russian
    page.locator('[data-preview="ru"]').click()
    page.wait_for_url("**/preview/ru/")

    # then: the Russian texts, and the follow-up appears only after a low rating
    preview = page.locator('[data-preview-language="ru"]')
    assert "Как прошёл ваш визит в магазин?" in preview.locator("h2").inner_text()
    assert preview.get_by_text("Порекомендуете ли вы наш магазин?").is_visible()
    assert preview.get_by_text("Просто посмотреть").is_visible()
    follow_up = page.locator(f'[data-question="{text.pk}"]')
    assert not follow_up.is_visible()
    page.locator(f'[data-question="{rating.pk}"] .sv-point').nth(1).click()
    follow_up.wait_for(state="visible")
    assert "Что пошло не так?" in follow_up.inner_text()
    page.locator(f'[data-question="{rating.pk}"] .sv-point').nth(5).click()
    follow_up.wait_for(state="hidden")
    page.locator(f'[data-question="{rating.pk}"] .sv-point').nth(1).click()
    screenshot(page, "surveys-preview-ru", docs=True)

    # the list shows it with its questions and no responses yet
    page.goto(page.base_url + "/surveys/")
    row = page.locator(f'tr[data-survey="{survey.pk}"]')
    assert row.locator("[data-responses]").inner_text() == "0"
    screenshot(page, "surveys-list")
