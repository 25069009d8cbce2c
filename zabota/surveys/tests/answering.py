"""Builders shared by the answering tests: a survey with a question of every kind, as the
builder would save it, and invitations made as the distribution would make them."""

import secrets
from datetime import timedelta
from typing import Any

from django.utils import timezone

from zabota.surveys.constants import Display, InvitationStatus, Metric, QuestionKind, Trigger
from zabota.surveys.models import Invitation, Question, Survey


def add_question(survey: Survey, kind: str, text: str, **fields) -> Question:
    position = survey.questions.count()
    texts = fields.pop("texts", None) or {"en": {"text": text}}
    return Question.objects.create(
        survey=survey, position=position, kind=kind, texts=texts, **fields
    )


def every_kind_survey(store, *, anonymous: bool = False, name: str = "Every kind") -> Any:
    """Questions, in order: speed (1–5 stars, required), quality (1–10), CSAT (1–3 smileys),
    NPS, a reason shown only for NPS 0–6, CES, yes/no, single choice, multiple choice, text.
    The survey carries them by name in ``survey.q`` (hence typed ``Any``)."""
    survey = Survey.objects.create(
        store=store,
        name=name,
        anonymous=anonymous,
        public_key=secrets.token_hex(8),
        texts={
            "en": {
                "title": "How did we do?",
                "intro": "A minute of your time.",
                "thanks": "Thank you!",
            },
            "ru": {"title": "Как мы справились?", "thanks": "Спасибо!"},
        },
    )
    q = {}
    q["speed"] = add_question(
        survey,
        QuestionKind.RATING,
        "How fast did we solve it?",
        scale_max=5,
        display=Display.STARS,
        metric=Metric.SPEED,
        required=True,
        texts={
            "en": {"text": "How fast did we solve it?", "low": "Slow", "high": "Fast"},
            "ru": {"text": "Как быстро мы решили вопрос?"},
        },
    )
    q["quality"] = add_question(
        survey,
        QuestionKind.RATING,
        "How good was the solution?",
        scale_max=10,
        metric=Metric.QUALITY,
    )
    q["csat"] = add_question(
        survey,
        QuestionKind.RATING,
        "How happy are you?",
        scale_max=3,
        display=Display.EMOJI,
        metric=Metric.CSAT,
    )
    q["nps"] = add_question(
        survey, QuestionKind.NPS, "Would you recommend us to a friend?", metric=Metric.NPS
    )
    q["why"] = add_question(
        survey,
        QuestionKind.TEXT,
        "What should we do better?",
        show_if=q["nps"],
        show_if_min=0,
        show_if_max=6,
        required=True,
    )
    q["ces"] = add_question(
        survey, QuestionKind.CES, "It was easy to get my problem solved.", metric=Metric.CES
    )
    q["again"] = add_question(survey, QuestionKind.YES_NO, "Would you buy again?")
    q["where"] = add_question(
        survey,
        QuestionKind.SINGLE,
        "Where did you hear of us?",
        texts={
            "en": {"text": "Where did you hear of us?", "choices": ["Friends", "Search", "Ads"]}
        },
    )
    q["what"] = add_question(
        survey,
        QuestionKind.MULTIPLE,
        "What do you buy?",
        texts={"en": {"text": "What do you buy?", "choices": ["Shoes", "Jackets", "Bags"]}},
    )
    q["comment"] = add_question(survey, QuestionKind.TEXT, "Anything else?")
    survey.q = q  # type: ignore[attr-defined]
    return survey


def invite(
    survey: Survey,
    customer,
    *,
    ticket=None,
    agent=None,
    group=None,
    days: int = 14,
    language: str = "en",
) -> Invitation:
    """An invitation as sent by e-mail, expiring in ``days`` days (negative: expired)."""
    return Invitation.objects.create(
        survey=survey,
        store=survey.store,
        customer=customer,
        ticket=ticket,
        agent=agent,
        group=group,
        trigger=Trigger.MANUAL,
        status=InvitationStatus.SENT,
        language=language,
        nonce=secrets.token_hex(8),
        dedupe_key=f"test:{secrets.token_hex(4)}",
        sent_at=timezone.now(),
        expires_at=timezone.now() + timedelta(days=days),
    )
