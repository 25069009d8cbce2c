"""Calendars as stored turn into snapshots for the calendar math: hours, holidays (one-off and
yearly), the time zone (the calendar's own or the store's), and 24/7 for a store without one."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from zabota.sla.calendar import add_business_time, is_open
from zabota.sla.constants import Weekday
from zabota.sla.error_codes import SlaError, SlaErrorCode
from zabota.sla.models import BusinessCalendar, Holiday, WeeklyHours
from zabota.sla.queries import calendar_snapshot, store_calendar_snapshot

pytestmark = pytest.mark.django_db


def _office(world, **fields) -> BusinessCalendar:
    calendar = BusinessCalendar.objects.create(store=world.store, name="Office", **fields)
    for weekday in range(Weekday.FRIDAY + 1):
        WeeklyHours.objects.create(
            calendar=calendar, weekday=weekday, opens=time(9), closes=time(13)
        )
        WeeklyHours.objects.create(
            calendar=calendar, weekday=weekday, opens=time(14), closes=time(18)
        )
    return calendar


def test_snapshot_has_the_stored_hours_and_holidays_in_three_queries(world):
    """Split days, a one-off holiday (11 November 2026) and a yearly one entered for 2020."""
    # given
    calendar = _office(world)
    Holiday.objects.create(calendar=calendar, date=date(2026, 11, 11), name="Independence Day")
    Holiday.objects.create(calendar=calendar, date=date(2020, 12, 24), recurring=True)
    # when
    with CaptureQueriesContext(connection) as queries:
        snapshot = calendar_snapshot(calendar.pk)
    # then
    assert len(queries) == 3
    assert str(snapshot.time_zone) == "Europe/Warsaw"  # the store's
    assert snapshot.weekly[Weekday.MONDAY] == ((9 * 3600, 13 * 3600), (14 * 3600, 18 * 3600))
    assert snapshot.weekly[Weekday.SATURDAY] == ()
    assert snapshot.holidays == {date(2026, 11, 11)}
    assert snapshot.is_holiday(date(2026, 12, 24))
    # Tuesday 10 November 2026, 17:00 CET: one hour that day, then the holiday, then Thursday.
    start = datetime(2026, 11, 10, 16, tzinfo=UTC)
    assert add_business_time(snapshot, start, 2 * timedelta(hours=1)) == datetime(
        2026, 11, 12, 9, tzinfo=UTC
    )


def test_the_calendars_own_time_zone_wins_over_the_stores(world):
    # given
    calendar = _office(world, time_zone="America/New_York")
    # when
    snapshot = calendar_snapshot(calendar.pk)
    # then: 09:00 in New York on Monday 16 November 2026 is 14:00 UTC.
    assert not is_open(snapshot, datetime(2026, 11, 16, 13, 59, tzinfo=UTC))
    assert is_open(snapshot, datetime(2026, 11, 16, 14, tzinfo=UTC))


def test_closing_at_midnight_means_the_end_of_the_day(world):
    # given
    calendar = BusinessCalendar.objects.create(store=world.store, name="Evenings")
    WeeklyHours.objects.create(
        calendar=calendar, weekday=Weekday.SUNDAY, opens=time(20), closes=time(0)
    )
    # when
    snapshot = calendar_snapshot(calendar.pk)
    # then
    assert snapshot.weekly[Weekday.SUNDAY] == ((20 * 3600, 24 * 3600),)
    assert str(WeeklyHours.objects.get()) == "Sunday 20:00–24:00"


def test_a_store_without_a_default_calendar_is_open_around_the_clock(world):
    # given
    _office(world)  # not the default
    # when
    snapshot = store_calendar_snapshot(world.store)
    # then
    assert snapshot.always_open
    assert str(snapshot.time_zone) == world.store.time_zone


def test_a_store_uses_its_default_calendar(world):
    # given
    calendar = _office(world, is_default=True)
    # when
    snapshot = store_calendar_snapshot(world.store)
    # then
    assert snapshot.name == calendar.name
    assert not snapshot.always_open


def test_a_default_calendar_without_hours_is_an_error(world):
    # given
    BusinessCalendar.objects.create(store=world.store, name="Forgotten", is_default=True)
    # when
    with pytest.raises(SlaError) as raised:
        store_calendar_snapshot(world.store)
    # then
    assert raised.value.code == SlaErrorCode.NO_HOURS


def test_one_default_calendar_per_store(world):
    # given
    _office(world, is_default=True)
    # when / then
    with pytest.raises(IntegrityError), transaction.atomic():
        BusinessCalendar.objects.create(store=world.store, name="Second", is_default=True)


def test_hours_must_close_after_they_open(world):
    # given
    calendar = BusinessCalendar.objects.create(store=world.store, name="Office")
    # when / then
    with pytest.raises(IntegrityError), transaction.atomic():
        WeeklyHours.objects.create(calendar=calendar, weekday=0, opens=time(17), closes=time(9))
