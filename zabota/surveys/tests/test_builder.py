"""The survey builder: creating surveys (blank and from every preset), the question actions,
their validation and the branching rule, the library's completeness, and who may build."""

from typing import Any

import pytest

from zabota.commerce.models import Store
from zabota.surveys.access import (
    SurveyAccessDenied,
    access_survey_for_edit,
    can_manage_surveys,
    can_view_surveys,
    survey_list,
    visible_surveys,
)
from zabota.surveys.builder import (
    DOWN,
    UP,
    SurveyBuildError,
    check_add_question,
    check_create_survey,
    check_delete_question,
    check_move_question,
    check_update_question,
    check_update_survey,
    missing_languages,
)
from zabota.surveys.constants import (
    NUMERIC_KINDS,
    SURVEY_LANGUAGES,
    Display,
    Metric,
    Purpose,
    QuestionKind,
)
from zabota.surveys.library import GOALS, QUESTIONS
from zabota.surveys.models import Question, ScoreDay, Survey
from zabota.surveys.presets import PRESETS

pytestmark = pytest.mark.django_db


def _survey(world, name="Feedback", preset_key=""):
    return check_create_survey(
        world.store, name=name, purpose=Purpose.GENERAL, actor=world.ada, preset_key=preset_key
    )


def _update(question, actor, **changes):
    values = {
        "texts": question.texts,
        "required": question.required,
        "scale_max": question.scale_max,
        "display": question.display,
        "metric": question.metric,
        "show_if_id": question.show_if_id,
        "show_if_min": question.show_if_min,
        "show_if_max": question.show_if_max,
    }
    values.update(changes)
    return check_update_question(question, actor=actor, **values)


def _order(survey):
    return list(survey.questions.order_by("position").values_list("pk", flat=True))


# --- creating --------------------------------------------------------------------------------


def test_a_blank_survey_gets_a_public_key_and_its_name_as_english_title(world):
    """A blank survey belongs to the store, is active, has no questions and a random key."""
    # when
    survey = _survey(world)
    other = _survey(world, name="Second")

    # then
    assert survey.store == world.store
    assert survey.is_active and not survey.anonymous
    assert survey.texts == {"en": {"title": "Feedback"}}
    assert survey.created_by == world.ada
    assert len(survey.public_key) == 16 and survey.public_key != other.public_key
    assert survey.questions.count() == 0


def test_a_survey_needs_a_name_and_a_known_purpose(world):
    with pytest.raises(SurveyBuildError) as error:
        _survey(world, name="   ")
    assert error.value.field == "name"
    with pytest.raises(SurveyBuildError):
        check_create_survey(world.store, name="X", purpose="bogus", actor=world.ada)
    with pytest.raises(SurveyBuildError):
        _survey(world, preset_key="no-such-template")
    assert Survey.objects.count() == 0


@pytest.mark.parametrize("key", list(PRESETS))
def test_every_preset_makes_a_valid_survey_in_four_languages(world, key):
    """Every preset's survey has title, intro and thanks and every question its text in the four
    languages; choices line up; branching points to an earlier numeric question in its range;
    and every question passes the builder's own validation unchanged."""
    # when
    preset = PRESETS[key]
    survey = check_create_survey(
        world.store, name=str(preset.label), purpose=preset.purpose, actor=world.ada, preset_key=key
    )

    # then
    for language in SURVEY_LANGUAGES:
        assert all(survey.texts[language].get(k) for k in ("title", "intro", "thanks"))
    questions = list(survey.questions.order_by("position"))
    assert [q.position for q in questions] == list(range(len(preset.questions)))
    for question in questions:
        assert missing_languages(question.texts, "text") == []
        if question.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
            assert len({len(question.texts[lang]["choices"]) for lang in SURVEY_LANGUAGES}) == 1
        if question.show_if is not None:
            assert question.show_if.position < question.position
            assert question.show_if.kind in NUMERIC_KINDS
        # the builder accepts it as it is
        _update(question, world.ada)


def test_post_resolution_preset_asks_speed_quality_csat_and_branches_below_four(world):
    survey = _survey(world, preset_key="post_resolution")
    speed, quality, csat, better = survey.questions.order_by("position")
    assert (speed.metric, speed.scale_max, speed.required) == (Metric.SPEED, 5, True)
    assert (quality.metric, quality.scale_max) == (Metric.QUALITY, 5)
    assert (csat.metric, csat.scale_max) == (Metric.CSAT, 5)
    assert better.kind == QuestionKind.TEXT
    assert (better.show_if_id, better.show_if_min, better.show_if_max) == (csat.pk, 1, 3)
    assert better.texts["ru"]["text"] == "Что мы могли бы сделать лучше?"


def test_nps_preset_has_a_follow_up_for_each_group(world):
    survey = _survey(world, preset_key="nps")
    nps, *follow_ups = survey.questions.order_by("position")
    assert (nps.kind, nps.metric, nps.scale_max) == (QuestionKind.NPS, Metric.NPS, 10)
    ranges = [(q.show_if_id, q.show_if_min, q.show_if_max) for q in follow_ups]
    assert ranges == [(nps.pk, 0, 6), (nps.pk, 7, 8), (nps.pk, 9, 10)]


def test_preset_purposes(world):
    assert PRESETS["post_resolution"].purpose == Purpose.POST_RESOLUTION
    assert PRESETS["ces_after_purchase"].purpose == Purpose.AFTER_DELIVERY
    assert PRESETS["manager_review"].purpose == Purpose.MANAGER_REVIEW
    assert PRESETS["exit"].purpose == Purpose.EXIT
    ces = PRESETS["ces_after_purchase"].questions[0].question
    assert (ces.kind, ces.metric) == (QuestionKind.CES, Metric.CES)
    reasons = PRESETS["exit"].questions[0].question
    assert reasons.kind == QuestionKind.SINGLE and len(reasons.texts["hu"]["choices"]) >= 5


# --- the library ------------------------------------------------------------------------------


def test_the_library_covers_every_goal_with_three_to_five_questions_in_four_languages():
    goals = [goal.key for goal in GOALS]
    assert goals == [
        "service_quality",
        "solving_problems",
        "strengths",
        "product_improvement",
        "needs",
        "customers",
        "marketing_message",
        "competitors",
        "website",
        "new_products",
        "purchase",
        "staff",
        "metrics",
        "nps_follow_up",
    ]
    keys = [q.key for goal in GOALS for q in goal.questions]
    assert len(keys) == len(set(keys)) == len(QUESTIONS)
    for goal in GOALS:
        assert 3 <= len(goal.questions) <= 5, goal.key
        assert str(goal.label)
        for item in goal.questions:
            texts = [item.texts[lang]["text"] for lang in SURVEY_LANGUAGES]
            assert all(texts), item.key
            # translated, not copied: no language repeats the English text
            assert len(set(texts)) == 4, item.key
            if item.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
                counts = {len(item.texts[lang]["choices"]) for lang in SURVEY_LANGUAGES}
                assert len(counts) == 1 and counts.pop() >= 2, item.key
            if item.kind in NUMERIC_KINDS:
                assert all(item.texts[lang].get("low") for lang in SURVEY_LANGUAGES), item.key


def test_every_library_question_is_valid_in_the_builder(world):
    survey = _survey(world)
    for key in QUESTIONS:
        question = check_add_question(survey, actor=world.ada, library_key=key)
        _update(question, world.ada)
    assert survey.questions.count() == len(QUESTIONS)
    assert set(survey.questions.values_list("library_key", flat=True)) == set(QUESTIONS)


def test_a_library_question_is_copied_not_shared(world):
    """Editing the added question leaves the library as it was."""
    survey = _survey(world)
    question = check_add_question(survey, actor=world.ada, library_key="metric_nps")
    texts = {**question.texts, "en": {"text": "Would you tell a friend about us?"}}
    _update(question, world.ada, texts=texts)
    assert QUESTIONS["metric_nps"].texts["en"]["text"].startswith("How likely")
    question.refresh_from_db()
    assert (question.kind, question.metric, question.library_key) == (
        QuestionKind.NPS,
        Metric.NPS,
        "metric_nps",
    )


# --- questions ---------------------------------------------------------------------------------


def test_blank_questions_of_every_kind_are_appended_in_order(world):
    survey = _survey(world)
    added = [check_add_question(survey, actor=world.ada, kind=kind) for kind in QuestionKind.values]
    assert [q.position for q in added] == list(range(len(QuestionKind.values)))
    nps = next(q for q in added if q.kind == QuestionKind.NPS)
    ces = next(q for q in added if q.kind == QuestionKind.CES)
    assert (nps.scale_max, nps.metric) == (10, Metric.NPS)
    assert (ces.scale_max, ces.metric) == (7, Metric.CES)
    # their fixed scales come with end labels in every language
    assert nps.texts["ru"] == {"low": "Совсем маловероятно", "high": "Очень вероятно"}
    assert ces.texts["hu"]["high"] == "Teljesen egyetértek"
    assert next(q for q in added if q.kind == QuestionKind.RATING).texts == {}
    with pytest.raises(SurveyBuildError):
        check_add_question(survey, actor=world.ada, kind="slider")
    with pytest.raises(SurveyBuildError):
        check_add_question(survey, actor=world.ada, library_key="nope")


def test_updating_a_rating_question(world):
    survey = _survey(world)
    question = check_add_question(survey, actor=world.ada, kind=QuestionKind.RATING)
    texts = {
        "en": {"text": " How was it? ", "low": "Bad", "high": "Great"},
        "ru": {"text": "Как всё прошло?", "low": "", "high": ""},
    }
    _update(
        question,
        world.ada,
        texts=texts,
        required=True,
        scale_max=7,
        display=Display.EMOJI,
        metric=Metric.CSAT,
    )
    question.refresh_from_db()
    assert question.texts == {
        "en": {"text": "How was it?", "low": "Bad", "high": "Great"},
        "ru": {"text": "Как всё прошло?"},
    }
    assert (question.required, question.scale_max, question.display, question.metric) == (
        True,
        7,
        Display.EMOJI,
        Metric.CSAT,
    )
    assert missing_languages(question.texts, "text") == ["pl", "hu"]


@pytest.mark.parametrize(
    ("kind", "changes", "field"),
    [
        (QuestionKind.RATING, {"scale_max": 4}, "scale_max"),
        (QuestionKind.RATING, {"display": "slider"}, "display"),
        (QuestionKind.RATING, {"metric": Metric.NPS}, "metric"),
        (QuestionKind.TEXT, {"metric": Metric.CSAT}, "metric"),
        (QuestionKind.NPS, {"metric": Metric.CES}, "metric"),
        (QuestionKind.SINGLE, {"texts": {"en": {"text": "Pick", "choices": ["Only"]}}}, "choices"),
        (QuestionKind.MULTIPLE, {"texts": {"en": {"text": "Pick"}}}, "choices"),
        (
            QuestionKind.SINGLE,
            {"texts": {"en": {"choices": ["A", "B"]}, "ru": {"choices": ["А", "Б", "В"]}}},
            "choices",
        ),
        (QuestionKind.YES_NO, {"texts": {"en": {"choices": ["A", "B"]}}}, "choices"),
        (QuestionKind.TEXT, {"texts": {"de": {"text": "Wie?"}}}, "texts"),
        (QuestionKind.TEXT, {"texts": {"en": {"text": "x" * 1001}}}, "texts"),
    ],
)
def test_invalid_question_values_are_refused(world, kind, changes, field):
    survey = _survey(world)
    question = check_add_question(survey, actor=world.ada, kind=kind)
    before = Question.objects.filter(pk=question.pk).values().get()
    with pytest.raises(SurveyBuildError) as error:
        _update(question, world.ada, **changes)
    assert error.value.field == field
    assert str(error.value)  # a message to show
    assert Question.objects.filter(pk=question.pk).values().get() == before


def test_nps_and_ces_keep_their_fixed_scales(world):
    survey = _survey(world)
    nps = check_add_question(survey, actor=world.ada, kind=QuestionKind.NPS)
    _update(nps, world.ada, scale_max=5, display=Display.STARS)
    nps.refresh_from_db()
    assert (nps.scale_max, nps.display) == (10, Display.NUMBERS)


# --- branching ---------------------------------------------------------------------------------


def test_branching_on_an_earlier_numeric_question(world):
    # given: a rating, then a text question
    survey = _survey(world)
    rating = check_add_question(survey, actor=world.ada, kind=QuestionKind.RATING)
    text = check_add_question(survey, actor=world.ada, kind=QuestionKind.TEXT)

    # when
    _update(text, world.ada, show_if_id=rating.pk, show_if_min=None, show_if_max=3)

    # then
    text.refresh_from_db()
    assert (text.show_if_id, text.show_if_min, text.show_if_max) == (rating.pk, None, 3)

    # when: the condition is removed, its range goes too
    _update(text, world.ada, show_if_id=None, show_if_min=1, show_if_max=3)
    text.refresh_from_db()
    assert (text.show_if_id, text.show_if_min, text.show_if_max) == (None, None, None)


def test_branching_rules_are_enforced(world):
    survey = _survey(world)
    other = _survey(world, name="Other")
    rating = check_add_question(survey, actor=world.ada, kind=QuestionKind.RATING)
    choice = check_add_question(survey, actor=world.ada, kind=QuestionKind.YES_NO)
    text = check_add_question(survey, actor=world.ada, kind=QuestionKind.TEXT)
    later = check_add_question(survey, actor=world.ada, kind=QuestionKind.NPS)
    foreign = check_add_question(other, actor=world.ada, kind=QuestionKind.RATING)
    refused: list[dict[str, Any]] = [
        {"show_if_id": later.pk, "show_if_max": 6},  # a later question
        {"show_if_id": choice.pk, "show_if_max": 0},  # not numeric
        {"show_if_id": foreign.pk, "show_if_max": 3},  # another survey's
        {"show_if_id": text.pk, "show_if_max": 3},  # itself
        {"show_if_id": rating.pk, "show_if_min": None, "show_if_max": None},  # no range
        {"show_if_id": rating.pk, "show_if_max": 6},  # beyond 1–5
        {"show_if_id": rating.pk, "show_if_min": 0},  # below 1–5
        {"show_if_id": rating.pk, "show_if_min": 4, "show_if_max": 2},  # inverted
    ]
    for changes in refused:
        with pytest.raises(SurveyBuildError):
            values: dict[str, Any] = {"show_if_min": None, "show_if_max": None, **changes}
            _update(text, world.ada, **values)
    text.refresh_from_db()
    assert text.show_if_id is None


def test_a_move_that_would_put_a_question_before_its_condition_is_refused(world):
    # given: the post-resolution preset (the text depends on the CSAT just above it)
    survey = _survey(world, preset_key="post_resolution")
    speed, quality, csat, better = survey.questions.order_by("position")

    # when / then: neither can jump over the other
    with pytest.raises(SurveyBuildError):
        check_move_question(better, direction=UP, actor=world.ada)
    with pytest.raises(SurveyBuildError):
        check_move_question(csat, direction=DOWN, actor=world.ada)
    assert _order(survey) == [speed.pk, quality.pk, csat.pk, better.pk]

    # when: other moves are fine, and at the ends nothing happens
    check_move_question(csat, direction=UP, actor=world.ada)
    assert _order(survey) == [speed.pk, csat.pk, quality.pk, better.pk]
    check_move_question(speed, direction=UP, actor=world.ada)
    check_move_question(better, direction=DOWN, actor=world.ada)
    assert _order(survey) == [speed.pk, csat.pk, quality.pk, better.pk]
    check_move_question(speed, direction=DOWN, actor=world.ada)
    assert _order(survey) == [csat.pk, speed.pk, quality.pk, better.pk]
    with pytest.raises(SurveyBuildError):
        check_move_question(speed, direction="sideways", actor=world.ada)


def test_deleting_a_condition_shows_its_dependants_always_and_renumbers(world):
    survey = _survey(world, preset_key="post_resolution")
    speed, quality, csat, better = survey.questions.order_by("position")

    check_delete_question(csat, actor=world.ada)

    better.refresh_from_db()
    assert (better.show_if_id, better.show_if_min, better.show_if_max) == (None, None, None)
    assert list(survey.questions.order_by("position").values_list("pk", "position")) == [
        (speed.pk, 0),
        (quality.pk, 1),
        (better.pk, 2),
    ]


# --- survey settings ---------------------------------------------------------------------------


def test_updating_the_survey_settings_and_texts(world):
    survey = _survey(world)
    check_update_survey(
        survey,
        name="Shop survey",
        purpose=Purpose.ON_SITE,
        texts={
            "en": {"title": "Tell us", "intro": " ", "thanks": "Thanks"},
            "pl": {"title": "Powiedz"},
        },
        default_language="pl",
        is_active=False,
        anonymous=True,
        popup_paths=["/checkout/done", " ", "/help/"],
        kiosk_idle_seconds=60,
        actor=world.ada,
    )
    survey.refresh_from_db()
    assert (survey.name, survey.purpose, survey.default_language) == (
        "Shop survey",
        "on_site",
        "pl",
    )
    assert survey.texts == {
        "en": {"title": "Tell us", "thanks": "Thanks"},
        "pl": {"title": "Powiedz"},
    }
    assert (survey.is_active, survey.anonymous, survey.kiosk_idle_seconds) == (False, True, 60)
    assert survey.popup_paths == ["/checkout/done", "/help/"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": ""}, "name"),
        ({"purpose": "x"}, "purpose"),
        ({"default_language": "de"}, "default_language"),
        ({"popup_paths": ["checkout"]}, "popup_paths"),
        ({"popup_paths": ["/a b"]}, "popup_paths"),
        ({"kiosk_idle_seconds": 3}, "kiosk_idle_seconds"),
        ({"texts": {"en": {"body": "x"}}}, "texts"),
    ],
)
def test_invalid_survey_settings_are_refused(world, changes, field):
    survey = _survey(world)
    values = {
        "name": "N",
        "purpose": Purpose.GENERAL,
        "texts": {},
        "default_language": "en",
        "is_active": True,
        "anonymous": False,
        "popup_paths": [],
        "kiosk_idle_seconds": 45,
        **changes,
    }
    with pytest.raises(SurveyBuildError) as error:
        check_update_survey(survey, actor=world.ada, **values)
    assert error.value.field == field
    survey.refresh_from_db()
    assert survey.name == "Feedback"


# --- permissions -------------------------------------------------------------------------------


def test_only_admins_build_and_leads_only_see(world):
    survey = _survey(world)
    question = check_add_question(survey, actor=world.ada, kind=QuestionKind.TEXT)

    assert can_manage_surveys(world.ada)
    assert not can_manage_surveys(world.lena) and not can_manage_surveys(world.anna)
    assert can_view_surveys(world.lena) and not can_view_surveys(world.anna)
    assert list(visible_surveys(world.ada)) == [survey]
    assert list(visible_surveys(world.lena)) == [survey]
    assert list(visible_surveys(world.anna)) == []

    assert access_survey_for_edit(world.ada, survey.pk) == survey
    with pytest.raises(SurveyAccessDenied):
        access_survey_for_edit(world.lena, survey.pk)
    with pytest.raises(Survey.DoesNotExist):
        access_survey_for_edit(world.anna, survey.pk)
    with pytest.raises(Survey.DoesNotExist):
        access_survey_for_edit(world.ada, survey.pk + 1000)

    for user in (world.lena, world.anna):
        with pytest.raises(SurveyAccessDenied):
            check_create_survey(world.store, name="X", purpose=Purpose.GENERAL, actor=user)
        with pytest.raises(SurveyAccessDenied):
            check_add_question(survey, actor=user, kind=QuestionKind.TEXT)
        with pytest.raises(SurveyAccessDenied):
            _update(question, user, required=True)
        with pytest.raises(SurveyAccessDenied):
            check_move_question(question, direction=UP, actor=user)
        with pytest.raises(SurveyAccessDenied):
            check_delete_question(question, actor=user)
    assert Survey.objects.count() == 1
    assert survey.questions.get().required is False


def test_leads_see_only_the_surveys_of_their_stores(world):
    other_store = Store.objects.create(slug="other", name="Other Store", email="o@example.com")
    mine = _survey(world)
    theirs = check_create_survey(
        other_store, name="Elsewhere", purpose=Purpose.GENERAL, actor=world.ada
    )
    assert set(visible_surveys(world.ada)) == {mine, theirs}
    assert list(visible_surveys(world.lena)) == [mine]
    with pytest.raises(Survey.DoesNotExist):
        access_survey_for_edit(world.lena, theirs.pk)


def test_the_list_counts_submitted_responses_from_the_day_rows(world):
    """The counts come from ScoreDay (what a final submission adds to), per survey."""
    from datetime import date

    survey = _survey(world, preset_key="nps")
    _survey(world, name="Other")
    for day, channel, count in [(date(2026, 1, 1), "link", 3), (date(2026, 1, 2), "kiosk", 2)]:
        ScoreDay.objects.create(
            store=world.store, survey=survey, day=day, channel=channel, responses=count
        )
    rows = {row.name: row for row in survey_list(world.ada)}
    assert (rows["Feedback"].response_count, rows["Feedback"].question_count) == (5, 4)  # type: ignore[attr-defined]
    assert (rows["Other"].response_count, rows["Other"].question_count) == (0, 0)  # type: ignore[attr-defined]
