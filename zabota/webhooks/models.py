import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from zabota.core.fields import EncryptedTextField
from zabota.core.models import TimestampedModel
from zabota.webhooks.constants import ALL_EVENTS, DeliveryStatus


def generate_secret() -> str:
    return secrets.token_urlsafe(32)


class Subscription(TimestampedModel):
    """An endpoint that receives the events of the listed types, signed with its secret."""

    store = models.ForeignKey(
        "commerce.Store",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("store"),
        help_text=_("Leave empty for the events of every store."),
    )
    name = models.CharField(_("name"), max_length=150)
    url = models.URLField(_("URL"), max_length=500)
    secret = EncryptedTextField(_("signing secret"), default=generate_secret, editable=False)
    event_types = models.JSONField(
        _("event types"), default=list, help_text=_("“*” subscribes to every event type.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    # Only for receivers inside the installation's own network; metadata addresses stay refused.
    allow_private_network = models.BooleanField(
        _("allow private network addresses"),
        default=False,
        help_text=_(
            "Allow loopback and private addresses (e.g. a receiver on the same network). "
            "Cloud metadata addresses are always refused."
        ),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("created by"),
    )

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")

    def __str__(self) -> str:
        return self.name

    def wants(self, event_type: str) -> bool:
        return ALL_EVENTS in self.event_types or event_type in self.event_types


class Delivery(models.Model):
    """One event for one subscription, with the outcome of its latest attempt.

    The request body is fixed when the row is created, so every attempt sends the same bytes.
    """

    subscription = models.ForeignKey(
        Subscription,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("subscription"),
    )
    # Null for test pings; kept (as null) if the outbox is pruned, so the log survives.
    event = models.ForeignKey(
        "core.OutboxEvent",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("event"),
    )
    event_type = models.CharField(_("event type"), max_length=64)
    payload = models.JSONField(_("request body"))
    status = models.CharField(
        _("status"), max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    # The next attempt is due then; while an attempt runs, the end of its lease.
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    response_status = models.PositiveIntegerField(_("response status"), null=True, blank=True)
    response_excerpt = models.TextField(_("response body (first 2 KB)"), blank=True)
    error = models.TextField(_("error"), blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "event"], name="webhooks_delivery_once_per_event"
            )
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="webhooks_delivery_pending_idx",
                condition=models.Q(status="pending"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.subscription_id} #{self.pk}"
