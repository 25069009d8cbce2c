"""Surveys: list and read them (with their questions per language), submit a response from an
external system (a till, a POS, a call-centre tool), list the responses and read the metrics of
a period. Who may do what: ``zabota.surveys.access`` (the API's part is at its end)."""

from datetime import timedelta
from typing import Any

from django.db import models
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router, Status
from ninja.errors import ValidationError

from zabota.accounts.models import User
from zabota.api.auth import actor_of
from zabota.api.error_codes import ApiError, ApiErrorCode
from zabota.api.pagination import Keyset, keyset_page
from zabota.api.schemas.common import errors
from zabota.api.schemas.surveys import (
    ReportFilters,
    ReportOut,
    ResponseFilters,
    ResponseIn,
    ResponseList,
    ResponseOut,
    SubmitChannel,
    SurveyDetail,
    SurveyList,
)
from zabota.commerce.access import access_store
from zabota.commerce.models import Store
from zabota.core.errors import DomainError
from zabota.surveys.access import (
    SurveyAccessDenied,
    access_survey_for_api,
    api_submission_customer,
    api_surveys,
    check_view_reports,
    report_stores,
    report_surveys,
)
from zabota.surveys.metrics import Scores
from zabota.surveys.models import Response, Survey
from zabota.surveys.reports import report, responses
from zabota.surveys.respond import SurveyError, do_submit_response
from zabota.surveys.texts import languages_of, pick_language

router = Router(tags=["surveys"])

# Newest first.
RESPONSE_KEYSET = Keyset(("submitted_at", "id"), descending=True)
# The report's default span when ``since`` is not given: about six months, as in the agent UI.
DEFAULT_REPORT_DAYS = 182
# Submission keys are stored with this prefix and the survey's id, so that an integration's
# keys never meet the keys of the web forms nor those of another survey.
KEY_PREFIX = "api"


class SurveyApiErrorCode(models.TextChoices):
    # The survey is switched off: it takes no answers until an admin switches it on (409).
    INACTIVE = "survey_inactive", _("This survey is not active: it takes no answers.")


class SurveyApiError(ApiError):
    """A refusal of the surveys API with a code of its own (answered as any ``ApiError``)."""

    def __init__(self, code: SurveyApiErrorCode, status: int) -> None:
        self.status = status
        DomainError.__init__(self, code)


def _not_found() -> ApiError:
    return ApiError(ApiErrorCode.NOT_FOUND, 404)


def _survey(actor: User, survey_id: int) -> Survey:
    try:
        return access_survey_for_api(actor, survey_id)
    except Survey.DoesNotExist as exc:
        raise _not_found() from exc


def _report_reader(actor: User) -> None:
    try:
        check_view_reports(actor)
    except SurveyAccessDenied as exc:
        raise ApiError(ApiErrorCode.PERMISSION_DENIED, 403) from exc


def _stores(actor: User, slug_or_id: str | None) -> list[Store]:
    """The stores a report or list covers: the one named, else all the reader's."""
    if slug_or_id:
        return [access_store(actor, slug_or_id)]
    return list(report_stores(actor))


def _report_survey(actor: User, survey_id: int | None) -> Survey | None:
    if survey_id is None:
        return None
    survey = report_surveys(actor).filter(pk=survey_id).first()
    if survey is None:
        raise _not_found()
    return survey


@router.get("", response={200: SurveyList, **errors()})
def list_surveys(request: HttpRequest) -> dict[str, object]:
    """The surveys of the stores the token's user works in: all of them for admins and leads,
    the active ones (those that take answers) for agents."""
    return {"items": list(api_surveys(actor_of(request)))}


@router.get("/responses", response={200: ResponseList, **errors(400, 403, 404)})
def list_responses(request: HttpRequest, filters: Query[ResponseFilters]) -> dict[str, object]:
    """Submitted responses, newest first, with their scores and answers (admins and leads).
    Anonymous responses carry no customer and no ticket."""
    actor = actor_of(request)
    _report_reader(actor)
    found = responses(
        _stores(actor, filters.store),
        since=filters.since,
        until=filters.until,
        survey=_report_survey(actor, filters.survey),
        channel=filters.channel,
        score=filters.band,
        with_text=filters.has_text,
    )
    if filters.customer is not None:
        found = found.filter(customer_id=filters.customer, anonymous=False)
    if filters.min_score is not None or filters.max_score is not None:
        if filters.metric is None:
            raise ApiError(
                ApiErrorCode.BAD_REQUEST, 400, detail="min_score and max_score need a metric"
            )
        metric = filters.metric.value
        if filters.min_score is not None:
            found = found.filter(**{f"{metric}__gte": filters.min_score})
        if filters.max_score is not None:
            found = found.filter(**{f"{metric}__lte": filters.max_score})
    elif filters.metric is not None:
        found = found.filter(**{f"{filters.metric.value}__isnull": False})
    items, next_cursor = keyset_page(
        found.select_related("customer").prefetch_related("answers"),
        RESPONSE_KEYSET,
        cursor=filters.cursor,
        limit=filters.limit,
    )
    return {"items": items, "next": next_cursor}


def _metrics(scores: Scores) -> dict[str, Any]:
    return {
        "responses": scores.responses,
        "nps": scores.nps,
        "nps_answers": scores.nps_n,
        "nps_promoters": scores.nps_promoters,
        "nps_passives": scores.nps_passives,
        "nps_detractors": scores.nps_detractors,
        "csat": scores.csat,
        "csat_answers": scores.csat_n,
        "ces": scores.ces,
        "ces_agree": scores.ces_agree_share,
        "ces_answers": scores.ces_n,
        "speed": scores.speed,
        "speed_answers": scores.speed_n,
        "quality": scores.quality,
        "quality_answers": scores.quality_n,
    }


@router.get("/report", response={200: ReportOut, **errors(403, 404)})
def get_report(request: HttpRequest, filters: Query[ReportFilters]) -> dict[str, object]:
    """NPS, CSAT, CES, speed and quality of the responses submitted from ``since`` to ``until``
    (inclusive, the stores' days), in total and per channel, with the number of answers each
    is computed from (admins and leads)."""
    actor = actor_of(request)
    _report_reader(actor)
    until = filters.until or timezone.localdate()
    since = filters.since or until - timedelta(days=DEFAULT_REPORT_DAYS)
    if since > until:
        since, until = until, since
    result = report(
        _stores(actor, filters.store),
        since=since,
        until=until,
        survey=_report_survey(actor, filters.survey),
        channel=filters.channel,
    )
    return {
        "since": since,
        "until": until,
        "totals": _metrics(result.totals),
        "channels": [{"channel": row.key, **_metrics(row.scores)} for row in result.channels],
    }


@router.get("/{survey_id}", response={200: SurveyDetail, **errors(404)})
def get_survey(request: HttpRequest, survey_id: int) -> Survey:
    """A survey with its questions and their texts in every language they are written in."""
    return _survey(actor_of(request), survey_id)


def _answer_errors(exc: SurveyError) -> ValidationError:
    return ValidationError(
        [
            {
                "loc": ("body", "payload", "answers", str(pk)) if pk else ("body", "payload"),
                "msg": str(message),
                "type": "invalid_answer",
            }
            for pk, message in exc.errors.items()
        ]
    )


@router.post(
    "/{survey_id}/responses",
    response={200: ResponseOut, 201: ResponseOut, **errors(404, 409)},
)
def submit_response(request: HttpRequest, survey_id: int, payload: ResponseIn) -> Status:
    """Store one respondent's answers, collected by an external system: 201 when stored, 200
    with the stored response when the ``submission_key`` was submitted before (a retry: the
    answers sent again are not looked at). Every required question the survey shows must be
    answered; bad or unknown answers are a 422 naming each question (``loc`` ends with its
    id). Any user may submit to the active surveys of the stores they work in."""
    actor = actor_of(request)
    survey = _survey(actor, survey_id)
    if not survey.is_active:
        raise SurveyApiError(SurveyApiErrorCode.INACTIVE, 409)
    key = f"{KEY_PREFIX}:{survey.pk}:{payload.submission_key}"
    stored = Response.objects.select_related("customer").prefetch_related("answers")
    retried = stored.filter(submission_key=key, submitted_at__isnull=False).first()
    if retried is not None:
        return Status(200, retried)
    known = set(survey.questions.values_list("pk", flat=True))
    unknown = [pk for pk in payload.answers if pk not in known]
    if unknown:
        raise ValidationError(
            [
                {
                    "loc": ("body", "payload", "answers", str(pk)),
                    "msg": str(_("No such question in this survey.")),
                    "type": "unknown_question",
                }
                for pk in unknown
            ]
        )
    channel = payload.channel.value
    is_paper = payload.channel == SubmitChannel.PAPER
    try:
        response = do_submit_response(
            survey,
            answers=payload.answers,
            channel=channel,
            submission_key=key,
            language=pick_language(
                payload.language,
                languages_of(survey.texts) or [survey.default_language],
                survey.default_language,
            ),
            customer=api_submission_customer(actor, survey, payload.customer_email),
            source=payload.source,
            is_paper=is_paper,
            entered_by=actor if is_paper else None,
        )
    except SurveyError as exc:
        raise _answer_errors(exc) from exc
    # A concurrent first submission of the same key may have won: then both are answered 201.
    return Status(201, stored.get(pk=response.pk))
