from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_tasks_db.models import DBTaskResult


class TimestampedModel(models.Model):
    # A default, not auto_now_add: imports and back-dated actions pass the real creation time.
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


class OutboxEvent(models.Model):
    """A domain event written in the same transaction as the change it describes.

    Dispatch happens after commit; a crash between commit and dispatch leaves the row
    undispatched, and the worker's sweep picks it up. Listeners that already ran for an
    event are recorded in ``done_listeners`` so a retry runs only the ones that failed.
    """

    type = models.CharField(_("type"), max_length=64)
    payload = models.JSONField(_("payload"), default=dict)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    dispatched_at = models.DateTimeField(_("dispatched"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    done_listeners = models.JSONField(_("listeners done"), default=list)
    last_error = models.TextField(_("last error"), blank=True)
    failed = models.BooleanField(_("failed"), default=False)

    class Meta:
        verbose_name = _("outbox event")
        verbose_name_plural = _("outbox events")
        indexes = [
            models.Index(
                fields=["created_at"],
                name="outbox_pending_idx",
                condition=models.Q(dispatched_at__isnull=True),
            ),
            # What a dispatch task takes along (never attempted, oldest first): a backlog of
            # thousands (an SLA catch-up) is read from here, not sorted on every task.
            models.Index(
                fields=["id"],
                name="outbox_waiting_idx",
                condition=models.Q(dispatched_at__isnull=True, failed=False, attempts=0),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} #{self.pk}"


class WorkerHeartbeat(models.Model):
    """Last sign of life of a worker process; the health endpoint reads it."""

    worker_id = models.CharField(max_length=64, unique=True)
    hostname = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.worker_id


class JobLease(models.Model):
    """Who runs a periodic job in the current period, so several schedulers run it once.

    A scheduler claims the lease with one conditional UPDATE (or the first INSERT); the row
    lock makes the claim atomic, and a crashed holder's lease simply expires.
    """

    name = models.CharField(_("job"), max_length=64, unique=True)
    holder = models.CharField(_("holder"), max_length=64)
    expires_at = models.DateTimeField(_("expires at"))

    class Meta:
        verbose_name = _("periodic job lease")
        verbose_name_plural = _("periodic job leases")

    def __str__(self) -> str:
        return f"{self.name} ({self.holder})"


class FailedTask(DBTaskResult):
    """Failed results of the database task backend, for the admin's dead-letter page."""

    class Meta:
        proxy = True
        verbose_name = _("failed task")
        verbose_name_plural = _("failed tasks")


class TaskRetry(models.Model):
    """A failed task result that was enqueued again, and the result that replaced it."""

    original = models.OneToOneField(
        DBTaskResult, on_delete=models.CASCADE, related_name="retry", verbose_name=_("failed task")
    )
    retry_id = models.CharField(_("new task id"), max_length=64)
    retried_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("retried by"),
    )
    created_at = models.DateTimeField(_("retried at"), auto_now_add=True)

    class Meta:
        verbose_name = _("task retry")
        verbose_name_plural = _("task retries")

    def __str__(self) -> str:
        return f"{self.original_id} → {self.retry_id}"
