"""Building a survey: create it (blank or from a preset), change its settings and texts, add
questions (blank of a kind or from the library), change, move and delete them.

``do_*`` trusts its arguments and writes; ``check_*`` checks the actor's permission
(``access.py``) and the values, raising ``SurveyBuildError`` with a translated message, then
calls ``do_*``. The branching rule is kept on every change: a question can only depend on an
EARLIER numeric question of the same survey, so the answering form never waits for an answer
that comes later (moves and deletes that would break it are refused or undone)."""

import secrets
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from zabota.accounts.models import User
from zabota.commerce.models import Store
from zabota.surveys.access import check_manage_surveys
from zabota.surveys.constants import (
    CES_MAX,
    NPS_MAX,
    NUMERIC_KINDS,
    RATING_SCALES,
    SURVEY_LANGUAGES,
    Display,
    Metric,
    Purpose,
    QuestionKind,
)
from zabota.surveys.library import AGREEMENT, NPS_ENDS, Four, LibraryQuestion, library_question
from zabota.surveys.models import Question, Survey
from zabota.surveys.presets import PRESETS, Preset, preset_texts

SURVEY_TEXT_KEYS = ("title", "intro", "thanks")
QUESTION_TEXT_KEYS = ("text", "low", "high", "labels", "choices")
CHOICE_KINDS = frozenset({QuestionKind.SINGLE, QuestionKind.MULTIPLE})
# Scales with end labels ("low"/"high").
SCALE_KINDS = NUMERIC_KINDS
MAX_CHOICES = 20
MAX_TEXT = 1000
MAX_POPUP_PATHS = 20
KIOSK_IDLE_RANGE = (10, 3600)
# Which metrics a kind of question may count towards.
METRICS_OF_KIND: dict[str, frozenset[str]] = {
    QuestionKind.RATING: frozenset({Metric.NONE, Metric.CSAT, Metric.SPEED, Metric.QUALITY}),
    QuestionKind.NPS: frozenset({Metric.NONE, Metric.NPS}),
    QuestionKind.CES: frozenset({Metric.NONE, Metric.CES}),
}
UP = "up"
DOWN = "down"


class SurveyBuildError(ValueError):
    """A value the builder refuses; ``message`` is translated, ``field`` names the input."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def scale_range(kind: str, scale_max: int) -> tuple[int, int]:
    """The answers a numeric question takes: NPS 0–10, CES 1–7, a rating 1–points."""
    if kind == QuestionKind.NPS:
        return 0, NPS_MAX
    if kind == QuestionKind.CES:
        return 1, CES_MAX
    return 1, scale_max


# --- surveys -----------------------------------------------------------------------------------


def _new_public_key() -> str:
    return secrets.token_urlsafe(12)


def do_create_survey(
    store: Store, *, name: str, purpose: str, actor: User | None, preset: Preset | None = None
) -> Survey:
    """A new active survey; from ``preset`` it gets the preset's texts and questions (with
    their branching), else it starts empty with the name as its English title."""
    with transaction.atomic():
        survey = Survey.objects.create(
            store=store,
            name=name,
            purpose=purpose,
            texts=preset_texts(preset) if preset else {"en": {"title": name}},
            public_key=_new_public_key(),
            created_by=actor,
        )
        if preset is not None:
            created: list[Question] = []
            for position, item in enumerate(preset.questions):
                question = _question_from(survey, item.question, position)
                question.required = item.required
                if item.show_if is not None:
                    index, low, high = item.show_if
                    question.show_if = created[index]
                    question.show_if_min, question.show_if_max = low, high
                question.save()
                created.append(question)
    return survey


def check_create_survey(
    store: Store, *, name: str, purpose: str, actor: User, preset_key: str = ""
) -> Survey:
    check_manage_surveys(actor)
    name = _clean_name(name)
    if purpose not in Purpose.values:
        raise SurveyBuildError(_("Choose what the survey is for."), "purpose")
    preset = None
    if preset_key:
        preset = PRESETS.get(preset_key)
        if preset is None:
            raise SurveyBuildError(_("There is no such template."), "preset")
    return do_create_survey(store, name=name, purpose=purpose, actor=actor, preset=preset)


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise SurveyBuildError(_("Give the survey a name."), "name")
    if len(name) > 150:
        raise SurveyBuildError(_("The name is too long (150 characters at most)."), "name")
    return name


def do_update_survey(
    survey: Survey,
    *,
    name: str,
    purpose: str,
    texts: dict[str, dict[str, str]],
    default_language: str,
    is_active: bool,
    anonymous: bool,
    popup_paths: list[str],
    kiosk_idle_seconds: int,
    actor: User | None,
) -> Survey:
    """Replaces the survey's settings and texts (the edit page's form sends all of them)."""
    survey.name = name
    survey.purpose = purpose
    survey.texts = texts
    survey.default_language = default_language
    survey.is_active = is_active
    survey.anonymous = anonymous
    survey.popup_paths = popup_paths
    survey.kiosk_idle_seconds = kiosk_idle_seconds
    survey.updated_at = timezone.now()
    survey.save()
    return survey


def check_update_survey(
    survey: Survey,
    *,
    name: str,
    purpose: str,
    texts: dict[str, dict[str, str]],
    default_language: str,
    is_active: bool,
    anonymous: bool,
    popup_paths: list[str],
    kiosk_idle_seconds: int,
    actor: User,
) -> Survey:
    check_manage_surveys(actor)
    name = _clean_name(name)
    if purpose not in Purpose.values:
        raise SurveyBuildError(_("Choose what the survey is for."), "purpose")
    if default_language not in SURVEY_LANGUAGES:
        raise SurveyBuildError(_("Choose one of the survey languages."), "default_language")
    clean_texts = _clean_texts(texts, SURVEY_TEXT_KEYS)
    paths = [path.strip() for path in popup_paths if path.strip()]
    if len(paths) > MAX_POPUP_PATHS:
        raise SurveyBuildError(
            _("At most %(count)d pages for the pop-up.") % {"count": MAX_POPUP_PATHS},
            "popup_paths",
        )
    for path in paths:
        if not path.startswith("/") or len(path) > 200 or any(c.isspace() for c in path):
            raise SurveyBuildError(
                _("“%(path)s” is not a page path: it starts with “/”, like /checkout/done.")
                % {"path": path[:60]},
                "popup_paths",
            )
    low, high = KIOSK_IDLE_RANGE
    if not low <= kiosk_idle_seconds <= high:
        raise SurveyBuildError(
            _("The kiosk resets after %(low)d to %(high)d seconds.") % {"low": low, "high": high},
            "kiosk_idle_seconds",
        )
    return do_update_survey(
        survey,
        name=name,
        purpose=purpose,
        texts=clean_texts,
        default_language=default_language,
        is_active=is_active,
        anonymous=anonymous,
        popup_paths=paths,
        kiosk_idle_seconds=kiosk_idle_seconds,
        actor=actor,
    )


def _clean_texts(texts: dict[str, Any], keys: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """Known languages and keys only, stripped, empty ones dropped (they fall back)."""
    clean: dict[str, dict[str, Any]] = {}
    for language, entry in (texts or {}).items():
        if language not in SURVEY_LANGUAGES:
            raise SurveyBuildError(_("Unknown language “%s”.") % str(language)[:8], "texts")
        if not isinstance(entry, dict):
            raise SurveyBuildError(_("The texts are not in the expected form."), "texts")
        kept: dict[str, Any] = {}
        for key, value in entry.items():
            if key not in keys:
                raise SurveyBuildError(_("The texts are not in the expected form."), "texts")
            if isinstance(value, list):
                items = [str(item).strip() for item in value]
                if any(len(item) > MAX_TEXT for item in items):
                    raise SurveyBuildError(_("A text is too long."), "texts")
                if any(items):
                    kept[key] = items
            else:
                text = str(value or "").strip()
                if len(text) > MAX_TEXT:
                    raise SurveyBuildError(_("A text is too long."), "texts")
                if text:
                    kept[key] = text
        if kept:
            clean[language] = kept
    return clean


# --- questions ---------------------------------------------------------------------------------


def _question_from(survey: Survey, item: LibraryQuestion, position: int) -> Question:
    return Question(
        survey=survey,
        position=position,
        kind=item.kind,
        scale_max=item.scale_max,
        display=item.display,
        metric=item.metric,
        texts={language: dict(entry) for language, entry in item.texts.items()},
        library_key=item.key,
    )


def _blank(survey: Survey, kind: str, position: int) -> Question:
    scale_max = scale_range(kind, 5)[1]
    metric: str = Metric.NONE
    # NPS and CES scales always mean the same: their end labels come written in every language.
    ends: tuple[Four, Four] | None = None
    if kind == QuestionKind.NPS:
        metric, ends = Metric.NPS, NPS_ENDS
    elif kind == QuestionKind.CES:
        metric, ends = Metric.CES, AGREEMENT
    texts = (
        {
            language: {"low": ends[0][index], "high": ends[1][index]}
            for index, language in enumerate(SURVEY_LANGUAGES)
        }
        if ends
        else {}
    )
    return Question(
        survey=survey,
        position=position,
        kind=kind,
        scale_max=scale_max,
        metric=metric,
        texts=texts,
    )


def _next_position(survey: Survey) -> int:
    last = survey.questions.aggregate(last=Max("position"))["last"]
    return 0 if last is None else last + 1


def do_add_question(
    survey: Survey,
    *,
    actor: User | None,
    kind: str = "",
    library_item: LibraryQuestion | None = None,
) -> Question:
    """A question at the end: a copy of ``library_item``, or a blank one of ``kind``."""
    position = _next_position(survey)
    if library_item is not None:
        question = _question_from(survey, library_item, position)
    else:
        question = _blank(survey, kind, position)
    question.save()
    _touch(survey)
    return question


def check_add_question(
    survey: Survey, *, actor: User, kind: str = "", library_key: str = ""
) -> Question:
    check_manage_surveys(actor)
    if library_key:
        item = library_question(library_key)
        if item is None:
            raise SurveyBuildError(_("There is no such question in the library."), "library_key")
        return do_add_question(survey, actor=actor, library_item=item)
    if kind not in QuestionKind.values:
        raise SurveyBuildError(_("Choose a type of question."), "kind")
    return do_add_question(survey, actor=actor, kind=kind)


def do_update_question(
    question: Question,
    *,
    texts: dict[str, dict[str, Any]],
    required: bool,
    scale_max: int,
    display: str,
    metric: str,
    show_if: Question | None,
    show_if_min: int | None,
    show_if_max: int | None,
    actor: User | None,
) -> Question:
    question.texts = texts
    question.required = required
    question.scale_max = scale_max
    question.display = display
    question.metric = metric
    question.show_if = show_if
    question.show_if_min = show_if_min if show_if else None
    question.show_if_max = show_if_max if show_if else None
    question.save()
    _touch(question.survey)
    return question


def check_update_question(
    question: Question,
    *,
    texts: dict[str, dict[str, Any]],
    required: bool,
    scale_max: int,
    display: str,
    metric: str,
    show_if_id: int | None,
    show_if_min: int | None,
    show_if_max: int | None,
    actor: User,
) -> Question:
    """Validates the values for the question's kind (which never changes: a new kind is a new
    question) and the branching rule, then saves."""
    check_manage_surveys(actor)
    kind = question.kind
    clean = _clean_texts(texts, QUESTION_TEXT_KEYS)
    _check_choices(kind, clean)
    if kind == QuestionKind.RATING:
        if scale_max not in RATING_SCALES:
            raise SurveyBuildError(_("A rating has 3, 5, 7 or 10 points."), "scale_max")
        if display not in Display.values:
            raise SurveyBuildError(_("Choose how the scale is shown."), "display")
    else:
        # NPS and CES have fixed scales; other kinds have none.
        scale_max = scale_range(kind, question.scale_max)[1] if kind in NUMERIC_KINDS else 5
        display = Display.NUMBERS
    if metric not in METRICS_OF_KIND.get(kind, frozenset({Metric.NONE})):
        raise SurveyBuildError(
            _("A question of this type cannot count towards that metric."), "metric"
        )
    show_if = _check_branching(question, show_if_id, show_if_min, show_if_max)
    return do_update_question(
        question,
        texts=clean,
        required=required,
        scale_max=scale_max,
        display=display,
        metric=metric,
        show_if=show_if,
        show_if_min=show_if_min,
        show_if_max=show_if_max,
        actor=actor,
    )


def _check_choices(kind: str, texts: dict[str, dict[str, Any]]) -> None:
    """Choice questions need at least two choices, and every language that lists them the same
    number (answers store positions, so the lists must line up)."""
    lists = {language: entry["choices"] for language, entry in texts.items() if "choices" in entry}
    if kind not in CHOICE_KINDS:
        if lists:
            raise SurveyBuildError(_("Only choice questions have choices."), "choices")
        return
    if not lists:
        raise SurveyBuildError(_("Add at least two choices."), "choices")
    counts = {len(items) for items in lists.values()}
    if len(counts) > 1:
        raise SurveyBuildError(
            _("Every language needs the same number of choices, in the same order."), "choices"
        )
    count = counts.pop()
    if count < 2:
        raise SurveyBuildError(_("Add at least two choices."), "choices")
    if count > MAX_CHOICES:
        raise SurveyBuildError(_("At most %(count)d choices.") % {"count": MAX_CHOICES}, "choices")
    if any(not item for items in lists.values() for item in items):
        raise SurveyBuildError(_("A choice cannot be empty."), "choices")


def _check_branching(
    question: Question, show_if_id: int | None, low: int | None, high: int | None
) -> Question | None:
    if show_if_id is None:
        return None
    condition = Question.objects.filter(pk=show_if_id, survey_id=question.survey_id).first()
    if condition is None or condition.pk == question.pk:
        raise SurveyBuildError(_("Choose a question of this survey."), "show_if")
    if condition.kind not in NUMERIC_KINDS:
        raise SurveyBuildError(
            _("Only a rating, NPS or effort question can decide whether another is shown."),
            "show_if",
        )
    if (condition.position, condition.pk) >= (question.position, question.pk):
        raise SurveyBuildError(_("A question can only depend on a question before it."), "show_if")
    if low is None and high is None:
        raise SurveyBuildError(_("Give the lowest or the highest answer, or both."), "show_if_min")
    first, last = scale_range(condition.kind, condition.scale_max)
    for value, field in ((low, "show_if_min"), (high, "show_if_max")):
        if value is not None and not first <= value <= last:
            raise SurveyBuildError(
                _("That question is answered from %(first)d to %(last)d.")
                % {"first": first, "last": last},
                field,
            )
    if low is not None and high is not None and low > high:
        raise SurveyBuildError(_("The lowest answer cannot be above the highest."), "show_if_min")
    return condition


def _renumber(survey: Survey) -> list[Question]:
    """The questions in order, positions made 0, 1, 2 … (saved where they changed)."""
    questions = list(survey.questions.order_by("position", "pk"))
    for index, question in enumerate(questions):
        if question.position != index:
            question.position = index
            question.save(update_fields=["position"])
    return questions


def do_move_question(question: Question, *, direction: str, actor: User | None) -> None:
    """Swaps the question with its neighbour above (``up``) or below (``down``); at an end it
    stays. The caller has checked the branching rule (``check_move_question``)."""
    with transaction.atomic():
        questions = _renumber(question.survey)
        index = next(i for i, q in enumerate(questions) if q.pk == question.pk)
        other_index = index - 1 if direction == UP else index + 1
        if not 0 <= other_index < len(questions):
            return
        other = questions[other_index]
        mine = questions[index]
        mine.position, other.position = other.position, mine.position
        mine.save(update_fields=["position"])
        other.save(update_fields=["position"])
        question.position = mine.position
        _touch(question.survey)


def check_move_question(question: Question, *, direction: str, actor: User) -> None:
    check_manage_surveys(actor)
    if direction not in (UP, DOWN):
        raise SurveyBuildError(_("Move a question up or down."), "direction")
    questions = list(question.survey.questions.order_by("position", "pk"))
    index = next(i for i, q in enumerate(questions) if q.pk == question.pk)
    other_index = index - 1 if direction == UP else index + 1
    if 0 <= other_index < len(questions):
        above, below = (
            (questions[other_index], question)
            if direction == UP
            else (question, questions[other_index])
        )
        # Swapping puts ``below`` first: refused if it depends on ``above``.
        if below.show_if_id == above.pk:
            raise SurveyBuildError(
                _(
                    "This question is shown depending on the answer to the one next to it, "
                    "which must stay before it."
                ),
                "direction",
            )
    do_move_question(question, direction=direction, actor=actor)


def do_delete_question(question: Question, *, actor: User | None) -> None:
    """Deletes the question; the questions that depended on it are then always shown (their
    condition is cleared, not left half-set)."""
    survey = question.survey
    with transaction.atomic():
        Question.objects.filter(show_if=question).update(
            show_if=None, show_if_min=None, show_if_max=None
        )
        question.delete()
        _renumber(survey)
        _touch(survey)


def check_delete_question(question: Question, *, actor: User) -> None:
    check_manage_surveys(actor)
    do_delete_question(question, actor=actor)


def _touch(survey: Survey) -> None:
    survey.updated_at = timezone.now()
    Survey.objects.filter(pk=survey.pk).update(updated_at=survey.updated_at)


# --- what the edit page shows ------------------------------------------------------------------


def missing_languages(texts: dict[str, Any], key: str) -> list[str]:
    """The survey languages that have no ``key`` text (and so fall back to another)."""
    return [code for code in SURVEY_LANGUAGES if not (texts.get(code) or {}).get(key)]
