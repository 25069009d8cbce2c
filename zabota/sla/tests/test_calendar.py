"""Business-time arithmetic: weekly hours, weekends, holidays, split days, and real elapsed time
across the DST transitions of Europe/Warsaw, Europe/Budapest, America/New_York (and none in
Europe/Moscow). All datetimes are explicit; nothing reads the clock."""

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from zabota.sla.calendar import (
    HORIZON_DAYS,
    CalendarSnapshot,
    add_business_time,
    always_open_calendar,
    business_time_between,
    is_open,
    next_opening,
    weekly_calendar,
)
from zabota.sla.error_codes import SlaError, SlaErrorCode

WARSAW = ZoneInfo("Europe/Warsaw")
HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)
WORKDAYS = range(5)


def office(
    zone: str = "Europe/Warsaw",
    hours: tuple[tuple[time, time], ...] = ((time(9), time(17)),),
    days: range | tuple[int, ...] = WORKDAYS,
    **holidays,
) -> CalendarSnapshot:
    return weekly_calendar("Office", zone, dict.fromkeys(days, hours), **holidays)


def sundays_all_day(zone: str) -> CalendarSnapshot:
    """Open 00:00–24:00 on Sundays only; every DST transition date below is a Sunday."""
    return office(zone, hours=((time(0), time(0)),), days=(6,))


def local(zone: str | ZoneInfo, *args: int, fold: int = 0) -> datetime:
    tz = zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)
    return datetime(*args, tzinfo=tz, fold=fold)


# 2026-11-16 is a Monday.
MONDAY_10 = local(WARSAW, 2026, 11, 16, 10)


def test_time_within_one_open_interval_is_added_directly():
    """Three hours from Monday 10:00 in a 9–17 office end at 13:00 the same day."""
    # given
    calendar = office()
    # when
    due = add_business_time(calendar, MONDAY_10, 3 * HOUR)
    # then
    assert due == local(WARSAW, 2026, 11, 16, 13)
    assert business_time_between(calendar, MONDAY_10, due) == 3 * HOUR


def test_a_duration_ending_at_closing_time_ends_that_day():
    """The result is the earliest instant: 8 hours from 09:00 is 17:00, not 09:00 next day."""
    # when
    due = add_business_time(office(), local(WARSAW, 2026, 11, 16, 9), 8 * HOUR)
    # then
    assert due == local(WARSAW, 2026, 11, 16, 17)


def test_time_not_used_by_closing_continues_next_morning():
    """Two hours from Monday 16:00: one on Monday, one from Tuesday 09:00."""
    # when
    due = add_business_time(office(), local(WARSAW, 2026, 11, 16, 16), 2 * HOUR)
    # then
    assert due == local(WARSAW, 2026, 11, 17, 10)


def test_the_weekend_is_skipped():
    """Two hours from Friday 16:00 end on Monday 10:00; the weekend adds no business time."""
    # given
    friday_16 = local(WARSAW, 2026, 11, 20, 16)
    # when
    due = add_business_time(office(), friday_16, 2 * HOUR)
    # then
    assert due == local(WARSAW, 2026, 11, 23, 10)
    assert business_time_between(office(), friday_16, due) == 2 * HOUR
    assert business_time_between(office(), local(WARSAW, 2026, 11, 21, 0), due) == HOUR


def test_a_holiday_closes_the_whole_day():
    """With Tuesday a holiday, two hours from Monday 16:00 end on Wednesday 10:00."""
    # given
    calendar = office(holidays=[date(2026, 11, 17)])
    # when
    due = add_business_time(calendar, local(WARSAW, 2026, 11, 16, 16), 2 * HOUR)
    # then
    assert due == local(WARSAW, 2026, 11, 18, 10)
    assert not is_open(calendar, local(WARSAW, 2026, 11, 17, 12))


def test_a_recurring_holiday_closes_that_day_every_year():
    """A holiday entered for 2020 as "every year" closes 24 December 2026 (a Thursday)."""
    # given
    calendar = office(recurring_holidays=[date(2020, 12, 24)])
    # when / then
    assert not is_open(calendar, local(WARSAW, 2026, 12, 24, 12))
    assert next_opening(calendar, local(WARSAW, 2026, 12, 24, 12)) == local(WARSAW, 2026, 12, 25, 9)


def test_split_day_skips_the_lunch_break():
    """In a 9–13 and 14–18 day, two hours from 12:00 end at 15:00."""
    # given
    calendar = office(hours=((time(9), time(13)), (time(14), time(18))))
    # when
    due = add_business_time(calendar, local(WARSAW, 2026, 11, 16, 12), 2 * HOUR)
    # then
    assert due == local(WARSAW, 2026, 11, 16, 15)
    assert not is_open(calendar, local(WARSAW, 2026, 11, 16, 13, 30))
    assert business_time_between(
        calendar, local(WARSAW, 2026, 11, 16, 0), local(WARSAW, 2026, 11, 17, 0)
    ) == (8 * HOUR)


def test_overlapping_intervals_are_merged():
    """9–13 and 12–17 on the same day are the same as 9–17: eight hours, not nine."""
    # given
    calendar = office(hours=((time(9), time(13)), (time(12), time(17))))
    # then
    assert business_time_between(
        calendar, local(WARSAW, 2026, 11, 16, 0), local(WARSAW, 2026, 11, 17, 0)
    ) == (8 * HOUR)


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        # Saturday morning: counting begins on Monday at 09:00.
        (local(WARSAW, 2026, 11, 21, 8), local(WARSAW, 2026, 11, 23, 10)),
        # Before opening on a workday.
        (local(WARSAW, 2026, 11, 16, 6, 30), local(WARSAW, 2026, 11, 16, 10)),
        # Exactly at closing time: closed, so the next morning.
        (local(WARSAW, 2026, 11, 16, 17), local(WARSAW, 2026, 11, 17, 10)),
    ],
)
def test_start_outside_hours_counts_from_the_next_opening(start, expected):
    """One hour from a closed moment ends one hour after the next opening."""
    # when / then
    assert add_business_time(office(), start, HOUR) == expected


def test_zero_duration_gives_start_when_open_and_the_next_opening_when_closed():
    # when / then
    assert add_business_time(office(), MONDAY_10, timedelta(0)) == MONDAY_10
    assert add_business_time(office(), local(WARSAW, 2026, 11, 21, 8), timedelta(0)) == local(
        WARSAW, 2026, 11, 23, 9
    )


def test_is_open_includes_opening_and_excludes_closing():
    # given
    calendar = office()
    # then
    assert is_open(calendar, local(WARSAW, 2026, 11, 16, 9))
    assert is_open(calendar, local(WARSAW, 2026, 11, 16, 16, 59))
    assert not is_open(calendar, local(WARSAW, 2026, 11, 16, 17))
    assert not is_open(calendar, local(WARSAW, 2026, 11, 22, 12))  # Sunday


def test_next_opening_is_at_itself_when_open_else_the_next_interval():
    # given
    calendar = office()
    # then
    assert next_opening(calendar, MONDAY_10) == MONDAY_10
    assert next_opening(calendar, local(WARSAW, 2026, 11, 20, 18)) == local(WARSAW, 2026, 11, 23, 9)


def test_results_keep_the_time_zone_of_the_input():
    """A UTC start (what ``timezone.now()`` gives) yields a UTC deadline for the same instant."""
    # given
    start = MONDAY_10.astimezone(UTC)
    # when
    due = add_business_time(office(), start, 2 * HOUR)
    # then
    assert due.tzinfo is UTC
    assert due == local(WARSAW, 2026, 11, 16, 12)


def test_business_time_between_is_zero_for_an_empty_or_reversed_span():
    # then
    assert business_time_between(office(), MONDAY_10, MONDAY_10) == timedelta(0)
    assert business_time_between(office(), MONDAY_10, MONDAY_10 - HOUR) == timedelta(0)


# DST: business hours are local wall-clock times; real elapsed time is counted.


@pytest.mark.parametrize(
    ("zone", "sunday", "expected"),
    [
        ("Europe/Warsaw", date(2026, 3, 29), 23 * HOUR),
        ("Europe/Warsaw", date(2026, 10, 25), 25 * HOUR),
        ("Europe/Budapest", date(2026, 3, 29), 23 * HOUR),
        ("Europe/Budapest", date(2026, 10, 25), 25 * HOUR),
        ("America/New_York", date(2026, 3, 8), 23 * HOUR),
        ("America/New_York", date(2026, 11, 1), 25 * HOUR),
        # Moscow has had no DST since 2014: those Sundays last 24 hours there.
        ("Europe/Moscow", date(2026, 3, 29), 24 * HOUR),
        ("Europe/Moscow", date(2026, 10, 25), 24 * HOUR),
        ("Europe/Moscow", date(2026, 3, 8), 24 * HOUR),
        ("Europe/Moscow", date(2026, 11, 1), 24 * HOUR),
    ],
)
def test_an_all_day_interval_on_a_transition_day_lasts_as_long_as_the_day(zone, sunday, expected):
    """00:00–24:00 on the day clocks go forward is 23 real hours, on the day they go back 25."""
    # given
    calendar = sundays_all_day(zone)
    week_start = local(zone, sunday.year, sunday.month, sunday.day) - timedelta(days=6)
    week_end = local(zone, sunday.year, sunday.month, sunday.day) + timedelta(days=2)
    # when
    counted = business_time_between(calendar, week_start, week_end)
    # then
    assert counted == expected
    saturday_noon = local(zone, sunday.year, sunday.month, sunday.day) - timedelta(hours=12)
    assert add_business_time(calendar, saturday_noon, expected) == local(
        zone, sunday.year, sunday.month, sunday.day + 1
    )


@pytest.mark.parametrize(
    "sunday", [date(2026, 3, 8), date(2026, 3, 29), date(2026, 10, 25), date(2026, 11, 1)]
)
def test_moscow_stays_at_utc_plus_three(sunday):
    """No transition in Moscow on the dates other zones change: 09:00 there is 06:00 UTC."""
    # given
    calendar = office("Europe/Moscow", days=range(7))
    nine = local("Europe/Moscow", sunday.year, sunday.month, sunday.day, 9)
    # then
    assert nine.utcoffset() == timedelta(hours=3)
    assert next_opening(calendar, nine - 2 * HOUR) == datetime(
        sunday.year, sunday.month, sunday.day, 6, tzinfo=UTC
    )
    assert add_business_time(calendar, nine, 8 * HOUR) == nine + 8 * HOUR


@pytest.mark.parametrize(
    ("zone", "friday", "monday_utc_ten"),
    [
        # Opening at 09:00 moves from 08:00 UTC (CET) to 07:00 UTC (CEST).
        ("Europe/Warsaw", date(2026, 3, 27), datetime(2026, 3, 30, 8, tzinfo=UTC)),
        ("Europe/Budapest", date(2026, 3, 27), datetime(2026, 3, 30, 8, tzinfo=UTC)),
        # And back: from 07:00 UTC (CEST) to 08:00 UTC (CET).
        ("Europe/Warsaw", date(2026, 10, 23), datetime(2026, 10, 26, 9, tzinfo=UTC)),
        ("Europe/Budapest", date(2026, 10, 23), datetime(2026, 10, 26, 9, tzinfo=UTC)),
        # New York opening at 09:00 EST is 14:00 UTC, at 09:00 EDT 13:00 UTC.
        ("America/New_York", date(2026, 3, 6), datetime(2026, 3, 9, 14, tzinfo=UTC)),
        ("America/New_York", date(2026, 10, 30), datetime(2026, 11, 2, 15, tzinfo=UTC)),
    ],
)
def test_office_hours_over_a_dst_weekend_follow_the_local_clock(zone, friday, monday_utc_ten):
    """Two hours from Friday 16:00 end at Monday 10:00 local time, whatever the offset change."""
    # given
    calendar = office(zone)
    friday_16 = local(zone, friday.year, friday.month, friday.day, 16)
    # when
    due = add_business_time(calendar, friday_16, 2 * HOUR)
    # then
    assert due == monday_utc_ten
    assert business_time_between(calendar, friday_16, due) == 2 * HOUR


@pytest.mark.parametrize(
    ("zone", "day", "opens", "closes", "expected"),
    [
        # Clocks jump 02:00→03:00: 01:00–04:00 holds 2 real hours.
        ("Europe/Warsaw", date(2026, 3, 29), time(1), time(4), 2 * HOUR),
        # An interval opening in the gap opens when the clocks jump (03:00 CEST).
        ("Europe/Warsaw", date(2026, 3, 29), time(2, 30), time(5), 2 * HOUR),
        # An interval wholly in the gap never happens.
        ("Europe/Budapest", date(2026, 3, 29), time(2, 15), time(2, 45), timedelta(0)),
        # Clocks go back 03:00→02:00: 01:00–04:00 holds 4 real hours.
        ("Europe/Warsaw", date(2026, 10, 25), time(1), time(4), 4 * HOUR),
        # A time that occurs twice opens or closes at its first occurrence (CEST).
        ("Europe/Warsaw", date(2026, 10, 25), time(1), time(2, 30), 90 * MINUTE),
        ("Europe/Warsaw", date(2026, 10, 25), time(2, 30), time(4), 150 * MINUTE),
        # The repeated hour itself: 02:00–03:00 lasts two real hours.
        ("Europe/Budapest", date(2026, 10, 25), time(2), time(3), 2 * HOUR),
        # New York: 02:00→03:00 in March, 02:00→01:00 in November.
        ("America/New_York", date(2026, 3, 8), time(0), time(3), 2 * HOUR),
        ("America/New_York", date(2026, 11, 1), time(0), time(3), 4 * HOUR),
        ("Europe/Moscow", date(2026, 3, 29), time(1), time(4), 3 * HOUR),
    ],
)
def test_hours_spanning_a_transition_count_real_time(zone, day, opens, closes, expected):
    # given
    calendar = office(zone, hours=((opens, closes),), days=(6,))
    # when
    counted = business_time_between(
        calendar,
        local(zone, day.year, day.month, day.day),
        local(zone, day.year, day.month, day.day) + timedelta(days=1),
    )
    # then
    assert counted == expected


def test_the_repeated_hour_is_open_both_times():
    """Open 02:00–03:00 on 2026-10-25 in Warsaw: 02:30 CEST and 02:30 CET are both open."""
    # given
    calendar = office(hours=((time(2), time(3)),), days=(6,))
    first, second = local(WARSAW, 2026, 10, 25, 2, 30), local(WARSAW, 2026, 10, 25, 2, 30, fold=1)
    # then
    assert second - first == timedelta(0)  # same wall time; the instants differ by an hour:
    assert second.astimezone(UTC) - first.astimezone(UTC) == HOUR
    assert is_open(calendar, first)
    assert is_open(calendar, second)
    # Python never finds a fold=1 time equal to one in another zone; compare in UTC.
    due = add_business_time(calendar, local(WARSAW, 2026, 10, 25, 2), 90 * MINUTE)
    assert due.astimezone(UTC) == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)


def test_adding_time_across_the_spring_gap_skips_the_missing_hour():
    """Open 01:00–04:00 on 2026-03-29 in Warsaw: one hour from 01:30 CET ends at 03:30 CEST."""
    # given
    calendar = office(hours=((time(1), time(4)),), days=(6,))
    # when
    due = add_business_time(calendar, local(WARSAW, 2026, 3, 29, 1, 30), HOUR)
    # then
    assert due == local(WARSAW, 2026, 3, 29, 3, 30)
    assert due.astimezone(UTC) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)


# 24/7 and errors.


def test_always_open_counts_plain_real_time_across_dst():
    # given
    calendar = always_open_calendar("Europe/Warsaw")
    start = local(WARSAW, 2026, 3, 28, 12)
    # when / then
    assert calendar.always_open
    assert add_business_time(calendar, start, 24 * HOUR) == local(WARSAW, 2026, 3, 29, 13)
    assert business_time_between(calendar, start, local(WARSAW, 2026, 3, 30, 12)) == 47 * HOUR
    assert is_open(calendar, start)
    assert next_opening(calendar, start) == start


def test_whole_days_every_day_with_a_holiday_is_not_always_open():
    # given
    calendar = weekly_calendar(
        "Nearly 24/7",
        "Europe/Warsaw",
        {day: [(time(0), time(0))] for day in range(7)},
        holidays=[date(2026, 11, 18)],
    )
    # when / then
    assert not calendar.always_open
    assert next_opening(calendar, local(WARSAW, 2026, 11, 18, 12)) == local(WARSAW, 2026, 11, 19, 0)
    assert business_time_between(
        calendar, local(WARSAW, 2026, 11, 17, 12), local(WARSAW, 2026, 11, 19, 12)
    ) == (24 * HOUR)


def test_a_calendar_without_hours_is_an_error():
    # when
    with pytest.raises(SlaError) as raised:
        weekly_calendar("Empty", "Europe/Warsaw", {})
    # then
    assert raised.value.code == SlaErrorCode.NO_HOURS
    assert "Empty" in raised.value.message


def test_a_duration_never_reached_within_the_horizon_is_an_error():
    """Open on Mondays only, and every Monday for four years a holiday."""
    # given
    first_monday = date(2026, 11, 16)
    mondays = [first_monday + timedelta(weeks=week) for week in range(4 * 53)]
    calendar = office(days=(0,), holidays=mondays)
    # when / then
    for call in (
        lambda: add_business_time(calendar, MONDAY_10, HOUR),
        lambda: next_opening(calendar, MONDAY_10),
    ):
        with pytest.raises(SlaError) as raised:
            call()
        assert raised.value.code == SlaErrorCode.BEYOND_HORIZON
    assert len(mondays) * 7 > HORIZON_DAYS  # the holidays outlast the horizon


def test_naive_datetimes_and_negative_durations_are_refused():
    # when / then
    with pytest.raises(SlaError) as naive:
        is_open(office(), datetime(2026, 11, 16, 10))
    with pytest.raises(SlaError) as negative:
        add_business_time(office(), MONDAY_10, -HOUR)
    assert naive.value.code == SlaErrorCode.NAIVE_DATETIME
    assert negative.value.code == SlaErrorCode.NEGATIVE_DURATION


# Round trip.

ROUND_TRIP_CALENDARS = [
    office("Europe/Warsaw", holidays=[date(2026, 11, 11), date(2026, 3, 30)]),
    office("Europe/Budapest", hours=((time(9), time(13)), (time(14), time(18)))),
    office("America/New_York", hours=((time(1), time(3)), (time(20), time(0))), days=range(7)),
    office("Europe/Moscow", days=(0, 2, 4, 6)),
    sundays_all_day("Europe/Warsaw"),
]


@pytest.mark.parametrize("calendar", ROUND_TRIP_CALENDARS, ids=lambda c: str(c.time_zone))
def test_business_time_between_undoes_add_business_time(calendar):
    """For seeded random starts through 2026 (DST dates included) and durations up to 60 hours:
    business_time_between(start, add_business_time(start, d)) == d, and the result is never
    before the start."""
    # given
    rng = random.Random(20260329)
    year_start = datetime(2026, 1, 1, tzinfo=UTC)
    starts = [year_start + timedelta(seconds=rng.randrange(365 * 86400)) for _ in range(150)]
    starts += [
        datetime(2026, 3, 29, 0, 30, tzinfo=UTC),
        datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
        datetime(2026, 3, 8, 6, 30, tzinfo=UTC),
        datetime(2026, 11, 1, 5, 30, tzinfo=UTC),
    ]
    for start in starts:
        duration = timedelta(seconds=rng.randrange(60 * 3600))
        # when
        due = add_business_time(calendar, start, duration)
        # then
        assert due >= start
        assert business_time_between(calendar, start, due) == duration, (start, duration)


@pytest.mark.parametrize("calendar", ROUND_TRIP_CALENDARS, ids=lambda c: str(c.time_zone))
def test_business_time_between_adds_up_over_a_split_span(calendar):
    """For seeded random spans of up to 40 days split at a random instant, the parts add up to
    the whole (whole days inside a span are summed per day, the edges interval by interval)."""
    # given
    rng = random.Random(20261025)
    for _ in range(100):
        start = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(330 * 86400))
        end = start + timedelta(seconds=rng.randrange(40 * 86400))
        middle = start + (end - start) * rng.random()
        # when
        whole = business_time_between(calendar, start, end)
        parts = business_time_between(calendar, start, middle) + business_time_between(
            calendar, middle, end
        )
        # then
        assert whole == parts, (start, middle, end)
        if whole:  # a zero duration gives the next opening, which may lie after ``end``
            assert add_business_time(calendar, start, whole) <= end
