"""Callback fixtures: the demo store's office hours (Europe/Warsaw, Monday–Friday 09:00–17:00)
and its callback SLA policy ("call within 15 minutes" of business time).

UTC times in the tests: CET is UTC+1 in November 2026, so 09:00 local is 08:00 UTC.
"""

from datetime import UTC, datetime, time, timedelta

import pytest

from zabota.sla.constants import Weekday
from zabota.sla.models import BusinessCalendar, SlaPolicy, WeeklyHours


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def office(world) -> BusinessCalendar:
    calendar = BusinessCalendar.objects.create(store=world.store, name="Office", is_default=True)
    for weekday in range(Weekday.FRIDAY + 1):
        WeeklyHours.objects.create(
            calendar=calendar, weekday=weekday, opens=time(9), closes=time(17)
        )
    return calendar


@pytest.fixture
def callback_policy(world, office) -> SlaPolicy:
    return SlaPolicy.objects.create(
        store=world.store,
        name="Callbacks: 15 minutes",
        position=0,
        channels=["callback"],
        first_reply_within=timedelta(minutes=15),
        calendar=office,
    )


@pytest.fixture
def capture(django_capture_on_commit_callbacks):
    """Run an action with its after-commit listeners (SLA clock, routing, rules)."""

    def run(action, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return action(*args, **kwargs)

    return run
