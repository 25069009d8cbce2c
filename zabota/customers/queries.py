"""Finders for customer lists: important dates of one customer and the upcoming ones of all the
customers a user may see (birthdays this month, across the turn of the year too)."""

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Q

from zabota.accounts.models import User
from zabota.customers.access import visible_customers
from zabota.customers.models import ImportantDate

Day = date  # DateOccurrence has a field named ``date``

# The upcoming-dates page shows at most this many rows.
UPCOMING_LIMIT = 500
# Less than a year, so that no day.month can come round twice within a window.
MAX_WINDOW_DAYS = 365


def occurrence(month: int, day: int, year: int) -> date:
    """The date a yearly ``day.month`` falls on in ``year``: 29 February is kept on 28 February
    in common years, so a leap-day birthday is never skipped."""
    if month == 2 and day == 29 and not calendar.isleap(year):
        return date(year, 2, 28)
    return date(year, month, day)


def next_occurrence(month: int, day: int, today: date) -> date:
    this_year = occurrence(month, day, today.year)
    return this_year if this_year >= today else occurrence(month, day, today.year + 1)


@dataclass(frozen=True)
class DateOccurrence:
    """An important date and when it next comes round."""

    date: ImportantDate
    on: Day
    # 0 today, 1 tomorrow …
    days: int
    # Years since the given year on that day (the age a birthday turns), if the year is known.
    years: int | None

    @property
    def customer_id(self) -> int:
        return self.date.customer_id


def _occurrence_of(item: ImportantDate, on: date, today: date) -> DateOccurrence:
    years = on.year - item.year if item.year else None
    return DateOccurrence(date=item, on=on, days=(on - today).days, years=years)


def customer_dates(customer_id: int, *, today: date) -> list[DateOccurrence]:
    """The customer's important dates in the order they come round next."""
    result = [
        _occurrence_of(item, next_occurrence(item.month, item.day, today), today)
        for item in ImportantDate.objects.filter(customer_id=customer_id)
    ]
    return sorted(result, key=lambda o: (o.on, o.date.pk))


def _month_segments(start: date, end: date) -> list[tuple[int, Q]]:
    """The window ``start``..``end`` (inclusive) cut at month ends, in time order: (month,
    filter of the rows whose day.month falls in that stretch)."""
    segments = []
    cursor = start
    while cursor <= end:
        last_day = calendar.monthrange(cursor.year, cursor.month)[1]
        until = min(end, date(cursor.year, cursor.month, last_day))
        condition = Q(month=cursor.month, day__gte=cursor.day, day__lte=until.day)
        if cursor.month == 2 and until.day == 28 and not calendar.isleap(cursor.year):
            condition |= Q(month=2, day=29)  # kept on the 28th this year
        segments.append((cursor.month, condition))
        cursor = until + timedelta(days=1)
    return segments


def upcoming_dates(
    user: User, *, start: date, days: int, limit: int = UPCOMING_LIMIT
) -> list[DateOccurrence]:
    """Important dates of the customers ``user`` may see that come round within ``days`` days
    from ``start`` (inclusive), soonest first, then by customer name; at most ``limit``.
    One query per calendar month the window touches, stopping once ``limit`` are found."""
    days = max(0, min(days, MAX_WINDOW_DAYS - 1))
    end = start + timedelta(days=days)
    visible = visible_customers(user)
    found: list[DateOccurrence] = []
    for _month, condition in _month_segments(start, end):
        rows = (
            ImportantDate.objects.filter(condition, customer__in=visible)
            .select_related("customer")
            .order_by("day", "customer__display_name", "pk")[: limit - len(found)]
        )
        chunk = []
        for item in rows:
            on = next_occurrence(item.month, item.day, start)
            if on <= end:
                chunk.append(_occurrence_of(item, on, start))
        chunk.sort(key=lambda o: (o.on, o.date.customer.name.casefold(), o.date.pk))
        found += chunk
        if len(found) >= limit:
            break
    return found
