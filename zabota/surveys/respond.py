"""Storing a response from any channel: validate the answers, apply the branching, keep the
response (partial or final, idempotent by the form's submission key), copy its scores onto the
row, add it to the day's ``ScoreDay`` and publish ``survey.answered``.

The e-mail link, portal, paper cards and API store here at once; the public link, QR code,
kiosk and pop-up validate with ``check_answers`` and ``scores_of`` and leave the storing to the
worker (``submissions``), which counts with ``day_increments`` and publishes
``answered_payload`` — so a score is counted the same way whichever way it came in.

How the day rows count (the rules are those of ``metrics.py``, the one place they are written;
the reports compute their percentages from these sums):
- NPS (0–10): promoters 9–10, detractors 0–6.
- CSAT: ``csat_top`` counts the top-box answers (``metrics.is_top_box``: the top 40 % of a
  scale's points — the top 2 on 1–5, the top 1 on 1–3, the top 4 on 1–10); ``csat_sum`` adds
  each answer on a 0–100 scale: round((answer − 1) / (points − 1) × 100), half up.
- CES (1–7 agreement): ``ces_sum`` adds the answers, ``ces_agree`` counts 5–7.
- Speed and quality: each answer converted to 1–5 (``metrics.on_five_point_scale``) and kept
  ×100 (two decimals): round((1 + (answer − 1) × 4 / (points − 1)) × 100); 7 of 10 adds 367.
- The event's ``lowest``: the lowest rating answer on 1–5, rounded half up
  (``metrics.lowest_on_five``).
"""

import re
import zoneinfo
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zabota.commerce.models import Store
from zabota.commerce.segments import signal_source
from zabota.core import event_types
from zabota.core.events import publish_on_commit
from zabota.surveys.constants import CES_MAX, NPS_MAX, InvitationStatus, Metric, QuestionKind
from zabota.surveys.metrics import (
    is_agree,
    is_detractor,
    is_promoter,
    is_top_box,
    lowest_on_five,
    on_five_point_scale,
    round_half_up,
)
from zabota.surveys.models import Answer, Invitation, Question, Response, ScoreDay, Survey
from zabota.surveys.texts import text_for

# A text answer longer than this is refused (a comment card, not an essay — and no abuse).
TEXT_MAX = 5000
# An anonymous response keeps a source only if it names where a link was printed ("receipt"),
# never a page path or anything else that could point at a person.
_PLAIN_SOURCE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,39}$")


class SurveyError(ValueError):
    """The answers cannot be stored: ``errors`` maps question id → translated message (0 for
    what concerns the whole response)."""

    def __init__(self, errors: dict[int, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(errors.values()))


class AlreadyAnswered(SurveyError):
    """The invitation was answered already, by another submission."""

    def __init__(self) -> None:
        super().__init__({0: _("This survey has already been answered. Thank you!")})


@dataclass(frozen=True)
class AnswerValue:
    """A validated answer as stored."""

    number: int | None = None
    choices: tuple[int, ...] = ()
    text: str = ""


def choice_count(question: Question, default_language: str) -> int:
    """How many choices a choice question offers (the same in every language)."""
    choices = text_for(question.texts, default_language, "choices", default_language)
    return len(choices) if isinstance(choices, list) else 0


def scale_of(question: Question) -> tuple[int, int]:
    """The lowest and highest point of a numeric question."""
    if question.kind == QuestionKind.NPS:
        return 0, NPS_MAX
    if question.kind == QuestionKind.CES:
        return 1, CES_MAX
    if question.kind == QuestionKind.YES_NO:
        return 0, 1
    return 1, question.scale_max


def _as_int(raw: object) -> int | None:
    if isinstance(raw, bool):
        return int(raw)
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and re.fullmatch(r"-?\d{1,4}", raw.strip()):
        return int(raw.strip())
    return None


def _is_empty(raw: object) -> bool:
    return raw is None or raw == "" or (isinstance(raw, (list, tuple)) and not raw)


def _validate(question: Question, raw: object, default_language: str) -> AnswerValue | str:
    """The stored form of one answer, or the message saying what is wrong with it."""
    kind = question.kind
    if kind == QuestionKind.TEXT:
        if not isinstance(raw, str):
            return _("Please write your answer as text.")
        text = raw.strip()
        if len(text) > TEXT_MAX:
            return _("Please keep your answer under %(limit)s characters.") % {"limit": TEXT_MAX}
        return AnswerValue(text=text)
    if kind == QuestionKind.MULTIPLE:
        items = raw if isinstance(raw, (list, tuple)) else [raw]
        count = choice_count(question, default_language)
        positions = [_as_int(item) for item in items]
        if any(p is None or not 0 <= p < count for p in positions):
            return _("Please pick from the choices offered.")
        return AnswerValue(choices=tuple(sorted({p for p in positions if p is not None})))
    value = _as_int(raw)
    if kind == QuestionKind.SINGLE:
        if value is None or not 0 <= value < choice_count(question, default_language):
            return _("Please pick one of the choices offered.")
        return AnswerValue(number=None, choices=(value,))
    low, high = scale_of(question)
    if value is None or not low <= value <= high:
        if kind == QuestionKind.YES_NO:
            return _("Please answer yes or no.")
        return _("Please choose a value from %(low)s to %(high)s.") % {"low": low, "high": high}
    return AnswerValue(number=value)


def branch_value(question: Question, value: AnswerValue | None) -> int | None:
    """The number a branching condition compares: the answer of a numeric or yes/no question,
    the position chosen in a single-choice one."""
    if value is None:
        return None
    if question.kind == QuestionKind.SINGLE:
        return value.choices[0] if value.choices else None
    return value.number


def visible_questions(
    questions: list[Question], values: dict[int, AnswerValue | None]
) -> list[Question]:
    """The questions the respondent was shown: those without a condition, and those whose
    condition question is shown and was answered within [min, max]."""
    by_id = {q.pk: q for q in questions}
    shown: dict[int, bool] = {}

    def is_shown(question: Question, depth: int = 0) -> bool:
        if question.pk in shown:
            return shown[question.pk]
        result = True
        parent = by_id.get(question.show_if_id) if question.show_if_id else None
        if parent is not None and parent.pk != question.pk and depth < len(questions):
            number = branch_value(parent, values.get(parent.pk))
            result = (
                is_shown(parent, depth + 1)
                and number is not None
                and (question.show_if_min is None or number >= question.show_if_min)
                and (question.show_if_max is None or number <= question.show_if_max)
            )
        shown[question.pk] = result
        return result

    return [q for q in questions if is_shown(q)]


def check_answers(
    survey: Survey, questions: list[Question], answers: Mapping[int, object], *, final: bool
) -> dict[int, AnswerValue]:
    """The valid answers of the visible questions; raises ``SurveyError`` listing every bad one
    (and, when ``final``, every required question left unanswered). Answers to hidden or
    unknown questions are dropped: the branching hid them from the respondent."""
    errors: dict[int, str] = {}
    values: dict[int, AnswerValue | None] = {}
    for question in questions:
        raw = answers.get(question.pk)
        if _is_empty(raw):
            values[question.pk] = None
            continue
        checked = _validate(question, raw, survey.default_language)
        if isinstance(checked, str):
            errors[question.pk] = checked
            values[question.pk] = None
        elif checked == AnswerValue() or (question.kind == QuestionKind.TEXT and not checked.text):
            values[question.pk] = None
        else:
            values[question.pk] = checked
    visible = visible_questions(questions, values)
    shown = {q.pk for q in visible}
    errors = {pk: message for pk, message in errors.items() if pk in shown}
    if final:
        for question in visible:
            if question.required and values.get(question.pk) is None and question.pk not in errors:
                errors[question.pk] = _("Please answer this question.")
    if errors:
        raise SurveyError(errors)
    return {q.pk: v for q in visible if (v := values.get(q.pk)) is not None}


@dataclass(frozen=True)
class Scores:
    """What a response adds to the reports."""

    columns: dict[str, int | None]  # Response columns: nps, csat, csat_max, …
    lowest: int | None  # the lowest rating, on 1–5


def scores_of(questions: Iterable[Question], values: dict[int, AnswerValue]) -> Scores:
    """The Response columns from the answers of the questions that feed a metric (the last
    such answer of each metric), and the lowest rating on 1–5."""
    columns: dict[str, int | None] = {}
    lowest: int | None = None
    for question in questions:
        value = values.get(question.pk)
        if value is None or value.number is None:
            continue
        number = value.number
        if question.kind == QuestionKind.RATING:
            converted = lowest_on_five([(number, question.scale_max)])
            if converted is not None:
                lowest = converted if lowest is None else min(lowest, converted)
            if question.metric in (Metric.CSAT, Metric.SPEED, Metric.QUALITY):
                columns[question.metric] = number
                columns[f"{question.metric}_max"] = question.scale_max
        elif question.kind == QuestionKind.NPS and question.metric == Metric.NPS:
            columns["nps"] = number
        elif question.kind == QuestionKind.CES and question.metric == Metric.CES:
            columns["ces"] = number
    return Scores(columns, lowest)


def day_increments(response: Response) -> dict[str, int]:
    """What one submitted response adds to its ScoreDay row."""
    add = {"responses": 1}
    if response.nps is not None:
        add["nps_n"] = 1
        add["nps_promoters"] = int(is_promoter(response.nps))
        add["nps_detractors"] = int(is_detractor(response.nps))
    if response.csat is not None and response.csat_max:
        points = response.csat_max
        add["csat_n"] = 1
        add["csat_top"] = int(is_top_box(response.csat, points))
        add["csat_sum"] = round_half_up((response.csat - 1) / max(points - 1, 1) * 100)
    if response.ces is not None:
        add["ces_n"] = 1
        add["ces_sum"] = response.ces
        add["ces_agree"] = int(is_agree(response.ces))
    for metric in ("speed", "quality"):
        value, points = getattr(response, metric), getattr(response, f"{metric}_max")
        if value is not None and points:
            add[f"{metric}_n"] = 1
            add[f"{metric}_sum"] = round_half_up(on_five_point_scale(value, points) * 100)
    return add


# The Response columns a submission fills from its scores.
SCORE_COLUMNS = ("nps", "csat", "csat_max", "ces", "speed", "speed_max", "quality", "quality_max")
_DAY_KEY = ("store_id", "survey_id", "day", "channel", "agent_key", "group_key")


def day_key(response: Response) -> tuple[Any, ...]:
    """The ScoreDay row a submitted response counts in: store, survey, the store's local day,
    channel, agent and group (0: none). ``response.store`` must be loaded."""
    assert response.submitted_at is not None
    zone = zoneinfo.ZoneInfo(response.store.time_zone or "UTC")
    day = timezone.localtime(response.submitted_at, zone).date()
    return (
        response.store_id,
        response.survey_id,
        day,
        response.channel,
        response.agent_id or 0,
        response.group_id or 0,
    )


def do_add_to_day(response: Response) -> None:
    """Add a submitted response to its day row (``do_add_to_days``)."""
    do_add_to_days({day_key(response): day_increments(response)})


def do_add_to_days(sums: Mapping[tuple[Any, ...], Mapping[str, int]]) -> None:
    """Add counts to day rows (``day_key`` → column → amount), one ``INSERT … ON CONFLICT DO
    UPDATE SET x = x + excluded.x`` per row: concurrent submissions of the same day never lose
    a count nor fail on the unique key (SQLite ≥ 3.24 and PostgreSQL). A batch of responses
    sums its increments per row first, so the day's hot row is updated once per batch."""
    for key, add in sums.items():
        _upsert_day(key, add)


def _upsert_day(key: tuple[Any, ...], add: Mapping[str, int]) -> None:
    store_id, survey_id, day, channel, agent_key, group_key = key
    key_values: list[Any] = [
        store_id,
        survey_id,
        connection.ops.adapt_datefield_value(day),
        channel,
        agent_key,
        group_key,
    ]
    meta = ScoreDay._meta
    quote = connection.ops.quote_name
    counted = list(add)
    columns = [*_DAY_KEY, *counted]
    # Counters not in ``add`` start at their default 0 on insert and stay as they are.
    defaults = [
        f.column
        for f in meta.concrete_fields
        if not f.primary_key and f.attname not in columns and f.column
    ]
    table = quote(meta.db_table)
    all_columns = ", ".join(quote(c) for c in [*columns, *defaults])
    placeholders = ", ".join(["%s"] * (len(columns) + len(defaults)))
    updates = ", ".join(f"{quote(c)} = {table}.{quote(c)} + excluded.{quote(c)}" for c in counted)
    # Only quoted column names of the model go into the text; the values are parameters.
    sql = (
        f"INSERT INTO {table} ({all_columns}) VALUES ({placeholders}) "  # noqa: S608
        f"ON CONFLICT ({', '.join(quote(c) for c in _DAY_KEY)}) DO UPDATE SET {updates}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*key_values, *add.values(), *([0] * len(defaults))])


def plain_source(source: str) -> str:
    source = source.strip().lower()
    return source if _PLAIN_SOURCE.match(source) else ""


def _find(submission_key: str, invitation: Invitation | None, anonymous: bool) -> Response | None:
    found = Response.objects.select_for_update().filter(submission_key=submission_key).first()
    if found is None and invitation is not None and not anonymous:
        # The same invitation answered from another form (a second tab): continue that one.
        found = Response.objects.select_for_update().filter(invitation=invitation).first()
    return found


def do_submit_response(
    survey: Survey,
    *,
    answers: Mapping[int, object],
    channel: str,
    submission_key: str,
    language: str,
    final: bool = True,
    invitation: Invitation | None = None,
    customer: Any = None,
    ticket: Any = None,
    order: Any = None,
    agent: Any = None,
    group: Any = None,
    source: str = "",
    is_paper: bool = False,
    entered_by: Any = None,
    at: datetime | None = None,
    asked: Collection[int] | None = None,
) -> Response:
    """Store the answers (question id → value: int for rating, NPS, CES and yes/no (1/0), the
    position for single choice, a list of positions for multiple choice, str for text).

    Idempotent by ``submission_key``: a response already submitted under it is returned as it
    is; a partial one (``final=False``) gets the answers replaced and, when ``final``, is
    completed. Raises ``SurveyError`` for bad answers (nothing stored) and ``AlreadyAnswered``
    when the invitation was answered by another submission. ``asked`` limits the response to
    those questions when a channel shows only some (the pop-up asks the first one or two): the
    others are neither required nor stored. The caller checked that the survey is active and
    the invitation valid."""
    at = at or timezone.now()
    submission_key = submission_key.strip()[:64]
    if not submission_key:
        raise SurveyError({0: _("The form was incomplete; please try again.")})
    questions = list(survey.questions.all())
    if asked is not None:
        shown = set(asked)
        questions = [q for q in questions if q.pk in shown]
    values = check_answers(survey, questions, answers, final=final)
    scores = scores_of(questions, values) if final else Scores({}, None)
    # An anonymous response keeps the hour only, so its times do not point at the invitation
    # answered at the same moment.
    stamp = blur(at) if survey.anonymous else at
    with transaction.atomic():
        if invitation is not None:
            invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        response = _find(submission_key, invitation, survey.anonymous)
        if response is not None and response.survey_id != survey.pk:
            raise SurveyError({0: _("The form was incomplete; please try again.")})
        if response is not None and response.submitted_at is not None:
            return response
        if invitation is not None and invitation.answered_at is not None:
            raise AlreadyAnswered()
        if response is None:
            response = _new_response(
                survey,
                channel=channel,
                submission_key=submission_key,
                language=language,
                invitation=invitation,
                links={
                    "customer": customer,
                    "ticket": ticket,
                    "order": order,
                    "agent": agent,
                    "group": group,
                },
                source=source,
                is_paper=is_paper,
                entered_by=entered_by,
                at=stamp,
                scores=scores.columns,
                submitted_at=stamp if final else None,
            )
            if response is None:
                # A concurrent call inserted the same key (or tab) first: if it completed the
                # response, that is the answer; if it kept a partial one (an autosave racing
                # the send), this call completes it.
                response = _find(submission_key, invitation, survey.anonymous)
                if response is None:
                    raise AlreadyAnswered()
                if response.submitted_at is not None:
                    return response
                _replace(response, language, scores, stamp if final else None)
        else:
            _replace(response, language, scores, stamp if final else None)
        Answer.objects.bulk_create(
            Answer(
                response=response,
                question_id=pk,
                number=value.number,
                choices=list(value.choices),
                text=value.text,
            )
            for pk, value in values.items()
        )
        if not final:
            return response
        response.store = survey.store
        do_add_to_day(response)
        if invitation is not None:
            Invitation.objects.filter(pk=invitation.pk).update(
                status=InvitationStatus.ANSWERED, answered_at=at
            )
            invitation.status, invitation.answered_at = InvitationStatus.ANSWERED, at
        publish_on_commit(event_types.SURVEY_ANSWERED, **answered_payload(response, scores))
    return response


def answered_payload(response: Response, scores: Scores) -> dict[str, Any]:
    """The ``survey.answered`` event of a submitted response: ids and its scores."""
    return {
        "response_id": response.pk,
        "survey_id": response.survey_id,
        "store_id": response.store_id,
        "ticket_id": response.ticket_id,
        "scores": {
            metric: scores.columns[metric]
            for metric in ("nps", "csat", "ces", "speed", "quality")
            if scores.columns.get(metric) is not None
        },
        "lowest": scores.lowest,
    }


def _replace(
    response: Response, language: str, scores: Scores, submitted_at: datetime | None
) -> None:
    """Make a kept (partial) response take the new answers: the caller inserts them next."""
    response.answers.all().delete()
    response.language = language
    for column in SCORE_COLUMNS:
        setattr(response, column, scores.columns.get(column))
    response.submitted_at = submitted_at
    response.save(update_fields=["language", "submitted_at", *SCORE_COLUMNS])


def blur(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def _new_response(
    survey: Survey,
    *,
    channel: str,
    submission_key: str,
    language: str,
    invitation: Invitation | None,
    links: dict[str, Any],
    source: str,
    is_paper: bool,
    entered_by: Any,
    at: datetime,
    scores: dict[str, int | None],
    submitted_at: datetime | None,
) -> Response | None:
    """A new response row (the links of an invitation fill what the caller left out, an
    anonymous survey keeps none); None if a concurrent insert of the same key won."""
    # By id: an invitation's links are not loaded for this.
    ids = {f"{name}_id": value.pk if value is not None else None for name, value in links.items()}
    if invitation is not None:
        ids = {name: value or getattr(invitation, name) for name, value in ids.items()}
    if survey.anonymous:
        ids = dict.fromkeys(ids)
        invitation = None
        source = plain_source(source)
    response = Response(
        survey=survey,
        store_id=survey.store_id,
        invitation=invitation,
        channel=channel,
        source=source[:200],
        language=language,
        anonymous=survey.anonymous,
        is_paper=is_paper,
        entered_by=entered_by,
        submission_key=submission_key,
        started_at=at,
        submitted_at=submitted_at,
        **{column: scores.get(column) for column in SCORE_COLUMNS},
        **ids,
    )
    try:
        with transaction.atomic():
            response.save()
    except IntegrityError:
        return None
    return response


@signal_source
def survey_answers(store: Store, ids: tuple[int, ...], since: datetime) -> dict[int, int]:
    """Engagement: each survey a customer answered counts as a signal."""
    from django.db.models import Count

    rows = (
        Response.objects.filter(
            store=store, customer_id__in=ids, submitted_at__gte=since, submitted_at__isnull=False
        )
        .values("customer_id")
        .annotate(n=Count("id"))
        .values_list("customer_id", "n")
    )
    return dict(rows)
