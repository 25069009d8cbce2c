"""State changes of notifications: notify agents, mark notifications read, set the e-mail
preference. E-mails are sent by a task after commit (``emails.py``), never during the action."""

import logging
from collections.abc import Iterable
from functools import partial
from typing import Literal

from django.db import transaction
from django.utils import timezone

from zabota.accounts.models import User
from zabota.notifications.models import Notification, NotificationSettings
from zabota.tickets.models import Ticket

logger = logging.getLogger(__name__)


def _enqueue_emails(notification_ids: list[int]) -> None:
    from zabota.notifications.tasks import send_notification_emails

    try:
        send_notification_emails.enqueue(notification_ids)
    except Exception:
        # The rows are due; the housekeeping job (``emails.enqueue_due``) queues them later.
        logger.exception("Could not enqueue notification e-mails %s", notification_ids)


def do_notify(
    recipients: Iterable[User],
    *,
    ticket: Ticket | None,
    kind: str,
    title: str,
    body: str = "",
    actor_label: str = "",
    dedupe_key: str,
) -> list[Notification]:
    """One notification per active recipient, unless they already have one with ``dedupe_key``
    (an event delivered again); those who want e-mail get it after commit. Returns the new ones.

    Preconditions: ``dedupe_key`` names the cause (event, rule application), not the recipient."""
    wanted = {user.pk: user for user in recipients if user.is_active}
    if not wanted:
        return []
    with transaction.atomic():
        known = set(
            Notification.objects.filter(
                recipient_id__in=list(wanted), dedupe_key=dedupe_key
            ).values_list("recipient_id", flat=True)
        )
        emailed = set(
            NotificationSettings.objects.filter(user_id__in=list(wanted), email=True).values_list(
                "user_id", flat=True
            )
        )
        now = timezone.now()
        rows = [
            Notification(
                recipient_id=user_id,
                ticket=ticket,
                kind=kind,
                title=title[:300],
                body=body,
                actor_label=actor_label[:150],
                dedupe_key=dedupe_key[:150],
                created_at=now,
                wants_email=user_id in emailed,
            )
            for user_id in sorted(wanted)
            if user_id not in known
        ]
        # A concurrent delivery of the same event may have won meanwhile: keep its rows.
        Notification.objects.bulk_create(rows, ignore_conflicts=True)
        created = list(
            Notification.objects.filter(
                recipient_id__in=[row.recipient_id for row in rows],
                dedupe_key=dedupe_key[:150],
                created_at=now,
            )
        )
        to_email = [row.pk for row in created if row.wants_email]
        if to_email:
            transaction.on_commit(partial(_enqueue_emails, to_email))
    return created


def do_mark_read(user: User, ids: Iterable[int] | Literal["all"]) -> int:
    """Mark the user's own unread notifications read (``"all"`` or those of ``ids``; others'
    ids are ignored). Returns how many changed."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids != "all":
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())


def do_set_email_preference(user: User, *, email: bool) -> NotificationSettings:
    row, _created = NotificationSettings.objects.update_or_create(
        user=user, defaults={"email": email}
    )
    return row
