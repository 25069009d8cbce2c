"""A survey's questions ready for the form templates (``web/surveys/_questions.html``), in one
language, and the answers read back from a submitted form.

The same partial draws the public pages (e-mail link, public link, kiosk, pop-up), the portal,
the builder's preview and the paper-card entry, so every channel asks the same way. A field is
named ``q<question id>``; its values are what ``respond.do_submit_response`` takes.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext, override

from zabota.surveys.constants import CES_MAX, NPS_MAX, Display, QuestionKind
from zabota.surveys.models import Question, Survey
from zabota.surveys.texts import text_for

# Smileys per scale, unhappy to happy: Unicode text (faces of Unicode 6, which every system
# font with emoji draws); each point also has a spoken label.
EMOJI = {
    3: ["😞", "😐", "😊"],
    5: ["😠", "😟", "😐", "😊", "😄"],
    7: ["😡", "😠", "😟", "😐", "😌", "😊", "😄"],
    10: ["😡", "😠", "😣", "😞", "😟", "😐", "😌", "😊", "😄", "😍"],
}
STAR = "★"


@dataclass
class Point:
    """One button of a scale (or yes / no)."""

    value: int
    symbol: str  # what the button shows: "7", "★", "🙂", "Yes"
    label: str  # the caption under it ("" for none)
    aria: str  # the spoken name: "4 of 5 — Good"
    checked: bool = False


@dataclass
class Choice:
    value: int  # the position, stored as the answer
    label: str
    checked: bool = False


@dataclass
class QuestionView:
    id: int
    name: str  # the form field: "q12"
    number: int  # 1, 2, … as shown
    kind: str
    display: str
    required: bool
    text: str
    low: str  # end labels of a scale
    high: str
    points: list[Point] = field(default_factory=list)
    choices: list[Choice] = field(default_factory=list)
    show_if: int | None = None  # the question whose answer decides if this one shows
    show_min: int | None = None
    show_max: int | None = None
    value: Any = None  # the answer given so far (text, or for re-rendering after an error)
    error: str = ""

    @property
    def is_scale(self) -> bool:
        return self.kind in (QuestionKind.RATING, QuestionKind.NPS, QuestionKind.CES)

    @property
    def is_text(self) -> bool:
        return self.kind == QuestionKind.TEXT


def _emoji_names(points: int) -> list[str]:
    names = {
        3: [_("Unhappy"), _("Neutral"), _("Happy")],
        5: [_("Very unhappy"), _("Unhappy"), _("Neutral"), _("Happy"), _("Very happy")],
    }
    return names.get(points, [])


def _ces_labels() -> list[str]:
    return [
        _("Strongly disagree"),
        _("Disagree"),
        _("Somewhat disagree"),
        _("Neither agree nor disagree"),
        _("Somewhat agree"),
        _("Agree"),
        _("Strongly agree"),
    ]


def _point_labels(question: Question, language: str, default: str, count: int) -> list[str]:
    labels = text_for(question.texts, language, "labels", default)
    if not isinstance(labels, list):
        return [""] * count
    return [str(label or "") for label in labels[:count]] + [""] * max(count - len(labels), 0)


def _points(question: Question, language: str, default: str) -> tuple[list[Point], str, str]:
    """The buttons and the end labels of a numeric or yes/no question."""
    low = str(text_for(question.texts, language, "low", default) or "")
    high = str(text_for(question.texts, language, "high", default) or "")
    if question.kind == QuestionKind.YES_NO:
        return [Point(1, _("Yes"), "", _("Yes")), Point(0, _("No"), "", _("No"))], "", ""
    if question.kind == QuestionKind.NPS:
        labels = _point_labels(question, language, default, NPS_MAX + 1)
        points = [
            Point(v, str(v), labels[v], _("%(value)s of %(max)s") % {"value": v, "max": NPS_MAX})
            for v in range(NPS_MAX + 1)
        ]
        return points, low or _("Not at all likely"), high or _("Extremely likely")
    if question.kind == QuestionKind.CES:
        given = _point_labels(question, language, default, CES_MAX)
        agreement = _ces_labels()
        points = [
            Point(v, str(v), given[v - 1], f"{v} — {given[v - 1] or agreement[v - 1]}")
            for v in range(1, CES_MAX + 1)
        ]
        return points, low or agreement[0], high or agreement[-1]
    top = question.scale_max
    labels = _point_labels(question, language, default, top)
    emoji = EMOJI.get(top) or EMOJI[5]
    names = _emoji_names(top)
    points = []
    for v in range(1, top + 1):
        label = labels[v - 1]
        if question.display == Display.STARS:
            symbol = STAR
            spoken = ngettext("%(count)s star", "%(count)s stars", v) % {"count": v}
        elif question.display == Display.EMOJI:
            symbol = emoji[round((v - 1) * (len(emoji) - 1) / max(top - 1, 1))]
            spoken = names[v - 1] if names else _("%(value)s of %(max)s") % {"value": v, "max": top}
        else:
            symbol = str(v)
            spoken = _("%(value)s of %(max)s") % {"value": v, "max": top}
        points.append(Point(v, symbol, label, f"{spoken} — {label}" if label else spoken))
    return points, low, high


def _checked(value: Any) -> set[int]:
    items = value if isinstance(value, (list, tuple)) else [value]
    result = set()
    for item in items:
        try:
            result.add(int(item))
        except (TypeError, ValueError):
            continue
    return result


def question_view(
    question: Question,
    language: str,
    default: str,
    *,
    number: int,
    value: Any = None,
    error: str = "",
) -> QuestionView:
    view = QuestionView(
        id=question.pk,
        name=f"q{question.pk}",
        number=number,
        kind=question.kind,
        display=question.display,
        required=question.required,
        text=str(text_for(question.texts, language, "text", default) or ""),
        low="",
        high="",
        show_if=question.show_if_id,
        show_min=question.show_if_min,
        show_max=question.show_if_max,
        value=value,
        error=error,
    )
    chosen = _checked(value) if value not in (None, "") else set()
    if question.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
        labels = text_for(question.texts, language, "choices", default)
        if not isinstance(labels, list):
            labels = []
        view.choices = [
            Choice(position, str(label), position in chosen)
            for position, label in enumerate(labels)
        ]
    elif question.kind != QuestionKind.TEXT:
        view.points, view.low, view.high = _points(question, language, default)
        for point in view.points:
            point.checked = point.value in chosen
    return view


def question_views(
    survey: Survey,
    language: str,
    *,
    values: Mapping[int, Any] | None = None,
    errors: Mapping[int, str] | None = None,
    limit: int | None = None,
    questions: Iterable[Question] | None = None,
) -> list[QuestionView]:
    """The survey's questions in ``language`` (falling back per text), with the answers given
    so far checked and the errors of a refused submission; ``limit`` keeps the first questions
    only (the pop-up asks one or two). The translated words (Yes, No, scale labels) follow
    ``language`` too."""
    values = values or {}
    errors = errors or {}
    items = list(questions if questions is not None else survey.questions.all())
    if limit is not None:
        items = items[:limit]
    with override(language):
        return [
            question_view(
                question,
                language,
                survey.default_language,
                number=index,
                value=values.get(question.pk),
                error=errors.get(question.pk, ""),
            )
            for index, question in enumerate(items, start=1)
        ]


def answers_from_form(questions: Iterable[Question], data: Any) -> dict[int, object]:
    """The answers of a submitted form (a ``QueryDict``) as ``do_submit_response`` takes them:
    a list of positions for multiple choice, text for text, the raw value for the rest
    (validated there). Fields left empty are not answers."""
    answers: dict[int, object] = {}
    for question in questions:
        name = f"q{question.pk}"
        if question.kind == QuestionKind.MULTIPLE:
            items = [item for item in data.getlist(name) if item != ""]
            if items:
                answers[question.pk] = items
            continue
        raw = data.get(name)
        if raw is None or (question.kind != QuestionKind.TEXT and raw == ""):
            continue
        answers[question.pk] = raw
    return answers
