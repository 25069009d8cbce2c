"""Every agent — admin, lead or agent — sees and marks only their own notifications."""

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from zabota.accounts.models import User
from zabota.notifications.models import Notification


def can_have_notifications(actor: User) -> bool:
    return actor.is_active


def own_notifications(actor: User) -> QuerySet[Notification]:
    """The actor's notifications; an admin does not see anyone else's either."""
    if not can_have_notifications(actor):
        raise PermissionDenied("inactive users have no notifications")
    return Notification.objects.filter(recipient=actor)


def access_notification_by_id(actor: User, notification_id: int) -> Notification:
    """Raises Notification.DoesNotExist for an unknown id and for another user's notification
    alike, so ids of others' notifications are not revealed."""
    return own_notifications(actor).select_related("ticket").get(pk=notification_id)
