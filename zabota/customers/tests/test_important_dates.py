"""Important dates: validation, audit rows, who may reach them, and the upcoming-dates list
across month and year boundaries."""

from datetime import date

import pytest

from zabota.customers.access import access_important_date_by_id
from zabota.customers.actions import (
    check_add_important_date,
    do_add_important_date,
    do_delete_important_date,
)
from zabota.customers.error_codes import CustomerError, CustomerErrorCode
from zabota.customers.models import CustomerEvent, ImportantDate
from zabota.customers.queries import customer_dates, next_occurrence, upcoming_dates

pytestmark = pytest.mark.django_db

BIRTHDAY = ImportantDate.Kind.BIRTHDAY


@pytest.mark.parametrize(
    ("day", "month", "year"),
    [(31, 2, None), (30, 2, None), (31, 4, None), (29, 2, 2023), (0, 5, None), (1, 13, None)],
    ids=["31.02", "30.02", "31.04", "29.02.2023", "0.05", "1.13"],
)
def test_days_that_no_calendar_has_are_refused(world, day, month, year):
    """31 February, 31 April, 29 February of a common year: refused, nothing stored."""
    # when
    with pytest.raises(CustomerError) as caught:
        check_add_important_date(
            world.maria, kind=BIRTHDAY, day=day, month=month, year=year, actor=world.anna
        )
    # then
    assert caught.value.code == CustomerErrorCode.INVALID_DATE
    assert not ImportantDate.objects.exists()


@pytest.mark.parametrize("year", [None, 2024])
def test_29_february_is_allowed_without_a_year_and_in_a_leap_year(world, year):
    # when
    item = check_add_important_date(
        world.maria, kind=BIRTHDAY, day=29, month=2, year=year, actor=world.anna
    )
    # then
    assert (item.day, item.month, item.year) == (29, 2, year)


def test_a_year_before_1900_or_in_the_future_is_refused(world):
    # when / then
    for year in (1899, date.today().year + 1):
        with pytest.raises(CustomerError):
            check_add_important_date(
                world.maria, kind=BIRTHDAY, day=1, month=1, year=year, actor=world.anna
            )


def test_adding_and_removing_write_audit_rows(world):
    """Each change leaves a CustomerEvent naming the agent and the date."""
    # when
    item = check_add_important_date(
        world.maria, kind=BIRTHDAY, label="", day=14, month=3, year=1988, actor=world.anna
    )
    do_delete_important_date(item, actor=world.lena)
    # then
    events = list(
        CustomerEvent.objects.filter(customer=world.maria, kind__startswith="date_")
        .order_by("id")
        .values_list("kind", "actor_id", "data")
    )
    assert [(kind, actor) for kind, actor, _data in events] == [
        ("date_added", world.anna.pk),
        ("date_removed", world.lena.pk),
    ]
    assert events[0][2]["day"] == 14 and events[0][2]["year"] == 1988
    assert not ImportantDate.objects.exists()


@pytest.mark.parametrize(
    ("persona", "maria", "ivan"),
    [("ada", True, True), ("lena", True, True), ("anna", True, False), ("piotr", False, False)],
)
def test_dates_are_reached_through_the_customer_visibility(world, persona, maria, ivan):
    """Anna sees Maria (Support ticket) but not Ivan (Returns); Piotr sees neither, as Returns
    hides unassigned tickets from its members."""
    # given
    dates = {
        "maria": do_add_important_date(world.maria, kind=BIRTHDAY, month=3, day=1, actor=None),
        "ivan": do_add_important_date(world.ivan, kind=BIRTHDAY, month=3, day=2, actor=None),
    }
    user = getattr(world, persona)
    # when
    reachable = {}
    for name, item in dates.items():
        try:
            reachable[name] = access_important_date_by_id(user, item.pk).pk == item.pk
        except CustomerError:
            reachable[name] = False
    # then
    assert reachable == {"maria": maria, "ivan": ivan}
    listed = {o.date.customer_id for o in upcoming_dates(user, start=date(2026, 2, 20), days=30)}
    assert (world.maria.pk in listed, world.ivan.pk in listed) == (maria, ivan)


def test_upcoming_dates_run_across_the_turn_of_the_year(world):
    """From 20 December, 30 days reach 19 January: Ivan's 5 January comes after Maria's
    28 December, with her age; 25 January is outside, and so is last week's date."""
    # given
    do_add_important_date(world.maria, kind=BIRTHDAY, month=12, day=28, year=1990, actor=None)
    do_add_important_date(world.ivan, kind=BIRTHDAY, month=1, day=5, actor=None)
    do_add_important_date(world.ivan, kind="name_day", month=1, day=25, actor=None)
    do_add_important_date(world.maria, kind="anniversary", month=12, day=13, actor=None)
    # when
    found = upcoming_dates(world.lena, start=date(2026, 12, 20), days=30)
    # then
    assert [(o.date.customer.name, o.on, o.days, o.years) for o in found] == [
        ("Maria Kowalska", date(2026, 12, 28), 8, 36),
        ("Ivan Petrov", date(2027, 1, 5), 16, None),
    ]


def test_29_february_comes_round_on_28_february_in_common_years(world):
    # given
    do_add_important_date(world.maria, kind=BIRTHDAY, month=2, day=29, year=2000, actor=None)
    # when
    found = upcoming_dates(world.lena, start=date(2027, 2, 20), days=8)
    # then
    assert [(o.on, o.years) for o in found] == [(date(2027, 2, 28), 27)]
    assert next_occurrence(2, 29, date(2028, 2, 1)) == date(2028, 2, 29)


def test_a_customers_dates_in_the_order_they_come_round(world):
    # given
    do_add_important_date(world.maria, kind=BIRTHDAY, month=1, day=10, actor=None)
    do_add_important_date(world.maria, kind="name_day", month=7, day=26, actor=None)
    # when
    dates = customer_dates(world.maria.pk, today=date(2026, 6, 1))
    # then
    assert [(o.on, o.days) for o in dates] == [(date(2026, 7, 26), 55), (date(2027, 1, 10), 223)]
