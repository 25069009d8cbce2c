from zabota.commerce.models import Store
from zabota.sla.calendar import CalendarSnapshot, always_open_calendar, weekly_calendar
from zabota.sla.models import BusinessCalendar


def calendar_snapshot(calendar_id: int) -> CalendarSnapshot:
    """The calendar's hours and holidays for the calendar math (three queries). Raises
    ``SlaError`` (NO_HOURS) if the calendar has no weekly hours."""
    calendar = (
        BusinessCalendar.objects.select_related("store")
        .prefetch_related("weekly_hours", "holidays")
        .get(pk=calendar_id)
    )
    hours: dict[int, list] = {}
    for row in calendar.weekly_hours.all():
        hours.setdefault(row.weekday, []).append((row.opens, row.closes))
    holidays = list(calendar.holidays.all())
    return weekly_calendar(
        calendar.name,
        calendar.effective_time_zone,
        hours,
        holidays=[holiday.date for holiday in holidays if not holiday.recurring],
        recurring_holidays=[holiday.date for holiday in holidays if holiday.recurring],
    )


def store_calendar_snapshot(store: Store) -> CalendarSnapshot:
    """The store's default calendar, or 24/7 in the store's time zone if it has none."""
    default_id = (
        BusinessCalendar.objects.filter(store=store, is_default=True)
        .values_list("pk", flat=True)
        .first()
    )
    if default_id is None:
        return always_open_calendar(store.time_zone)
    return calendar_snapshot(default_id)
