"""Builders shared by the report tests: a survey that feeds every metric (as the builder would
save it) and a one-line way to answer it through ``do_submit_response``."""

import secrets
from datetime import datetime
from typing import Any

from zabota.surveys.constants import Metric, Purpose, QuestionKind, SurveyChannel
from zabota.surveys.models import Question, Response, Survey
from zabota.surveys.respond import do_submit_response


def make_report_survey(store, *, name: str = "Service check", anonymous: bool = False) -> Survey:
    """Questions in this order: NPS, CSAT 1–5, CES 1–7, speed 1–5, quality 1–10, a comment."""
    survey = Survey.objects.create(
        store=store,
        name=name,
        purpose=Purpose.POST_RESOLUTION,
        public_key=secrets.token_hex(8),
        anonymous=anonymous,
        texts={"en": {"title": "How did we do?"}, "ru": {"title": "Как мы справились?"}},
    )
    specs = [
        (QuestionKind.NPS, Metric.NPS, 10, "Would you recommend us?"),
        (QuestionKind.RATING, Metric.CSAT, 5, "How satisfied are you?"),
        (QuestionKind.CES, Metric.CES, 7, "It was easy to get my issue solved."),
        (QuestionKind.RATING, Metric.SPEED, 5, "How fast was the solution?"),
        (QuestionKind.RATING, Metric.QUALITY, 10, "How good was the solution?"),
        (QuestionKind.TEXT, Metric.NONE, 5, "Anything else?"),
    ]
    for position, (kind, metric, points, text) in enumerate(specs):
        Question.objects.create(
            survey=survey,
            position=position,
            kind=kind,
            metric=metric,
            scale_max=points,
            texts={"en": {"text": text}, "ru": {"text": f"RU {text}"}},
        )
    return survey


def answer(
    survey: Survey,
    *,
    nps: int | None = None,
    csat: int | None = None,
    ces: int | None = None,
    speed: int | None = None,
    quality: int | None = None,
    comment: str = "",
    channel: str = SurveyChannel.EMAIL,
    at: datetime | None = None,
    **links: Any,
) -> Response:
    """Submit one response to a ``make_report_survey`` survey with the given scores."""
    questions = list(survey.questions.order_by("position"))
    values = [nps, csat, ces, speed, quality, comment or None]
    answers = {q.pk: v for q, v in zip(questions, values, strict=True) if v is not None}
    return do_submit_response(
        survey,
        answers=answers,
        channel=channel,
        submission_key=secrets.token_hex(12),
        language=links.pop("language", "en"),
        at=at,
        **links,
    )
