"""Background tasks of notifications. Each takes ids and is idempotent."""

from django.tasks import task

from zabota.notifications.emails import send_one


@task()
def send_notification_emails(notification_ids: list[int]) -> int:
    """Send the e-mails of these notifications that are still due; returns how many were sent.
    Failed ones stay due and are queued again by the housekeeping (``emails.enqueue_due``)."""
    return sum(send_one(pk) == "sent" for pk in notification_ids)
