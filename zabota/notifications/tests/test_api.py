"""GET /api/v1/notifications and POST /api/v1/notifications/read, for the token's user only."""

import pytest
from django.test import Client

from zabota.accounts.actions import do_create_api_token
from zabota.notifications.actions import do_notify
from zabota.notifications.constants import Kind
from zabota.notifications.models import Notification
from zabota.notifications.queries import unread_count

pytestmark = pytest.mark.django_db


def _api(user) -> Client:
    token = do_create_api_token(user, name="tests", actor=user)
    return Client(headers={"Authorization": f"Bearer {token}"})


def _notify(world, users, key):
    do_notify(users, ticket=world.maria_ticket, kind=Kind.RULE, title=key, dedupe_key=key)


def test_list_gives_the_unread_ones_of_the_token_user(world):
    # given
    _notify(world, [world.anna, world.piotr], "first")
    _notify(world, [world.anna], "second")
    Notification.objects.filter(recipient=world.anna, dedupe_key="first").update(
        read_at="2026-01-01T00:00:00Z"
    )
    # when
    response = _api(world.anna).get("/api/v1/notifications")
    # then
    assert response.status_code == 200
    body = response.json()
    assert body["unread"] == 1
    assert [item["title"] for item in body["items"]] == ["second"]
    assert body["items"][0]["ticket_id"] == world.maria_ticket.pk
    everything = _api(world.anna).get("/api/v1/notifications?include_read=true").json()
    assert [item["title"] for item in everything["items"]] == ["second", "first"]


def test_mark_read_by_ids_ignores_others(world):
    # given
    _notify(world, [world.anna, world.piotr], "first")
    piotr_id = Notification.objects.get(recipient=world.piotr).pk
    anna_id = Notification.objects.get(recipient=world.anna).pk
    # when
    response = _api(world.anna).post(
        "/api/v1/notifications/read", {"ids": [anna_id, piotr_id]}, content_type="application/json"
    )
    # then
    assert response.status_code == 200
    assert response.json() == {"marked": 1, "unread": 0}
    assert unread_count(world.piotr) == 1


def test_mark_all_read(world):
    _notify(world, [world.lena], "a")
    _notify(world, [world.lena], "b")
    response = _api(world.lena).post(
        "/api/v1/notifications/read", {"all": True}, content_type="application/json"
    )
    assert response.json() == {"marked": 2, "unread": 0}


def test_no_token_no_notifications(world):
    assert Client().get("/api/v1/notifications").status_code == 401
