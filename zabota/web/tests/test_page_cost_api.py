"""What ``GET /api/v1/tickets`` costs, and that its shortcuts change nothing it answers: the list
built without pydantic says what the schema says, and a remembered token is still a token."""

import time
from unittest import mock

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from zabota.accounts.actions import do_create_api_token, do_revoke_api_token
from zabota.accounts.models import ApiToken, User, hash_token
from zabota.api.auth import TOKEN_CACHE_SECONDS
from zabota.api.schemas.tickets import TicketList, TicketOut
from zabota.tickets.actions import (
    check_assign,
    check_change_priority,
    check_change_status,
    check_change_tags,
    do_create_ticket,
    get_or_create_tag,
)


@pytest.fixture(autouse=True)
def _empty_cache():
    """Tokens and rate limits are remembered in the process's memory: start from nothing."""
    cache.clear()
    yield
    cache.clear()


def _api(user: User) -> tuple[Client, str]:
    token = do_create_api_token(user, name="tests", actor=user)
    return Client(headers={"Authorization": f"Bearer {token}"}), token


def test_list_items_are_what_the_ticket_schema_gives(world):
    """Every listed ticket equals ``GET /api/v1/tickets/<id>`` of it (which goes through the
    ``TicketOut`` schema), whatever it carries: tags, an assignee, no group, a closed status."""
    # given
    tags = [get_or_create_tag(world.store, "vip"), get_or_create_tag(world.store, "damaged")]
    check_change_tags(world.maria_ticket, add=tags, actor=world.lena)
    check_assign(world.maria_ticket, assignee=world.anna, group=world.support, actor=world.lena)
    check_change_priority(world.maria_ticket, priority=40, actor=world.lena)
    check_change_status(world.ivan_ticket, status="pending", actor=world.lena)
    orphan = do_create_ticket(
        store=world.store, customer=world.ivan, subject="No group", body_text="?", actor=None
    )
    check_assign(orphan, assignee=None, group=None, actor=world.ada)
    closed = do_create_ticket(
        store=world.store,
        customer=world.maria,
        subject="Parcel again",
        body_text="?",
        group=world.support,
        actor=None,
    )
    check_change_status(closed, status="closed", actor=world.lena)
    client, _token = _api(world.ada)
    # when
    body = client.get("/api/v1/tickets", {"view": "all"}).json()
    # then
    assert set(body) == set(TicketList.model_fields)
    assert all(list(item) == list(TicketOut.model_fields) for item in body["items"])
    listed = {item["id"]: item for item in body["items"]}
    assert set(listed) == {world.maria_ticket.pk, world.ivan_ticket.pk, orphan.pk, closed.pk}
    for pk, item in listed.items():
        assert item == client.get(f"/api/v1/tickets/{pk}").json()
    assert listed[world.maria_ticket.pk]["tags"] == ["damaged", "vip"]
    assert listed[closed.pk]["status"] == "closed"
    assert listed[orphan.pk]["group"] is None and listed[orphan.pk]["assignee"] is None
    assert listed[world.maria_ticket.pk]["assignee"] == {"id": world.anna.pk, "name": "Anna Agent"}


def test_a_token_is_remembered_without_its_user_password(world):
    """The cache holds the user under the token's hash, never the token, and without the
    password hash."""
    # given
    client, token = _api(world.anna)
    # when
    assert client.get("/api/v1/tickets").status_code == 200
    # then
    cached = cache.get(f"zabota:api-token:{hash_token(token)}")
    assert cached.pk == world.anna.pk
    assert "password" in cached.get_deferred_fields()
    assert not any(token in str(key) for key in cache._cache)  # type: ignore[attr-defined]


def test_a_revoked_token_stops_working_once_the_cache_window_is_over(world):
    """Revoking takes effect on the API within ``TOKEN_CACHE_SECONDS`` (the documented price of
    not looking the token up on every request); an unknown token is never remembered."""
    # given
    client, _token = _api(world.anna)
    assert client.get("/api/v1/tickets").status_code == 200
    do_revoke_api_token(ApiToken.objects.get(user=world.anna), actor=world.anna)
    # when
    within = client.get("/api/v1/tickets").status_code
    later = time.time() + TOKEN_CACHE_SECONDS + 1
    with mock.patch("time.time", return_value=later):
        after = client.get("/api/v1/tickets").status_code
    # then
    assert within == 200
    assert after == 401


def test_list_query_budget_with_a_remembered_token(world):
    """With the token remembered, the list costs the lead's groups and stores, the tickets and
    their tags, for 3 tickets as for 40."""
    # given
    client, _token = _api(world.lena)
    tag = get_or_create_tag(world.store, "vip")
    for i in range(38):
        ticket = do_create_ticket(
            store=world.store,
            customer=world.maria,
            subject=f"Bulk {i}",
            body_text="?",
            group=world.support,
            actor=None,
        )
        check_change_tags(ticket, add=[tag], actor=world.lena)
    assert client.get("/api/v1/tickets", {"limit": 100}).status_code == 200
    # when
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/api/v1/tickets", {"limit": 100})
    # then
    assert len(response.json()["items"]) == 40
    assert len(captured.captured_queries) == 5, [q["sql"] for q in captured.captured_queries]
