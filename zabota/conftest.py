"""Shared personas for tests, built through the real actions.

The demo-like world: store "demo" with two groups —
- "Support": lead Lena, agent Anna (members see unassigned tickets);
- "Returns": lead Lena too, agent Piotr (only the lead sees unassigned tickets);
admin Ada sees everything; customer Maria writes to Support, customer Ivan to Returns.
"""

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.test import override_settings

from zabota.accounts.constants import Role
from zabota.accounts.models import Group, User
from zabota.commerce.models import Store
from zabota.core import events
from zabota.customers.actions import do_create_customer
from zabota.customers.models import Customer
from zabota.surveys import public_cache
from zabota.tickets.actions import do_create_ticket
from zabota.tickets.models import Ticket

PLAIN_STATIC = "django.contrib.staticfiles.storage.StaticFilesStorage"
IMMEDIATE_TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(scope="session", autouse=True)
def _close_connection_pools(django_db_setup):
    """On PostgreSQL the settings give each process a connection pool, which keeps connections
    (also those a test's threads borrowed) open after Django "closes" them; the test database
    can only be dropped once the pool is gone, so close it before pytest-django drops it."""
    yield
    for connection in connections.all(initialized_only=True):
        if connection.vendor == "postgresql":
            connection.close()
            connection.close_pool()  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def _immediate_tasks():
    """Tasks run inline in tests unless a test asks for a real backend; fast password hashing;
    a dispatch takes no other waiting events along."""
    with override_settings(
        TASKS=IMMEDIATE_TASKS,
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        # Tests render templates without running collectstatic first.
        STORAGES={**settings.STORAGES, "staticfiles": {"BACKEND": PLAIN_STATIC}},
        # A dispatch delivers only its own events: tests leave events undispatched on purpose
        # (the fixtures' own, those of a "crashed" dispatch). Taking others along is tested
        # in core/tests/test_dispatch_take_along.py.
        ZABOTA_DISPATCH_TAKE_ALONG=0,
    ):
        # Cached counts and rows are keyed by ids that the next test reuses after its rollback;
        # so is the dispatcher's memory of the events it took.
        cache.clear()
        events._taken.clear()
        public_cache.clear()
        yield


@dataclass
class World:
    store: Store
    support: Group
    returns: Group
    ada: User  # admin
    lena: User  # lead of both groups
    anna: User  # agent in Support
    piotr: User  # agent in Returns
    maria: Customer
    ivan: Customer
    maria_ticket: Ticket  # Support, unassigned
    ivan_ticket: Ticket  # Returns, unassigned

    def password(self) -> str:
        return "correct horse battery"


PASSWORD = "correct horse battery"  # noqa: S105 - test-only credential


def make_user(email: str, name: str, role: str = Role.AGENT) -> User:
    return User.objects.create_user(email, PASSWORD, name=name, role=role, languages=["en"])


@pytest.fixture
def world(db) -> World:
    ada = make_user("ada@example.com", "Ada Admin", Role.ADMIN)
    lena = make_user("lena@example.com", "Lena Lead", Role.LEAD)
    anna = make_user("anna@example.com", "Anna Agent")
    piotr = make_user("piotr@example.com", "Piotr Nowak")
    store = Store.objects.create(slug="demo", name="Demo Store", email="support@store.example")
    support = Group.objects.create(store=store, name="Support", lead=lena)
    support.members.add(anna)
    returns = Group.objects.create(
        store=store, name="Returns", lead=lena, members_see_unassigned=False
    )
    returns.members.add(piotr)
    store.default_group = support
    store.save()
    maria = do_create_customer(
        first_name="Maria",
        last_name="Kowalska",
        identities=[("email", "maria@example.pl")],
        actor=None,
    )
    ivan = do_create_customer(
        first_name="Ivan", last_name="Petrov", identities=[("email", "ivan@example.ru")], actor=None
    )
    maria_ticket = do_create_ticket(
        store=store,
        customer=maria,
        subject="Where is my parcel?",
        body_text="Ordered a week ago.",
        actor=None,
    )
    ivan_ticket = do_create_ticket(
        store=store,
        customer=ivan,
        subject="Return of a jacket",
        body_text="The jacket is too small.",
        group=returns,
        actor=None,
    )
    return World(
        store, support, returns, ada, lena, anna, piotr, maria, ivan, maria_ticket, ivan_ticket
    )


# The one Playwright per test process, for every app's browser tests (page fixtures and helpers:
# zabota/web/tests/conftest.py). A second sync Playwright in the same process fails ("Sync API
# inside the asyncio loop"), so no test module may start its own.
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is required for browser tests (make system-deps)")
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls made by
    # the test itself are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()
