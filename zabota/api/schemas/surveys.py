"""Surveys as the API reads them, responses as external systems (a till, a POS, a call-centre
tool) submit them, and the metrics of a period. Times are ISO 8601 (UTC when read back)."""

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.urls import reverse
from ninja import Field, Schema

from zabota.api.schemas.common import CustomerRef, PageParams
from zabota.surveys.constants import Metric, Purpose, QuestionKind, SurveyChannel
from zabota.surveys.models import Question, Response, Survey
from zabota.surveys.reports import SCORE_FILTERS
from zabota.surveys.texts import languages_of

# --- surveys -----------------------------------------------------------------------------------


class SurveyOut(Schema):
    id: int
    store: str = Field(description="Store slug.")
    name: str
    purpose: Purpose
    active: bool = Field(description="Only an active survey takes answers.")
    anonymous: bool = Field(description="Its responses keep no customer, ticket or agent.")
    default_language: str
    languages: list[str] = Field(description="The languages its texts are written in.")
    public_link: str = Field(description="Anyone may answer here (receipts, QR codes).")

    @staticmethod
    def resolve_store(obj: Survey) -> str:
        return obj.store.slug

    @staticmethod
    def resolve_active(obj: Survey) -> bool:
        return obj.is_active

    @staticmethod
    def resolve_languages(obj: Survey) -> list[str]:
        return languages_of(obj.texts)

    @staticmethod
    def resolve_public_link(obj: Survey) -> str:
        path = reverse("surveys_public:public", kwargs={"public_key": obj.public_key})
        return settings.ZABOTA_PUBLIC_URL + path


class SurveyList(Schema):
    items: list[SurveyOut]


class QuestionOut(Schema):
    id: int = Field(description="The key of its answer in a submission.")
    position: int
    kind: QuestionKind
    required: bool
    scale_min: int | None = Field(description="Lowest point of a numeric question.")
    scale_max: int | None = Field(description="Highest point of a numeric question.")
    metric: Metric = Field(description='What its answers count towards ("" for nothing).')
    show_if: int | None = Field(description="Asked only if this question's answer is in range.")
    show_if_min: int | None
    show_if_max: int | None
    texts: dict[str, dict[str, Any]] = Field(
        description="Per language (en, ru, pl, hu): text, low, high, labels, choices (choice "
        "questions: answer with the position, from 0, the same in every language)."
    )

    @staticmethod
    def resolve_scale_min(obj: Question) -> int | None:
        return _scale(obj)[0]

    @staticmethod
    def resolve_scale_max(obj: Question) -> int | None:
        return _scale(obj)[1]

    @staticmethod
    def resolve_show_if(obj: Question) -> int | None:
        return obj.show_if_id


def _scale(question: Question) -> tuple[int | None, int | None]:
    from zabota.surveys.respond import scale_of

    if question.kind in (QuestionKind.TEXT, QuestionKind.SINGLE, QuestionKind.MULTIPLE):
        return None, None
    return scale_of(question)


class SurveyDetail(SurveyOut):
    texts: dict[str, dict[str, Any]] = Field(description="Per language: title, intro, thanks.")
    questions: list[QuestionOut]

    @staticmethod
    def resolve_questions(obj: Survey) -> list[Question]:
        return list(obj.questions.all())


# --- responses ---------------------------------------------------------------------------------


class SubmitChannel(StrEnum):
    """Where an external system collected the answers (e-mail and portal answers come in through
    their own links, never the API)."""

    LINK = SurveyChannel.PUBLIC_LINK.value
    QR = SurveyChannel.QR.value
    KIOSK = SurveyChannel.KIOSK.value
    POPUP = SurveyChannel.POPUP.value
    EXIT = SurveyChannel.EXIT.value
    PAPER = SurveyChannel.PAPER.value


AnswerValue = bool | int | str | list[int]


class ResponseIn(Schema):
    """One respondent's answers. Submit again with the same ``submission_key`` (a retry after a
    timeout) and the stored response comes back (200) — never a second one."""

    answers: dict[int, AnswerValue] = Field(
        description="Question id → answer: a number for ratings, NPS and CES; true/false (or "
        "1/0) for yes/no; the position (from 0) for single choice, a list of positions for "
        "multiple choice; text for open questions."
    )
    submission_key: str = Field(
        min_length=1,
        max_length=48,
        pattern=r"^[A-Za-z0-9_.:-]+$",
        description="Your id of this submission (e.g. a UUID), unique per survey: the "
        "idempotency key.",
    )
    channel: SubmitChannel = SubmitChannel.LINK
    language: str = Field("", max_length=8, description="Defaults to the survey's language.")
    customer_email: str = Field(
        "",
        max_length=320,
        description="Links the response to the known customer with this address (ignored for "
        "anonymous surveys and unknown addresses: no customer is created).",
    )
    source: str = Field(
        "", max_length=60, description='Where it was collected, e.g. "till-3", "receipt".'
    )


class AnswerOut(Schema):
    question: int
    number: int | None = Field(description="Ratings, NPS, CES; yes/no as 1/0.")
    choices: list[int] = Field(description="Positions chosen (choice questions).")
    text: str

    @staticmethod
    def resolve_question(obj: Any) -> int:
        return int(obj.question_id)


class ScoresOut(Schema):
    nps: int | None
    csat: int | None
    csat_max: int | None
    ces: int | None
    speed: int | None
    speed_max: int | None
    quality: int | None
    quality_max: int | None


class ResponseOut(Schema):
    id: int
    survey: int
    channel: SurveyChannel
    source: str
    language: str
    anonymous: bool = Field(description="Anonymous responses carry no customer and no ticket.")
    is_paper: bool
    customer: CustomerRef | None
    ticket: int | None
    follow_up_ticket: int | None = Field(description="The ticket a low score opened, if any.")
    submitted_at: datetime | None
    scores: ScoresOut
    answers: list[AnswerOut]

    @staticmethod
    def resolve_survey(obj: Response) -> int:
        return obj.survey_id

    @staticmethod
    def resolve_customer(obj: Response) -> CustomerRef | None:
        if obj.anonymous or obj.customer is None:
            return None
        return CustomerRef(id=obj.customer.pk, name=obj.customer.name)

    @staticmethod
    def resolve_ticket(obj: Response) -> int | None:
        return None if obj.anonymous else obj.ticket_id

    @staticmethod
    def resolve_follow_up_ticket(obj: Response) -> int | None:
        return None if obj.anonymous else obj.follow_up_id

    @staticmethod
    def resolve_scores(obj: Response) -> ScoresOut:
        return ScoresOut(**{name: getattr(obj, name) for name in ScoresOut.model_fields})

    @staticmethod
    def resolve_answers(obj: Response) -> list[Any]:
        return sorted(obj.answers.all(), key=lambda a: a.question_id)


class ResponseList(Schema):
    items: list[ResponseOut]
    next: str | None = Field(description="Cursor of the next page; null on the last page.")


class ScoredMetric(StrEnum):
    NPS = "nps"
    CSAT = "csat"
    CES = "ces"
    SPEED = "speed"
    QUALITY = "quality"


class ScoreBand(StrEnum):
    """The score filter of the responses page (``zabota.surveys.reports.SCORE_FILTERS``)."""

    DETRACTOR = "detractor"
    PASSIVE = "passive"
    PROMOTER = "promoter"
    LOW = "low"
    HIGH = "high"


assert {band.value for band in ScoreBand} == set(SCORE_FILTERS)


class ResponseFilters(PageParams):
    survey: int | None = Field(None, description="Survey id.")
    store: str | None = Field(None, description="Store slug or id.")
    customer: int | None = Field(None, description="Customer id (never matches anonymous ones).")
    channel: SurveyChannel | None = None
    since: date | None = Field(None, description="Submitted on or after this day.")
    until: date | None = Field(None, description="Submitted on or before this day.")
    has_text: bool = Field(False, description="Only responses with a written answer.")
    band: ScoreBand | None = Field(
        None,
        description="detractor / passive / promoter (NPS), low / high (a rating, on 1–5, of at "
        "most 2 / at least 4).",
    )
    metric: ScoredMetric | None = Field(None, description="The score min_score/max_score test.")
    min_score: int | None = Field(None, ge=0, le=10, description="Needs ``metric``.")
    max_score: int | None = Field(None, ge=0, le=10, description="Needs ``metric``.")


# --- the report --------------------------------------------------------------------------------


class ReportFilters(Schema):
    since: date | None = Field(None, description="Default: 182 days before ``until``.")
    until: date | None = Field(None, description="Default: today.")
    store: str | None = Field(None, description="Store slug or id.")
    survey: int | None = Field(None, description="Survey id.")
    channel: SurveyChannel | None = None


class MetricsOut(Schema):
    """The metrics of some responses (null where no answer feeds one)."""

    responses: int
    nps: float | None = Field(description="% promoters (9–10) − % detractors (0–6).")
    nps_answers: int
    nps_promoters: int
    nps_passives: int
    nps_detractors: int
    csat: float | None = Field(description="% of top-box answers (4–5 of 5).")
    csat_answers: int
    ces: float | None = Field(description="Mean answer, 1–7.")
    ces_agree: float | None = Field(description="% answering 5–7.")
    ces_answers: int
    speed: float | None = Field(description="Mean on 1–5.")
    speed_answers: int
    quality: float | None = Field(description="Mean on 1–5.")
    quality_answers: int


class ChannelMetricsOut(MetricsOut):
    channel: SurveyChannel


class ReportOut(Schema):
    since: date
    until: date
    totals: MetricsOut
    channels: list[ChannelMetricsOut]
