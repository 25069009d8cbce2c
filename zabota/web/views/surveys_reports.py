"""Survey reports in the agent UI (admins and leads): the report page (NPS, CSAT, CES with their
answer counts, the trend and the breakdowns per channel, agent and group, charts drawn as SVG on
the server), the responses with their text answers, and the CSV export of the filtered
responses (streamed, one row per response, cells safe from spreadsheet formulas)."""

import csv
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, cast
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from zabota.accounts.models import Group, User
from zabota.commerce.models import Store
from zabota.surveys.access import (
    SurveyAccessDenied,
    check_view_reports,
    report_groups,
    report_stores,
    report_surveys,
)
from zabota.surveys.constants import SurveyChannel
from zabota.surveys.models import Response, Survey
from zabota.surveys.reports import (
    PERIODS,
    SCORE_FILTERS,
    Report,
    Row,
    format_answer,
    question_label,
    question_text,
    report,
    responses,
    with_details,
)
from zabota.surveys.svg import Point, bar_list, trend_chart

SECTION = "surveys"
RESPONSES_PER_PAGE = 25
# The report's default span: about the last six months.
DEFAULT_DAYS = 182
# The CSV is read from the database in chunks of this many responses.
CSV_CHUNK = 500


@dataclass
class Filters:
    """The filters of the report and the responses pages, parsed from the query string; an
    id the user may not see is ignored (as if not given)."""

    stores: list[Store]
    store: Store | None = None
    survey: Survey | None = None
    period: str = "month"
    since: date = field(default_factory=lambda: timezone.localdate() - timedelta(DEFAULT_DAYS))
    until: date = field(default_factory=timezone.localdate)
    channel: str = ""
    group: Group | None = None
    score: str = ""
    paper_only: bool = False

    @property
    def chosen_stores(self) -> list[Store]:
        return [self.store] if self.store is not None else self.stores

    def query(self, **changes: Any) -> str:
        """The query string of these filters (for links, the CSV, the pages)."""
        values: dict[str, Any] = {
            "store": self.store.slug if self.store else "",
            "survey": self.survey.pk if self.survey else "",
            "period": self.period,
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "channel": self.channel,
            "group": self.group.pk if self.group else "",
            "score": self.score,
            "paper": "1" if self.paper_only else "",
        }
        values.update(changes)
        return urlencode({key: value for key, value in values.items() if value})


def _id(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() else None


def _filters(request: HttpRequest, user: User) -> Filters:
    get = request.GET
    stores = list(report_stores(user))
    filters = Filters(stores=stores)
    slug = get.get("store", "")
    filters.store = next((s for s in stores if slug and s.slug == slug), None)
    if (survey_id := _id(get.get("survey"))) is not None:
        filters.survey = report_surveys(user).filter(pk=survey_id).first()
        if filters.survey is not None and filters.store is None:
            filters.store = next((s for s in stores if s.pk == filters.survey.store_id), None)
    if get.get("period") in PERIODS:
        filters.period = str(get["period"])
    since, until = parse_date(get.get("since") or ""), parse_date(get.get("until") or "")
    if until is not None:
        filters.until = until
    if since is not None:
        filters.since = since
    if filters.since > filters.until:
        filters.since, filters.until = filters.until, filters.since
    if get.get("channel") in SurveyChannel.values:
        filters.channel = str(get["channel"])
    if (group_id := _id(get.get("group"))) is not None:
        filters.group = report_groups(user).filter(pk=group_id).first()
    if get.get("score") in SCORE_FILTERS:
        filters.score = str(get["score"])
    filters.paper_only = get.get("paper") == "1"
    return filters


def _reader(request: HttpRequest) -> User:
    user = cast(User, request.user)
    try:
        check_view_reports(user)
    except SurveyAccessDenied as exc:
        raise PermissionDenied(exc.message) from exc
    return user


def _choices(user: User, filters: Filters) -> dict[str, Any]:
    surveys = report_surveys(user)
    groups = report_groups(user)
    if filters.store is not None:
        surveys = surveys.filter(store=filters.store)
        groups = groups.filter(store=filters.store)
    return {
        "store_choices": [(s.slug, s.name) for s in filters.stores],
        "survey_choices": [(s.pk, s.name) for s in surveys],
        "group_choices": [(g.pk, g.name) for g in groups],
        "channel_choices": SurveyChannel.choices,
        "period_choices": [
            ("week", _("Week")),
            ("month", _("Month")),
            ("quarter", _("Quarter")),
        ],
        "score_choices": [
            ("detractor", _("Detractors (NPS 0–6)")),
            ("passive", _("Passives (NPS 7–8)")),
            ("promoter", _("Promoters (NPS 9–10)")),
            ("low", _("Low ratings (1–2 of 5)")),
            ("high", _("High ratings (4–5 of 5)")),
        ],
    }


# The metrics charted: name → (axis low, axis high, decimals, unit).
CHARTED = {
    "nps": (-100, 100, 0, ""),
    "csat": (0, 100, 0, " %"),
    "ces": (1, 7, 1, ""),
}


def _charts(result: Report) -> dict[str, Any]:
    """The trend of NPS, CSAT and CES per period, and NPS per channel, as SVG."""
    labels = {"nps": _("NPS"), "csat": _("CSAT"), "ces": _("CES")}
    charts: dict[str, Any] = {}
    for metric, (low, high, decimals, unit) in CHARTED.items():
        points = [
            Point(row.label, row.scores.metric(metric), row.scores.count(metric))
            for row in result.trend
        ]
        charts[f"trend_{metric}"] = trend_chart(
            f"chart-trend-{metric}",
            points,
            title=_trend_title(result.period) % {"metric": labels[metric]},
            desc=", ".join(
                f"{p.label}: {'—' if p.value is None else round(p.value, decimals)}" for p in points
            ),
            low=low,
            high=high,
            decimals=decimals,
            unit=unit,
            kind="bar" if metric == "nps" else "line",
        )

    def bars(name: str, rows: list[Row], metric: str) -> Any:
        low, high, decimals, unit = CHARTED[metric]
        points = [
            Point(row.label, row.scores.metric(metric), row.scores.count(metric)) for row in rows
        ]
        return bar_list(
            f"chart-{name}-{metric}",
            points,
            title=_breakdown_title(name) % {"metric": labels[metric]},
            desc=", ".join(
                f"{p.label}: {'—' if p.value is None else round(p.value, decimals)}" for p in points
            ),
            low=low,
            high=high,
            decimals=decimals,
            unit=unit,
        )

    charts["channels_nps"] = bars("channels", result.channels, "nps")
    charts["agents_csat"] = bars("agents", result.agents, "csat")
    return charts


def _trend_title(period: str) -> str:
    # Whole sentences, not words to glue: languages decline "per month" differently.
    return {
        "week": _("%(metric)s per week"),
        "month": _("%(metric)s per month"),
        "quarter": _("%(metric)s per quarter"),
    }[period]


def _breakdown_title(name: str) -> str:
    return {"channels": _("%(metric)s per channel"), "agents": _("%(metric)s per agent")}[name]


@login_required
@require_GET
def reports(request: HttpRequest) -> HttpResponse:
    user = _reader(request)
    filters = _filters(request, user)
    result = report(
        filters.chosen_stores,
        since=filters.since,
        until=filters.until,
        period=filters.period,
        survey=filters.survey,
        channel=filters.channel or None,
        group=filters.group,
    )
    context = {
        "filters": filters,
        "report": result,
        "charts": _charts(result),
        "query": filters.query(),
        "section": SECTION,
        **_choices(user, filters),
    }
    return render(request, "web/surveys/reports/report.html", context)


def _responses(filters: Filters, *, with_text: bool = False) -> Any:
    return responses(
        filters.chosen_stores,
        since=filters.since,
        until=filters.until,
        survey=filters.survey,
        channel=filters.channel or None,
        group=filters.group,
        score=filters.score or None,
        paper_only=filters.paper_only,
        with_text=with_text,
    )


@dataclass(frozen=True)
class ShownAnswer:
    question: str
    value: str
    is_text: bool


def shown_answers(response: Response, language: str) -> list[ShownAnswer]:
    answers = sorted(response.answers.all(), key=lambda a: (a.question.position, a.question_id))
    shown = []
    for answer in answers:
        answer.response = response
        shown.append(
            ShownAnswer(
                question_text(answer, language),
                format_answer(answer, language),
                answer.question.kind == "text",
            )
        )
    return shown


@login_required
@require_GET
def responses_page(request: HttpRequest) -> HttpResponse:
    user = _reader(request)
    filters = _filters(request, user)
    with_text = request.GET.get("text") == "1"
    page = Paginator(with_details(_responses(filters, with_text=with_text)), RESPONSES_PER_PAGE)
    page_obj = page.get_page(request.GET.get("page"))
    language = getattr(request, "LANGUAGE_CODE", "en")
    rows = [(response, shown_answers(response, language)) for response in page_obj.object_list]
    context = {
        "filters": filters,
        "page": page_obj,
        "rows": rows,
        "with_text": with_text,
        "query": filters.query(text="1" if with_text else ""),
        "csv_query": filters.query(),
        "section": SECTION,
        **_choices(user, filters),
    }
    return render(request, "web/surveys/reports/responses.html", context)


# A cell starting with one of these is a formula to a spreadsheet (=1+1, @SUM, +cmd, -2+3 …).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_cell(value: Any) -> Any:
    """A CSV cell that a spreadsheet shows as text, never runs: text starting like a formula
    gets a leading apostrophe (OWASP's advice). Numbers stay numbers."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class _Echo:
    """A file-like object that hands back what csv.writer writes, for streaming."""

    def write(self, value: str) -> str:
        return value


def csv_rows(found: Any, language: str, survey: Survey | None) -> Iterator[list[Any]]:
    """The header, then one row per response: its facts, scores and answers (one column per
    question when the export is of one survey, else all answers in one column)."""
    questions = list(survey.questions.order_by("position", "pk")) if survey is not None else []
    header = [
        _("Response"),
        _("Submitted"),
        _("Survey"),
        _("Channel"),
        _("Source"),
        _("Paper card"),
        _("Language"),
        _("Customer"),
        _("Ticket"),
        _("Agent"),
        _("Group"),
        _("NPS"),
        _("CSAT"),
        _("CSAT points"),
        _("CES"),
        _("Speed"),
        _("Speed points"),
        _("Quality"),
        _("Quality points"),
    ]
    if survey is not None:
        header += [
            question_label(q, language, survey.default_language) or f"#{q.pk}" for q in questions
        ]
    else:
        header.append(_("Answers"))
    yield header
    for response in found.iterator(chunk_size=CSV_CHUNK):
        row: list[Any] = [
            response.pk,
            timezone.localtime(response.submitted_at).strftime("%Y-%m-%d %H:%M"),
            response.survey.name,
            response.get_channel_display(),
            response.source,
            _("yes") if response.is_paper else "",
            response.language,
            response.customer.name if response.customer else "",
            response.ticket.number if response.ticket else "",
            response.agent.name if response.agent else "",
            response.group.name if response.group else "",
            response.nps,
            response.csat,
            response.csat_max,
            response.ces,
            response.speed,
            response.speed_max,
            response.quality,
            response.quality_max,
        ]
        answers = {a.question_id: a for a in response.answers.all()}
        for answer in answers.values():
            answer.response = response
        if survey is not None:
            row += [
                format_answer(answers[q.pk], language) if q.pk in answers else "" for q in questions
            ]
        else:
            row.append(
                "\n".join(
                    f"{question_text(a, language)}: {format_answer(a, language)}"
                    for a in sorted(answers.values(), key=lambda a: a.question.position)
                )
            )
        yield [safe_cell(cell) for cell in row]


@login_required
@require_GET
def responses_csv(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    user = _reader(request)
    filters = _filters(request, user)
    found = with_details(_responses(filters))
    language = getattr(request, "LANGUAGE_CODE", "en")
    writer = csv.writer(_Echo())
    rows = (writer.writerow(row) for row in csv_rows(found, language, filters.survey))
    # A byte-order mark first, so that spreadsheets read the UTF-8 (Cyrillic, Polish) right.
    stream = itertools.chain(["\ufeff"], rows)
    name = f"survey-responses-{filters.since.isoformat()}-{filters.until.isoformat()}.csv"
    response = StreamingHttpResponse(stream, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
