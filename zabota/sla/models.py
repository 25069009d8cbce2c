from datetime import time

from django.db import models
from django.utils.translation import gettext_lazy as _

from zabota.commerce.models import TIME_ZONE_CHOICES
from zabota.core.models import TimestampedModel
from zabota.sla.constants import Weekday


class BusinessCalendar(TimestampedModel):
    """When a store's team works: weekly hours and holidays in a time zone. SLA clocks run only
    while the calendar is open; a store without a calendar is treated as open 24/7."""

    name = models.CharField(_("name"), max_length=150)
    store = models.ForeignKey(
        "commerce.Store",
        on_delete=models.CASCADE,
        related_name="business_calendars",
        verbose_name=_("store"),
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        choices=TIME_ZONE_CHOICES,
        blank=True,
        help_text=_("Leave empty to follow the store's time zone."),
    )
    is_default = models.BooleanField(
        _("default"),
        default=False,
        help_text=_("Used for the store's tickets unless an SLA policy names another calendar."),
    )

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        ordering = ["store", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["store"],
                condition=models.Q(is_default=True),
                name="sla_one_default_calendar_per_store",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def effective_time_zone(self) -> str:
        return self.time_zone or self.store.time_zone


class WeeklyHours(models.Model):
    """One open interval on a weekday, in local wall-clock time. A day may have several (9–13 and
    14–18). ``closes`` = 00:00 means midnight at the end of the day (24:00), so 00:00–00:00 is
    the whole day; an interval never runs past midnight (split it over two days)."""

    calendar = models.ForeignKey(
        BusinessCalendar,
        on_delete=models.CASCADE,
        related_name="weekly_hours",
        verbose_name=_("calendar"),
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(
        _("closes"), help_text=_("00:00 means midnight at the end of the day (24:00).")
    )

    class Meta:
        verbose_name = _("weekly hours")
        verbose_name_plural = _("weekly hours")
        ordering = ["calendar", "weekday", "opens"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(weekday__lte=6), name="sla_weekly_hours_weekday"
            ),
            models.CheckConstraint(
                condition=models.Q(closes__gt=models.F("opens")) | models.Q(closes=time(0)),
                name="sla_weekly_hours_closes_after_opens",
                violation_error_message=_("The closing time must be after the opening time."),
            ),
        ]

    def __str__(self) -> str:
        closes = "24:00" if self.closes == time(0) else f"{self.closes:%H:%M}"
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{closes}"


class Holiday(models.Model):
    """A local date on which the calendar is closed all day."""

    calendar = models.ForeignKey(
        BusinessCalendar,
        on_delete=models.CASCADE,
        related_name="holidays",
        verbose_name=_("calendar"),
    )
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=150, blank=True)
    recurring = models.BooleanField(
        _("every year"),
        default=False,
        help_text=_("Closed on this day and month in every year (29 February: leap years only)."),
    )

    class Meta:
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        ordering = ["calendar", "date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="sla_holiday_unique_date")
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}".strip()
