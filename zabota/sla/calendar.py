"""Business-time arithmetic on a plain snapshot of a business calendar.

Nothing here touches the database: ``sla.queries`` builds a ``CalendarSnapshot`` once, and a sweep
over many tickets reuses it (each snapshot caches the real-time intervals of the days it has
seen).

The rule for local time: weekly hours are wall-clock times in the calendar's time zone, and an
interval is open from the first instant the local clock reads its opening time (or later) to the
first instant it reads its closing time (or later). What is counted is real elapsed time, because
that is what a customer waits. So on the day clocks go forward, wall-clock times in the gap never
occur and are not counted (an interval opening in the gap opens when the clocks jump; a
00:00–24:00 day lasts 23 hours); on the day clocks go back, a repeated hour inside an interval is
counted twice (a 00:00–24:00 day lasts 25 hours). A time that occurs twice opens or closes an
interval at its first occurrence. Holidays close the whole local day.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from zabota.sla.error_codes import SlaError, SlaErrorCode

DAY_SECONDS = 24 * 60 * 60
ONE_DAY = timedelta(days=1)
# How far the search for openings goes: a target not reached within it is a misconfiguration
# (e.g. every opening day a holiday), not a deadline worth waiting for.
HORIZON_YEARS = 3
HORIZON_DAYS = HORIZON_YEARS * 366
# Bounds the per-snapshot cache of days; a sweep touches a few weeks, far fewer days than this.
MAX_CACHED_DAYS = 4096

type Interval = tuple[int, int]  # seconds from local midnight: opens, closes (≤ 86400)
type RealInterval = tuple[datetime, datetime]  # UTC instants: opens, closes


@dataclass(frozen=True, eq=False)
class CalendarSnapshot:
    """Weekly hours and holidays of one calendar, ready for the functions below.

    ``weekly`` has seven entries, Monday first, each a sequence of ``(opens, closes)`` in seconds
    from local midnight with ``0 <= opens < closes <= 86400``; overlapping or touching intervals
    are merged. ``recurring_holidays`` are ``(month, day)`` pairs closed every year (29 February
    only in leap years).
    """

    name: str
    time_zone: ZoneInfo
    weekly: tuple[tuple[Interval, ...], ...]
    holidays: frozenset[date] = frozenset()
    recurring_holidays: frozenset[tuple[int, int]] = frozenset()
    always_open: bool = field(init=False, default=False)
    _days: dict[date, tuple[tuple[RealInterval, ...], timedelta]] = field(
        init=False, default_factory=dict, repr=False
    )

    def __post_init__(self) -> None:
        if len(self.weekly) != 7:
            raise ValueError("weekly hours need seven days, Monday first")
        weekly = tuple(_merged(day) for day in self.weekly)
        if not any(weekly):
            raise SlaError(SlaErrorCode.NO_HOURS, calendar=self.name)
        object.__setattr__(self, "weekly", weekly)
        full_week = all(day == ((0, DAY_SECONDS),) for day in weekly)
        object.__setattr__(
            self, "always_open", full_week and not self.holidays and not self.recurring_holidays
        )

    def is_holiday(self, day: date) -> bool:
        return day in self.holidays or (day.month, day.day) in self.recurring_holidays

    def intervals_on(self, day: date) -> tuple[RealInterval, ...]:
        """The real (UTC) open intervals of a local date, in order; empty on holidays."""
        return self._day(day)[0]

    def open_time_on(self, day: date) -> timedelta:
        """The real business time of a whole local date."""
        return self._day(day)[1]

    def _day(self, day: date) -> tuple[tuple[RealInterval, ...], timedelta]:
        cached = self._days.get(day)
        if cached is not None:
            return cached
        if self.is_holiday(day):
            intervals: tuple[RealInterval, ...] = ()
        else:
            pairs = (
                (
                    _first_instant(day, opens, self.time_zone),
                    _first_instant(day, closes, self.time_zone),
                )
                for opens, closes in self.weekly[day.weekday()]
            )
            # An interval lying wholly inside a spring-forward gap never happens.
            intervals = tuple((opens, closes) for opens, closes in pairs if opens < closes)
        if len(self._days) >= MAX_CACHED_DAYS:
            self._days.clear()
        entry = (intervals, sum((closes - opens for opens, closes in intervals), timedelta(0)))
        self._days[day] = entry
        return entry


def weekly_calendar(
    name: str,
    time_zone: str | ZoneInfo,
    hours: Mapping[int, Iterable[tuple[time, time]]],
    *,
    holidays: Iterable[date] = (),
    recurring_holidays: Iterable[date] = (),
) -> CalendarSnapshot:
    """A snapshot from ``{weekday: [(opens, closes), …]}`` (0 = Monday), as the models store
    them: a closing time of 00:00 means midnight at the end of the day (24:00)."""
    weekly = tuple(
        tuple(
            (_seconds(opens), _seconds(closes) or DAY_SECONDS)
            for opens, closes in hours.get(weekday, ())
        )
        for weekday in range(7)
    )
    return CalendarSnapshot(
        name=name,
        time_zone=time_zone if isinstance(time_zone, ZoneInfo) else ZoneInfo(time_zone),
        weekly=weekly,
        holidays=frozenset(holidays),
        recurring_holidays=frozenset((day.month, day.day) for day in recurring_holidays),
    )


def always_open_calendar(time_zone: str | ZoneInfo = "UTC") -> CalendarSnapshot:
    """24/7 without holidays: what a store without a business calendar uses."""
    return weekly_calendar(
        "24/7", time_zone, {weekday: [(time(0), time(0))] for weekday in range(7)}
    )


def add_business_time(calendar: CalendarSnapshot, start: datetime, duration: timedelta) -> datetime:
    """The earliest instant by which ``duration`` of business time has passed since ``start``.

    Counting begins at ``start`` if the calendar is open then, else at the next opening; so a
    zero duration gives ``start`` or the next opening. The result is in ``start``'s time zone.
    Raises ``SlaError`` (BEYOND_HORIZON) if the duration is not reached within the horizon.
    """
    _require_aware(start)
    if duration < timedelta(0):
        raise SlaError(SlaErrorCode.NEGATIVE_DURATION)
    begin = start.astimezone(UTC)
    if calendar.always_open:
        return (begin + duration).astimezone(start.tzinfo)
    remaining = duration
    day = _local_date(calendar, begin) - ONE_DAY
    for _ in range(HORIZON_DAYS):
        for opens, closes in calendar.intervals_on(day):
            if closes <= begin:
                continue
            opens = max(opens, begin)
            if remaining <= closes - opens:
                return (opens + remaining).astimezone(start.tzinfo)
            remaining -= closes - opens
        day += ONE_DAY
    raise SlaError(SlaErrorCode.BEYOND_HORIZON, calendar=calendar.name, years=HORIZON_YEARS)


def business_time_between(calendar: CalendarSnapshot, start: datetime, end: datetime) -> timedelta:
    """Business time within ``[start, end)``; zero if ``end`` is not after ``start``.

    Not capped by the horizon: the loop runs over the days between the two instants only.
    """
    _require_aware(start)
    _require_aware(end)
    begin, finish = start.astimezone(UTC), end.astimezone(UTC)
    if finish <= begin:
        return timedelta(0)
    if calendar.always_open:
        return finish - begin
    first, last = _local_date(calendar, begin) - ONE_DAY, _local_date(calendar, finish)
    total = timedelta(0)
    # ``first`` is the day before ``begin``'s, in case an interval of it is still open.
    for day in {first, first + ONE_DAY, last}:
        for opens, closes in calendar.intervals_on(day):
            overlap = min(closes, finish) - max(opens, begin)
            if overlap > timedelta(0):
                total += overlap
    # The days in between lie wholly within the span: their intervals count in full.
    day = first + 2 * ONE_DAY
    while day < last:
        total += calendar.open_time_on(day)
        day += ONE_DAY
    return total


def is_open(calendar: CalendarSnapshot, at: datetime) -> bool:
    """Whether ``at`` lies in an open interval (opening included, closing excluded)."""
    _require_aware(at)
    if calendar.always_open:
        return True
    moment = at.astimezone(UTC)
    day = _local_date(calendar, moment)
    return any(
        opens <= moment < closes
        for check_day in (day - ONE_DAY, day)
        for opens, closes in calendar.intervals_on(check_day)
    )


def next_opening(calendar: CalendarSnapshot, at: datetime) -> datetime:
    """``at`` itself if the calendar is open then, else the start of the next open interval, in
    ``at``'s time zone. Raises ``SlaError`` (BEYOND_HORIZON) if none lies within the horizon."""
    _require_aware(at)
    if is_open(calendar, at):
        return at
    moment = at.astimezone(UTC)
    day = _local_date(calendar, moment) - ONE_DAY
    for _ in range(HORIZON_DAYS):
        for opens, closes in calendar.intervals_on(day):
            if closes > moment:  # closed at ``moment``, so this interval opens after it
                return opens.astimezone(at.tzinfo)
        day += ONE_DAY
    raise SlaError(SlaErrorCode.BEYOND_HORIZON, calendar=calendar.name, years=HORIZON_YEARS)


def _merged(intervals: Iterable[Interval]) -> tuple[Interval, ...]:
    merged: list[Interval] = []
    for opens, closes in sorted(intervals):
        if not 0 <= opens < closes <= DAY_SECONDS:
            raise ValueError(f"invalid business hours interval {opens}–{closes} s")
        if merged and opens <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], closes))
        else:
            merged.append((opens, closes))
    return tuple(merged)


def _seconds(moment: time) -> int:
    return moment.hour * 3600 + moment.minute * 60 + moment.second


def _local_date(calendar: CalendarSnapshot, moment: datetime) -> date:
    return moment.astimezone(calendar.time_zone).date()


def _first_instant(day: date, second: int, zone: ZoneInfo) -> datetime:
    """The first instant (UTC) at which the local clock reads ``second`` after the midnight that
    starts ``day``, or later; ``DAY_SECONDS`` is the next midnight."""
    wall = datetime.combine(day, time()) + timedelta(seconds=second)
    # fold=0 is the first of two readings when the clocks go back.
    first = wall.replace(tzinfo=zone).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == wall:
        return first
    # ``wall`` falls in a gap: the clock first reads it or later when it jumps, which lies between
    # the two instants ``wall`` would be with the offsets before and after the jump.
    other = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    low, high = sorted((int(first.timestamp()), int(other.timestamp())))
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, zone).replace(tzinfo=None) >= wall:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)


def _require_aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise SlaError(SlaErrorCode.NAIVE_DATETIME)
