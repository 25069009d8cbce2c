from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zabota.notifications.constants import MAX_EMAIL_ATTEMPTS, Kind


class Notification(models.Model):
    """Something an agent should know about, shown in their notifications and, if they asked
    for it, e-mailed. ``dedupe_key`` is unique per recipient, so an event delivered twice (or a
    rule applied again for the same trigger) notifies once."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    ticket = models.ForeignKey(
        "tickets.Ticket",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ticket"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("text"), blank=True)
    # Who caused it: "rule: VIP first", "routing", an agent's name.
    actor_label = models.CharField(_("by"), max_length=150, blank=True)
    dedupe_key = models.CharField(max_length=150)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    # Set when the recipient wanted e-mail at the time it was made; the task sends it then.
    wants_email = models.BooleanField(_("to e-mail"), default=False)
    emailed_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(_("e-mail attempts"), default=0)
    email_error = models.TextField(_("e-mail error"), blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"], name="notification_unique_dedupe"
            )
        ]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_recent_idx"),
            # The sidebar's unread count: one COUNT on this partial index.
            models.Index(
                fields=["recipient"],
                name="notification_unread_idx",
                condition=Q(read_at__isnull=True),
            ),
            # The e-mails still to send (the housekeeping's ``enqueue_due``).
            models.Index(
                fields=["created_at"],
                name="notification_email_due_idx",
                condition=Q(
                    wants_email=True,
                    emailed_at__isnull=True,
                    email_attempts__lt=MAX_EMAIL_ATTEMPTS,
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_unread(self) -> bool:
        return self.read_at is None


class NotificationSettings(models.Model):
    """An agent's notification preferences (a row only once they changed one)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_settings",
        verbose_name=_("user"),
    )
    email = models.BooleanField(
        _("also e-mail me notifications"),
        default=False,
        help_text=_("Each notification is also sent to your e-mail address."),
    )

    class Meta:
        verbose_name = _("notification settings")
        verbose_name_plural = _("notification settings")

    def __str__(self) -> str:
        return str(self.user)
