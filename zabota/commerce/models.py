from datetime import timedelta
from typing import Any
from zoneinfo import available_timezones

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from zabota.core.models import TimestampedModel

TIME_ZONE_CHOICES = sorted((tz, tz) for tz in available_timezones())


class Store(TimestampedModel):
    """A brand the team supports: its own address, time zone, language, currency and numbering."""

    slug = models.SlugField(_("slug"), unique=True)
    name = models.CharField(_("name"), max_length=150)
    email = models.EmailField(_("support address"))
    time_zone = models.CharField(
        _("time zone"), max_length=64, choices=TIME_ZONE_CHOICES, default="Europe/Warsaw"
    )
    default_language = models.CharField(
        _("default language"), max_length=8, choices=settings.LANGUAGES, default="en"
    )
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    default_group = models.ForeignKey(
        "accounts.Group",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("default group"),
        help_text=_("New tickets land here unless a rule routes them elsewhere."),
    )
    confirmation_timeout = models.DurationField(
        _("confirmation timeout"),
        default=timedelta(days=3),
        help_text=_(
            "A proposed solution counts as accepted if the customer stays silent this long."
        ),
    )
    # Last issued ticket number; incremented under a row lock.
    ticket_seq = models.PositiveIntegerField(default=1000, editable=False)

    class Meta:
        verbose_name = _("store")
        verbose_name_plural = _("stores")

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Never write ticket_seq from a possibly stale instance (admin form, old copy):
        only ``tickets.actions`` advances it, with an atomic UPDATE."""
        if not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key and f.name != "ticket_seq"
            ]
        super().save(*args, **kwargs)
