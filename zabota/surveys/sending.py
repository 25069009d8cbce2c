"""E-mailing survey invitations, through Django's mail backend as the notifications do.

An invitation is claimed with ``select_for_update(skip_locked=True)`` and marked ``sent_at`` in
the transaction that sends it, so two workers never send it twice; a crash before the commit
leaves it due and the housekeeping job (:func:`enqueue_due`) queues it again. A failed send
waits ``BACKOFF[attempt]`` (``send_after`` moves on) and is tried again by that job; after the
last step it ends as ``failed``, with its error, on the invitations page.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import formataddr
from typing import Any

from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from zabota.surveys.constants import CES_MAX, NPS_MAX, InvitationStatus, QuestionKind
from zabota.surveys.models import Invitation, Question
from zabota.surveys.texts import text_for

logger = logging.getLogger(__name__)

# Waits after the 1st, 2nd … failed attempt; a failure after the last one is final.
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
)
# A due invitation younger than this is left to the task its creation queued.
LOST_AFTER = timedelta(minutes=2)


@dataclass(frozen=True)
class Choice:
    value: int
    url: str


def _scale(question: Question) -> range | None:
    if question.kind == QuestionKind.NPS:
        return range(0, NPS_MAX + 1)
    if question.kind == QuestionKind.CES:
        return range(1, CES_MAX + 1)
    if question.kind == QuestionKind.RATING:
        return range(1, question.scale_max + 1)
    return None


def message_context(invitation: Invitation) -> dict[str, Any]:
    """What the templates show: the survey's title and intro in the invitation's language, the
    main link, and — when the first question is a scale — one link per point, so one click
    answers it (the page opens with that point chosen; a GET stores nothing)."""
    from zabota.surveys.tokens import answer_url

    survey = invitation.survey
    language = invitation.language
    url = answer_url(invitation)
    first = survey.questions.order_by("position", "pk").first()
    scale = _scale(first) if first is not None and first.show_if_id is None else None
    joiner = "&" if "?" in url else "?"
    context: dict[str, Any] = {
        "language": language,
        "store_name": survey.store.name,
        "title": text_for(survey.texts, language, "title", survey.default_language) or survey.name,
        "intro": text_for(survey.texts, language, "intro", survey.default_language),
        "url": url,
        "question": None,
        "choices": [],
        "expires_at": invitation.expires_at,
        "is_test": invitation.trigger == "test",
    }
    if first is not None and scale is not None:
        texts, default = first.texts, survey.default_language
        context["question"] = text_for(texts, language, "text", default)
        context["low"] = text_for(texts, language, "low", default)
        context["high"] = text_for(texts, language, "high", default)
        context["choices"] = [
            Choice(value, f"{url}{joiner}q={first.pk}&v={value}") for value in scale
        ]
    return context


def build_message(invitation: Invitation) -> EmailMultiAlternatives:
    """The invitation e-mail in its language, marked automatic (RFC 3834)."""
    store = invitation.store
    with translation.override(invitation.language):
        context = message_context(invitation)
        subject = _("%(store)s: %(title)s") % {
            "store": store.name,
            "title": context["title"],
        }
        if context["is_test"]:
            subject = _("[Test] %s") % subject
        text = render_to_string("web/surveys/email/invitation.txt", context)
        html = render_to_string("web/surveys/email/invitation.html", context)
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split())[:250],
        body=text,
        from_email=formataddr((store.name, store.email)),
        to=[invitation.email],
        headers={"Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All"},
    )
    message.attach_alternative(html, "text/html")
    return message


def send_one(invitation_id: int, *, now: datetime | None = None) -> str:
    """Send the invitation's e-mail if it is still due; returns what became of it."""
    now = now or timezone.now()
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("survey", "store")
            .filter(
                pk=invitation_id,
                status=InvitationStatus.SENT,
                sent_at__isnull=True,
                send_after__lte=now,
            )
            .first()
        )
        if invitation is None:
            return "not due"  # sent, skipped, given up, later, or being sent right now
        if not invitation.survey.is_active and invitation.trigger != "test":
            invitation.status = InvitationStatus.FAILED
            invitation.send_error = "the survey was deactivated before the invitation went"
            invitation.save(update_fields=["status", "send_error"])
            return "skipped"
        try:
            build_message(invitation).send()
        except Exception as exc:
            logger.exception("Survey invitation %s failed", invitation_id)
            invitation.send_attempts += 1
            invitation.send_error = repr(exc)[:2000]
            fields = ["send_attempts", "send_error"]
            if invitation.send_attempts > len(BACKOFF):
                invitation.status = InvitationStatus.FAILED
                fields.append("status")
            else:
                invitation.send_after = now + BACKOFF[invitation.send_attempts - 1]
                fields.append("send_after")
            invitation.save(update_fields=fields)
            return "failed"
        invitation.sent_at = now
        invitation.send_attempts += 1
        invitation.send_error = ""
        invitation.save(update_fields=["sent_at", "send_attempts", "send_error"])
    return "sent"


def due_ids(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Invitations to send now: those whose day came (delivery surveys), whose retry is due, or
    whose task was lost."""
    now = now or timezone.now()
    return list(
        Invitation.objects.filter(
            Q(send_after__gt=F("created_at")) | Q(created_at__lt=now - LOST_AFTER),
            status=InvitationStatus.SENT,
            sent_at__isnull=True,
            send_after__lte=now,
        )
        .order_by("send_after")
        .values_list("pk", flat=True)[:limit]
    )


def enqueue_due(*, now: datetime | None = None) -> int:
    """The housekeeping job: queue one task per due invitation; returns how many."""
    from zabota.surveys.tasks import send_invitation

    ids = due_ids(now=now)
    for pk in ids:
        send_invitation.enqueue(pk)
    return len(ids)
