"""Survey reports: NPS, CSAT, CES, speed and quality in total, per period, channel, agent, group
and store, and the filtered list of responses with their text answers.

The figures come from ``ScoreDay`` (one row per survey, day, channel, agent and group, summed as
responses are submitted) with one GROUP BY query per breakdown, so a report costs the same few
queries over a hundred responses or a million. Callers pass the stores the user may see
(``zabota.surveys.access.report_stores``)."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import F, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth, TruncQuarter, TruncWeek
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from zabota.accounts.models import Group, User
from zabota.commerce.models import Store
from zabota.surveys.constants import CES_MAX, NPS_MAX, QuestionKind, SurveyChannel
from zabota.surveys.metrics import DETRACTOR_AT_MOST, PROMOTER_AT_LEAST, SUMMED, Scores
from zabota.surveys.models import (
    Answer,
    Question,
    Response,
    ScoreDay,
    Survey,
    SurveySettings,
)
from zabota.surveys.texts import text_for

PERIODS = ("week", "month", "quarter")
_TRUNC = {"week": TruncWeek, "month": TruncMonth, "quarter": TruncQuarter}
# Agent-level figures below this many answers are hidden when a store has no settings row.
DEFAULT_MIN_ANSWERS_PER_AGENT = SurveySettings._meta.get_field("min_answers_per_agent").default


@dataclass(frozen=True)
class Row:
    """One line of a breakdown: what it is about (``key``: a channel, a user, group or store
    id; 0 for "none") and its scores."""

    key: Any
    label: str
    scores: Scores


@dataclass(frozen=True)
class PeriodRow:
    start: date
    label: str
    scores: Scores


@dataclass
class Report:
    since: date
    until: date
    period: str
    totals: Scores
    trend: list[PeriodRow] = field(default_factory=list)
    channels: list[Row] = field(default_factory=list)
    agents: list[Row] = field(default_factory=list)
    # Agents left out of ``agents`` for having fewer answers than ``min_answers_per_agent``.
    agents_hidden: int = 0
    min_answers_per_agent: int = DEFAULT_MIN_ANSWERS_PER_AGENT
    groups: list[Row] = field(default_factory=list)
    stores: list[Row] = field(default_factory=list)


def period_start(day: date, period: str) -> date:
    """The first day of the week (Monday), month or quarter ``day`` is in."""
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)


def next_period(start: date, period: str) -> date:
    if period == "week":
        return start + timedelta(days=7)
    months = 1 if period == "month" else 3
    month = start.month - 1 + months
    return date(start.year + month // 12, month % 12 + 1, 1)


def period_label(start: date, period: str) -> str:
    if period == "week":
        return date_format(start, "j M")
    if period == "month":
        return date_format(start, "M Y")
    return f"Q{(start.month - 1) // 3 + 1} {start.year}"


def period_starts(since: date, until: date, period: str) -> list[date]:
    """Every period from the one ``since`` is in to the one ``until`` is in."""
    starts = []
    start = period_start(since, period)
    while start <= until:
        starts.append(start)
        start = next_period(start, period)
    return starts


def _sums() -> dict[str, Sum]:
    return {name: Sum(name) for name in SUMMED}


def score_days(
    stores: Iterable[Store] | QuerySet[Store],
    *,
    since: date,
    until: date,
    survey: Survey | None = None,
    channel: str | None = None,
    agent: User | None = None,
    group: Group | None = None,
) -> QuerySet[ScoreDay]:
    """The day rows of the stores between ``since`` and ``until`` (inclusive), filtered."""
    rows = ScoreDay.objects.filter(store__in=stores, day__gte=since, day__lte=until)
    if survey is not None:
        rows = rows.filter(survey=survey)
    if channel:
        rows = rows.filter(channel=channel)
    if agent is not None:
        rows = rows.filter(agent_key=agent.pk)
    if group is not None:
        rows = rows.filter(group_key=group.pk)
    return rows


def min_answers_per_agent(stores: Iterable[Store]) -> int:
    """The strictest of the stores' thresholds: a report over several stores hides an agent
    any one of them would hide."""
    values = list(
        SurveySettings.objects.filter(store__in=stores).values_list(
            "min_answers_per_agent", flat=True
        )
    )
    counted = len(values)
    if counted < len(list(stores)):
        values.append(DEFAULT_MIN_ANSWERS_PER_AGENT)
    return max(values, default=DEFAULT_MIN_ANSWERS_PER_AGENT)


def report(
    stores: Iterable[Store],
    *,
    since: date,
    until: date,
    period: str = "month",
    survey: Survey | None = None,
    channel: str | None = None,
    agent: User | None = None,
    group: Group | None = None,
) -> Report:
    """The report of the stores' responses submitted from ``since`` to ``until`` (inclusive).
    ``period`` is "week", "month" or "quarter" (the trend's steps)."""
    if period not in PERIODS:
        raise ValueError(f"unknown period {period!r}")
    stores = list(stores)
    rows = score_days(
        stores, since=since, until=until, survey=survey, channel=channel, agent=agent, group=group
    )
    result = Report(since=since, until=until, period=period, totals=Scores())

    # Two scans of the day rows: by period and channel (the trend, the channels, the totals),
    # and by agent, group and store; the other breakdowns are summed from these in Python
    # (a few hundred rows), not read with a scan each.
    trunc = _TRUNC[period]("day")
    by_channel: dict[str, Scores] = {}
    by_period: dict[date, Scores] = {}
    for row in rows.annotate(start=trunc).values("start", "channel").annotate(**_sums()).order_by():
        scores = Scores.of(row)
        by_channel[row["channel"]] = by_channel.get(row["channel"], Scores()) + scores
        start = _as_date(row["start"])
        by_period[start] = by_period.get(start, Scores()) + scores
        result.totals += scores
    channel_labels = dict(SurveyChannel.choices)
    result.channels = sorted(
        (Row(key, str(channel_labels.get(key, key)), s) for key, s in by_channel.items()),
        key=lambda row: -row.scores.responses,
    )
    result.trend = [
        PeriodRow(start, period_label(start, period), by_period.get(start, Scores()))
        for start in period_starts(since, until, period)
    ]
    if not result.totals.responses:
        return result

    by_agent: dict[int, Scores] = {}
    by_group: dict[int, Scores] = {}
    by_store: dict[int, Scores] = {}
    for keyed in rows.values("agent_key", "group_key", "store_id").annotate(**_sums()).order_by():
        scores = Scores.of(keyed)
        for found, key in (
            (by_agent, keyed["agent_key"]),
            (by_group, keyed["group_key"]),
            (by_store, keyed["store_id"]),
        ):
            found[key] = found.get(key, Scores()) + scores

    result.min_answers_per_agent = min_answers_per_agent(stores)
    names = dict(User.objects.filter(pk__in=by_agent).values_list("pk", "name"))
    shown = []
    for key, scores in by_agent.items():
        if key and scores.responses < result.min_answers_per_agent:
            result.agents_hidden += 1
            continue
        label = names.get(key) or (_("No agent") if not key else _("Former agent"))
        shown.append(Row(key, label, scores))
    result.agents = sorted(shown, key=lambda row: (row.key == 0, -row.scores.responses))

    group_names = dict(Group.objects.filter(pk__in=by_group).values_list("pk", "name"))
    result.groups = sorted(
        (
            Row(key, group_names.get(key) or (_("No group") if not key else _("Former group")), s)
            for key, s in by_group.items()
        ),
        key=lambda row: (row.key == 0, -row.scores.responses),
    )

    store_names = {store.pk: store.name for store in stores}
    result.stores = sorted(
        (Row(key, store_names.get(key, ""), s) for key, s in by_store.items()),
        key=lambda row: -row.scores.responses,
    )
    return result


def _as_date(value: Any) -> date:
    # PostgreSQL truncates a date to a date, SQLite may hand back a datetime.
    return value.date() if hasattr(value, "date") and callable(value.date) else value


# --- the responses and their text answers ------------------------------------------------------

# The score filter of the responses list: NPS bands, and a lowest rating on the 1–5 scale.
SCORE_FILTERS = ("detractor", "passive", "promoter", "low", "high")
LOW_RATING_AT_MOST = 2
HIGH_RATING_AT_LEAST = 4


def _rating_on_five_at_most(column: str, points: int) -> Q:
    """The response's ``column`` rating, converted to 1–5, is at most ``points``:
    1 + (value − 1) × 4 / (max − 1) ≤ p  ⇔  (value − 1) × 4 ≤ (p − 1) × (max − 1)."""
    return Q(**{f"{column}__isnull": False, f"{column}_max__gt": 1}) & Q(
        **{f"{column}_x4__lte": (points - 1) * (F(f"{column}_max") - 1)}
    )


def _rating_on_five_at_least(column: str, points: int) -> Q:
    return Q(**{f"{column}__isnull": False, f"{column}_max__gt": 1}) & Q(
        **{f"{column}_x4__gte": (points - 1) * (F(f"{column}_max") - 1)}
    )


RATED = ("csat", "speed", "quality")


def responses(
    stores: Iterable[Store],
    *,
    since: date | None = None,
    until: date | None = None,
    survey: Survey | None = None,
    channel: str | None = None,
    agent: User | None = None,
    group: Group | None = None,
    score: str | None = None,
    paper_only: bool = False,
    with_text: bool = False,
) -> QuerySet[Response]:
    """The stores' submitted responses, newest first, filtered; ``score`` is one of
    ``SCORE_FILTERS``: an NPS band, or "low" / "high": a rating (CSAT, speed or quality,
    converted to 1–5) of at most 2 / at least 4. ``with_text``: only those with a text answer."""
    found = Response.objects.filter(store__in=list(stores), submitted_at__isnull=False)
    if since is not None:
        found = found.filter(submitted_at__date__gte=since)
    if until is not None:
        found = found.filter(submitted_at__date__lte=until)
    if survey is not None:
        found = found.filter(survey=survey)
    if channel:
        found = found.filter(channel=channel)
    if agent is not None:
        found = found.filter(agent=agent)
    if group is not None:
        found = found.filter(group=group)
    if paper_only:
        found = found.filter(is_paper=True)
    if score == "detractor":
        found = found.filter(nps__lte=DETRACTOR_AT_MOST)
    elif score == "passive":
        found = found.filter(nps__gt=DETRACTOR_AT_MOST, nps__lt=PROMOTER_AT_LEAST)
    elif score == "promoter":
        found = found.filter(nps__gte=PROMOTER_AT_LEAST)
    elif score in ("low", "high"):
        found = found.annotate(**{f"{c}_x4": (F(c) - 1) * 4 for c in RATED})
        test = _rating_on_five_at_most if score == "low" else _rating_on_five_at_least
        points = LOW_RATING_AT_MOST if score == "low" else HIGH_RATING_AT_LEAST
        condition = Q()
        for column in RATED:
            condition |= test(column, points)
        found = found.filter(condition)
    if with_text:
        found = found.filter(
            pk__in=Answer.objects.filter(question__kind=QuestionKind.TEXT)
            .exclude(text="")
            .values("response_id")
        )
    return found.order_by("-submitted_at", "-pk")


def text_answers(responses: QuerySet[Response]) -> QuerySet[Answer]:
    """The non-empty text answers of the responses, newest first."""
    return (
        Answer.objects.filter(response__in=responses, question__kind=QuestionKind.TEXT)
        .exclude(text="")
        .select_related("response", "question")
        .order_by("-response__submitted_at", "-pk")
    )


def with_details(found: QuerySet[Response]) -> QuerySet[Response]:
    """The responses with what the list and the CSV show of each, in a few queries."""
    return found.select_related(
        "survey", "customer", "ticket", "agent", "group", "entered_by"
    ).prefetch_related("answers__question")


def question_label(question: Question, language: str, default_language: str) -> str:
    """The question's text in ``language`` (with the survey's fallbacks)."""
    return str(text_for(question.texts, language, "text", default_language) or "")


def question_text(answer: Answer, language: str) -> str:
    """The text of the question an answer answers (its response and survey loaded)."""
    return question_label(answer.question, language, answer.response.survey.default_language)


def format_answer(answer: Answer, language: str) -> str:
    """An answer as a person reads it: "4 / 5", "Yes", the chosen choices' labels, the text."""
    question = answer.question
    kind = question.kind
    if kind == QuestionKind.TEXT:
        return answer.text
    if kind == QuestionKind.YES_NO:
        return "" if answer.number is None else (_("Yes") if answer.number else _("No"))
    if kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
        labels = text_for(
            question.texts, language, "choices", answer.response.survey.default_language
        )
        labels = labels if isinstance(labels, list) else []
        return ", ".join(
            str(labels[p]) if isinstance(p, int) and 0 <= p < len(labels) else str(p)
            for p in answer.choices
        )
    if answer.number is None:
        return ""
    tops: dict[str, int] = {QuestionKind.NPS: NPS_MAX, QuestionKind.CES: CES_MAX}
    top = tops.get(kind, question.scale_max)
    return f"{answer.number} / {top}"


# --- the public scores page --------------------------------------------------------------------

# How many quarters the public page shows: the current one and those before it.
PUBLIC_QUARTERS = 4


@dataclass(frozen=True)
class QuarterScores:
    start: date
    label: str
    scores: Scores


def public_scores(store: Store, *, today: date) -> list[QuarterScores]:
    """The store's scores of the last four quarters (the current one, so far, first), from all
    its surveys: one query."""
    current = period_start(today, "quarter")
    starts = [current]
    for _step in range(PUBLIC_QUARTERS - 1):
        previous = starts[-1] - timedelta(days=1)
        starts.append(period_start(previous, "quarter"))
    rows = score_days([store], since=starts[-1], until=today)
    by_quarter = {
        _as_date(row["start"]): Scores.of(row)
        for row in rows.annotate(start=TruncQuarter("day"))
        .values("start")
        .annotate(**_sums())
        .order_by()
    }
    return [
        QuarterScores(start, period_label(start, "quarter"), by_quarter.get(start, Scores()))
        for start in starts
    ]
