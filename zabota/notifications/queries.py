"""Finders for the notifications page, the sidebar's bell and the API."""

from django.db.models import QuerySet

from zabota.accounts.models import User
from zabota.notifications.access import own_notifications
from zabota.notifications.models import Notification, NotificationSettings

PAGE_SIZE = 50


def unread_count(user: User) -> int:
    """One COUNT on the partial unread index."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def recent(user: User, *, unread_only: bool = False, limit: int = PAGE_SIZE) -> list[Notification]:
    """The user's newest notifications first (unread ones only if asked)."""
    rows: QuerySet[Notification] = own_notifications(user)
    if unread_only:
        rows = rows.filter(read_at__isnull=True)
    return list(rows.select_related("ticket").order_by("-created_at", "-pk")[:limit])


def wants_email(user: User) -> bool:
    return NotificationSettings.objects.filter(user=user, email=True).exists()
