"""E-mailing notifications to the agents who asked for it (``NotificationSettings.email``).

A notification is claimed with ``select_for_update(skip_locked=True)`` and marked ``emailed_at``
in the transaction that sends it, so two workers never send it twice; a crash before the commit
leaves it due, and the housekeeping job (:func:`enqueue_due`) queues it again. A failed send is
counted and retried by that job until ``MAX_EMAIL_ATTEMPTS``, then left with its error.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from zabota.notifications.constants import MAX_EMAIL_ATTEMPTS
from zabota.notifications.models import Notification

logger = logging.getLogger(__name__)

# A due e-mail younger than this is left to the task its notification queued.
LOST_AFTER = timedelta(minutes=2)


def message_text(notification: Notification) -> str:
    """The plain-text e-mail: the notification, then a link to its ticket."""
    lines = [notification.title]
    if notification.body:
        lines += ["", notification.body]
    if notification.actor_label:
        lines += ["", _("By: %s") % notification.actor_label]
    if notification.ticket_id is not None:
        url = settings.ZABOTA_PUBLIC_URL + reverse("web:ticket", args=[notification.ticket_id])
        lines += ["", _("Open the ticket: %s") % url]
    lines += [
        "",
        "-- ",
        _("You get these e-mails because you asked for them on your notifications page: %s")
        % (settings.ZABOTA_PUBLIC_URL + reverse("web:notifications")),
    ]
    return "\n".join(lines)


def send_one(notification_id: int) -> str:
    """Send the notification's e-mail if it is still due; returns what became of it."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("recipient")
            .filter(
                pk=notification_id,
                wants_email=True,
                emailed_at__isnull=True,
                email_attempts__lt=MAX_EMAIL_ATTEMPTS,
            )
            .first()
        )
        if notification is None:
            return "not due"  # sent, given up, or being sent by another worker right now
        recipient = notification.recipient
        if not recipient.is_active:
            notification.email_attempts = MAX_EMAIL_ATTEMPTS
            notification.email_error = "recipient is inactive"
            notification.save(update_fields=["email_attempts", "email_error"])
            return "skipped"
        with translation.override(recipient.ui_language):
            subject = "[Zabota] " + notification.title
            text = message_text(notification)
        try:
            send_mail(subject[:250], text, None, [recipient.email])
        except Exception as exc:
            logger.exception("Notification e-mail %s failed", notification_id)
            notification.email_attempts += 1
            notification.email_error = repr(exc)[:2000]
            notification.save(update_fields=["email_attempts", "email_error"])
            return "failed"
        notification.emailed_at = timezone.now()
        notification.email_attempts += 1
        notification.email_error = ""
        notification.save(update_fields=["emailed_at", "email_attempts", "email_error"])
    return "sent"


def due_ids(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    """E-mails still to send whose task was lost or whose last attempt failed."""
    cutoff = (now or timezone.now()) - LOST_AFTER
    return list(
        Notification.objects.filter(
            wants_email=True,
            emailed_at__isnull=True,
            email_attempts__lt=MAX_EMAIL_ATTEMPTS,
            created_at__lt=cutoff,
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )


def enqueue_due() -> int:
    """The housekeeping job: queue one task for the due e-mails; returns how many."""
    from zabota.notifications.tasks import send_notification_emails

    ids = due_ids()
    if ids:
        send_notification_emails.enqueue(ids)
    return len(ids)
