from datetime import time, timedelta

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from zabota.commerce.models import TIME_ZONE_CHOICES
from zabota.core.models import TimestampedModel
from zabota.sla.constants import TargetState, Weekday


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


def _code_list_validator(value: object) -> None:
    if not isinstance(value, list) or not all(isinstance(item, str | int) for item in value):
        raise ValidationError(_("Enter a list of codes."))


class SlaPolicy(TimestampedModel):
    """Targets for the store's tickets that match its conditions; a ticket gets the first
    active policy in ``position`` order whose conditions it meets (an empty condition matches
    everything). Times are business time on ``calendar`` (none: 24/7)."""

    store = models.ForeignKey(
        "commerce.Store",
        on_delete=models.CASCADE,
        related_name="sla_policies",
        verbose_name=_("store"),
    )
    name = models.CharField(_("name"), max_length=150)
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    channels = models.JSONField(
        _("channels"),
        default=list,
        blank=True,
        validators=[_code_list_validator],
        help_text=_("Channel codes; empty for any channel."),
    )
    priorities = models.JSONField(
        _("priorities"),
        default=list,
        blank=True,
        validators=[_code_list_validator],
        help_text=_("Priority numbers (10 low … 40 urgent); empty for any priority."),
    )
    segments = models.JSONField(
        _("customer segments"),
        default=list,
        blank=True,
        validators=[_code_list_validator],
        help_text=_("Segment codes (e.g. vip); empty for any customer."),
    )
    first_reply_within = models.DurationField(_("first reply within"), null=True, blank=True)
    next_reply_within = models.DurationField(_("next reply within"), null=True, blank=True)
    resolution_within = models.DurationField(_("resolution within"), null=True, blank=True)
    warning_percent = models.PositiveSmallIntegerField(
        # xgettext:no-python-format
        _("warning at % left"),
        default=20,
        validators=[MaxValueValidator(99)],
        help_text=_("Warn when this share of a target's time is left."),
    )
    segment_factors = models.JSONField(
        _("segment factors"),
        default=dict,
        blank=True,
        help_text=_('Multiply the targets for customers in a segment, e.g. {"vip": 0.5}.'),
    )
    calendar = models.ForeignKey(
        BusinessCalendar,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="policies",
        verbose_name=_("calendar"),
        help_text=_("Empty: the clock runs 24/7."),
    )

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["store", "position", "pk"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        factors = self.segment_factors
        if not isinstance(factors, dict) or not all(
            isinstance(value, int | float) and 0 < value <= 10 for value in factors.values()
        ):
            raise ValidationError(
                {"segment_factors": _("Enter segment codes with factors between 0 and 10.")}
            )
        if self.calendar is not None and self.calendar.store_id != self.store_id:
            raise ValidationError({"calendar": _("The calendar belongs to another store.")})


class TicketSla(models.Model):
    """A ticket's SLA clock under its policy: the due time and state of each target, pauses,
    and the business times reported. ``state`` and ``next_due`` (the earliest due time of a
    target not yet met) are what the inbox sorts by and the sweep compares with now."""

    ticket = models.OneToOneField(
        "tickets.Ticket", on_delete=models.CASCADE, primary_key=True, related_name="sla"
    )
    policy = models.ForeignKey(SlaPolicy, on_delete=models.SET_NULL, null=True, related_name="+")
    started_at = models.DateTimeField()
    first_reply_due = models.DateTimeField(null=True, blank=True)
    first_reply_warn_at = models.DateTimeField(null=True, blank=True)
    first_reply_state = models.CharField(max_length=16, choices=TargetState.choices, blank=True)
    next_reply_due = models.DateTimeField(null=True, blank=True)
    next_reply_warn_at = models.DateTimeField(null=True, blank=True)
    next_reply_state = models.CharField(max_length=16, choices=TargetState.choices, blank=True)
    resolution_due = models.DateTimeField(null=True, blank=True)
    resolution_warn_at = models.DateTimeField(null=True, blank=True)
    resolution_state = models.CharField(max_length=16, choices=TargetState.choices, blank=True)
    # The policy's segment factor for the customer when the clock started (VIP: 0.5).
    factor = models.FloatField(default=1.0)
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_total = models.DurationField(default=timedelta(0))
    first_replied_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    # Business seconds, pauses excluded: what reports average.
    first_reply_seconds = models.PositiveIntegerField(null=True, blank=True)
    resolution_seconds = models.PositiveIntegerField(null=True, blank=True)
    state = models.CharField(max_length=16, choices=TargetState.choices, blank=True)
    next_due = models.DateTimeField(null=True, blank=True)
    # The earliest warning time of a target still in state "due".
    warn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("ticket SLA")
        verbose_name_plural = _("ticket SLAs")
        indexes = [
            models.Index(fields=["state", "next_due"], name="sla_ticket_state_due_idx"),
            models.Index(fields=["state", "warn_at"], name="sla_ticket_state_warn_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.state}"
