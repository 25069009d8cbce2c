from django.db import models
from django.utils.translation import gettext_lazy as _

from zabota.core.errors import DomainError


class SlaErrorCode(models.TextChoices):
    # A business calendar without any weekly hours: it would never open. A store without a
    # calendar is open 24/7, so an empty calendar is a configuration mistake, not "always open".
    NO_HOURS = "no_hours", _("The business calendar “%(calendar)s” has no opening hours.")
    # A naive datetime given to the calendar math: it cannot tell which instant is meant.
    NAIVE_DATETIME = "naive_datetime", _("A time zone aware datetime is required.")
    # A negative duration given to add_business_time.
    NEGATIVE_DURATION = "negative_duration", _("The duration must not be negative.")
    # The duration is not reached (or no opening found) within the calendar math's horizon,
    # e.g. every opening day is a holiday for years.
    BEYOND_HORIZON = (
        "beyond_horizon",
        _("The calendar “%(calendar)s” is not open long enough within %(years)s years."),
    )


class SlaError(DomainError):
    code: SlaErrorCode
