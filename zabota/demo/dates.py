"""Important dates of demo customers: birthdays (a few of them coming up soon, so that the
upcoming-dates list has something to show) and, for Polish and Hungarian customers, name days,
which are celebrated there much like birthdays."""

import random
from datetime import date, timedelta

from zabota.customers.actions import do_add_important_date
from zabota.customers.models import Customer, ImportantDate
from zabota.demo.names import Person

BIRTHDAY_SHARE = 0.3
# Share of birthdays given with the year.
YEAR_SHARE = 0.55
NAME_DAY_SHARE = 0.2
# Birthdays placed within the next weeks: one in this many customers, at least MIN_UPCOMING.
UPCOMING_EVERY = 40
MIN_UPCOMING = 3

# (month, day) of the best-known name days.
NAME_DAYS: dict[str, dict[str, tuple[int, int]]] = {
    "pl": {
        "Anna": (7, 26), "Katarzyna": (11, 25), "Agnieszka": (1, 21), "Magdalena": (7, 22),
        "Ewa": (12, 24), "Piotr": (6, 29), "Jan": (6, 24), "Michał": (9, 29),
        "Marek": (4, 25), "Krzysztof": (7, 25), "Tomasz": (12, 21), "Paweł": (6, 29),
    },
    "hu": {
        "Anna": (7, 26), "Katalin": (11, 25), "Zsófia": (5, 15), "Erzsébet": (11, 19),
        "Ágnes": (1, 21), "István": (8, 20), "László": (6, 27), "Péter": (6, 29),
    },
}  # fmt: skip


def _day_of_year(rng: random.Random) -> tuple[int, int]:
    # A year without 29 February, so that every date comes back every year.
    day = date(2001, 1, 1) + timedelta(days=rng.randrange(365))
    return day.month, day.day


def add_important_dates(
    rng: random.Random, customers: list[Customer], people: list[Person], *, today: date
) -> int:
    """Birthdays for about a third of the customers, some of them within the next four weeks;
    name days for some Polish and Hungarian ones. Returns how many dates were added."""
    order = list(range(len(customers)))
    rng.shuffle(order)
    upcoming = set(order[: max(MIN_UPCOMING, len(customers) // UPCOMING_EVERY)])
    added = 0
    for i, (customer, person) in enumerate(zip(customers, people, strict=True)):
        if i in upcoming:
            soon = today + timedelta(days=rng.randint(2, 28))
            month, day = soon.month, min(soon.day, 28) if soon.month == 2 else soon.day
        elif rng.random() < BIRTHDAY_SHARE:
            month, day = _day_of_year(rng)
        else:
            month = 0
        if month:
            year = rng.randint(1958, 2003) if rng.random() < YEAR_SHARE else None
            do_add_important_date(
                customer,
                kind=ImportantDate.Kind.BIRTHDAY,
                month=month,
                day=day,
                year=year,
                actor=None,
            )
            added += 1
        name_day = NAME_DAYS.get(person.language, {}).get(person.first_name)
        if name_day and rng.random() < NAME_DAY_SHARE:
            do_add_important_date(
                customer,
                kind=ImportantDate.Kind.NAME_DAY,
                month=name_day[0],
                day=name_day[1],
                actor=None,
            )
            added += 1
    return added
