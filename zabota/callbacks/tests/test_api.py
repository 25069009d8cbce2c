"""REST: POST /api/v1/callbacks queues a call, GET lists the queue by state, POST …/calls
records a call."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from zabota.api.tests.conftest import api_as  # noqa: F401 - fixture
from zabota.callbacks.actions import do_request_callback
from zabota.callbacks.models import CallbackRequest
from zabota.tickets.constants import Channel

pytestmark = pytest.mark.django_db

URL = "/api/v1/callbacks"


def test_an_agent_requests_a_callback_for_a_customer(world, api_as):  # noqa: F811
    # when
    start = (timezone.now() + timedelta(days=1)).replace(microsecond=0)
    response = api_as(world.anna).post(
        URL,
        {
            "store": "demo",
            "phone": "+48 601 234 567",
            "name": "Zofia",
            "topic": "Parcel locker",
            "window_start": start.isoformat(),
            "window_end": (start + timedelta(hours=2)).isoformat(),
        },
        content_type="application/json",
    )
    # then
    assert response.status_code == 201, response.content
    data = response.json()
    callback = CallbackRequest.objects.get()
    assert data["id"] == callback.pk
    assert data["phone"] == "+48601234567"
    assert data["state"] == "waiting"
    assert data["store"] == "demo"
    assert datetime.fromisoformat(data["due_at"]) == start
    assert callback.ticket.channel == Channel.CALLBACK
    assert data["ticket"] == callback.ticket_id


def test_bad_input_answers_400_with_a_message_per_field(world, api_as):  # noqa: F811
    response = api_as(world.anna).post(
        URL,
        {"phone": "601 234 567", "email": "nope"},
        content_type="application/json",
    )
    assert response.status_code == 400
    data = response.json()
    assert data["code"] == "invalid_callback"
    assert "phone" in data["fields"]
    assert not CallbackRequest.objects.exists()


def test_the_api_needs_a_token(world, client):
    response = client.post(URL, {"phone": "+48601234567"}, content_type="application/json")
    assert response.status_code == 401
    assert not CallbackRequest.objects.exists()


def test_the_list_filters_by_state_and_hides_invisible_callbacks(world, api_as):  # noqa: F811
    # given
    support = do_request_callback(world.store, phone="+48601234567")
    done = do_request_callback(world.store, phone="+48601234568")
    api_as(world.anna).post(
        f"{URL}/{done.pk}/calls", {"outcome": "reached"}, content_type="application/json"
    )
    # when
    waiting = api_as(world.anna).get(URL, {"state": "waiting"}).json()
    everything = api_as(world.anna).get(URL).json()
    piotr = api_as(world.piotr).get(URL).json()
    # then
    assert [item["id"] for item in waiting["items"]] == [support.pk]
    assert {item["id"] for item in everything["items"]} == {support.pk, done.pk}
    assert piotr["items"] == []


def test_recording_a_call_schedules_the_retry(world, api_as):  # noqa: F811
    callback = do_request_callback(world.store, phone="+48601234567")
    response = api_as(world.anna).post(
        f"{URL}/{callback.pk}/calls",
        {"outcome": "no_answer", "note": "Voicemail."},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["state"] == "retry_scheduled"
    assert data["attempts"] == 1
    assert data["next_attempt_at"]
    assert data["calls"][0]["outcome"] == "no_answer"
    assert data["calls"][0]["agent"]["name"] == "Anna Agent"
    # A finished callback refuses the next call.
    api_as(world.anna).post(
        f"{URL}/{callback.pk}/calls", {"outcome": "reached"}, content_type="application/json"
    )
    again = api_as(world.anna).post(
        f"{URL}/{callback.pk}/calls", {"outcome": "reached"}, content_type="application/json"
    )
    assert again.status_code == 400 and again.json()["code"] == "invalid_callback"


def test_an_agent_cannot_touch_a_callback_they_cannot_see(world, api_as):  # noqa: F811
    callback = do_request_callback(world.store, phone="+48601234567")
    client = api_as(world.piotr)
    assert client.get(f"{URL}/{callback.pk}").status_code == 404
    response = client.post(
        f"{URL}/{callback.pk}/calls", {"outcome": "reached"}, content_type="application/json"
    )
    assert response.status_code == 404
    callback.refresh_from_db()
    assert callback.attempts == 0
