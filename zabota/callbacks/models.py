from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zabota.callbacks.constants import OWED_STATES, CallbackState, CallOutcome
from zabota.core.models import TimestampedModel


class CallbackRequest(TimestampedModel):
    """A customer asked to be called back. Its ticket (channel ``callback``) carries routing,
    rules, SLA and the timeline; this row holds what the call card needs."""

    ticket = models.OneToOneField(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="callback"
    )
    store = models.ForeignKey("commerce.Store", on_delete=models.CASCADE, related_name="+")
    visitor = models.ForeignKey(
        "chat.Visitor", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # E.164 (+48601234567), normalised on the way in.
    phone = models.CharField(_("phone"), max_length=32)
    name = models.CharField(_("name"), max_length=150, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    # The customer's preferred window; both empty: as soon as possible.
    window_start = models.DateTimeField(_("call from"), null=True, blank=True)
    window_end = models.DateTimeField(_("call until"), null=True, blank=True)
    topic = models.CharField(_("topic"), max_length=200, blank=True)
    language = models.CharField(_("language"), max_length=8, blank=True)
    state = models.CharField(
        _("state"), max_length=16, choices=CallbackState.choices, default=CallbackState.WAITING
    )
    # Calls made so far (each a CallAttempt).
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # When a retry is scheduled: the sweep reopens the ticket then.
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    # When the team should call (the callback SLA, the window, or the retry that came due).
    due_at = models.DateTimeField(_("call by"))

    class Meta:
        verbose_name = _("callback request")
        verbose_name_plural = _("callback requests")
        indexes = [
            # The retry sweep: scheduled requests whose time has come.
            models.Index(
                fields=["next_attempt_at"],
                name="callback_retry_due_idx",
                condition=models.Q(state=CallbackState.RETRY_SCHEDULED),
            ),
            models.Index(fields=["store", "state", "due_at", "id"], name="callback_state_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.phone} ({self.state})"

    @property
    def is_owed(self) -> bool:
        return self.state in OWED_STATES

    @property
    def is_overdue(self) -> bool:
        """Still waiting for the call and past its due time."""
        return self.state == CallbackState.WAITING and self.due_at < timezone.now()


class CallAttempt(models.Model):
    """One call an agent made for a request, and how it went."""

    request = models.ForeignKey(CallbackRequest, on_delete=models.CASCADE, related_name="calls")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    outcome = models.CharField(_("outcome"), max_length=16, choices=CallOutcome.choices)
    note = models.TextField(_("note"), blank=True)
    at = models.DateTimeField(_("called at"))

    class Meta:
        verbose_name = _("call attempt")
        verbose_name_plural = _("call attempts")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.outcome} at {self.at:%Y-%m-%d %H:%M}"
