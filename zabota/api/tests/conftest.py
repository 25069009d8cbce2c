"""API test helpers: a client that sends a real token of a given persona."""

from collections.abc import Callable

import pytest
from django.core.cache import cache
from django.test import Client, override_settings

from zabota.accounts.actions import do_create_api_token
from zabota.accounts.models import User

# The personas' passwords are hashed once per test; the slow production hasher buys nothing here.
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fast_password_hashing():
    with override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        yield


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Rate-limit counters live in the cache; each test starts with none."""
    cache.clear()


ApiClient = Callable[[User], Client]


@pytest.fixture
def api_as() -> ApiClient:
    """``api_as(user)``: a test client whose requests carry a fresh API token of ``user``."""

    def make(user: User) -> Client:
        token = do_create_api_token(user, name="tests", actor=user)
        return Client(headers={"Authorization": f"Bearer {token}"})

    return make


def make_ticket(world, *, customer=None, group=None, subject="Question", **fields):
    """A customer's ticket in the demo store, opened through the real action."""
    from zabota.tickets.actions import do_create_ticket

    return do_create_ticket(
        store=world.store,
        customer=customer or world.maria,
        subject=subject,
        body_text=f"{subject}?",
        group=group or world.support,
        actor=None,
        **fields,
    )
