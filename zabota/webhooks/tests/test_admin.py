"""Admins create subscriptions (the secret is shown once), send test events and read and retry
deliveries in the log."""

import pytest

from zabota.conftest import PASSWORD
from zabota.webhooks.constants import DeliveryStatus
from zabota.webhooks.models import Delivery, Subscription

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada_client(world, client):
    client.login(email=world.ada.email, password=PASSWORD)
    return client


def test_admin_creates_a_subscription_and_sees_its_secret_once(world, ada_client, receiver):
    # given
    data = {
        "name": "Shop backend",
        "store": str(world.store.pk),
        "url": receiver.url,
        "event_types": ["ticket.created", "order.created"],
        "is_active": "on",
        "allow_private_network": "on",
    }
    # when
    assert ada_client.get("/admin/webhooks/subscription/add/").status_code == 200
    response = ada_client.post("/admin/webhooks/subscription/add/", data)
    # then
    assert response.status_code == 200, response.content.decode()[:2000]
    subscription = Subscription.objects.get()
    assert subscription.created_by == world.ada
    assert subscription.event_types == ["ticket.created", "order.created"]
    assert len(subscription.secret) >= 40
    assert subscription.secret in response.content.decode()
    change = ada_client.get(f"/admin/webhooks/subscription/{subscription.pk}/change/")
    assert change.status_code == 200
    assert subscription.secret not in change.content.decode()


def test_admin_gets_a_clear_message_for_a_private_url(world, ada_client):
    data = {"name": "Intranet", "url": "http://127.0.0.1:9/", "event_types": ["*"]}
    response = ada_client.post("/admin/webhooks/subscription/add/", data)
    assert response.status_code == 200
    assert "Refused: 127.0.0.1 is a loopback address." in response.content.decode()
    assert not Subscription.objects.exists()


def test_admin_sends_a_test_event(
    world, ada_client, receiver, subscription, django_capture_on_commit_callbacks
):
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = ada_client.post(
            "/admin/webhooks/subscription/",
            {"action": "send_test_event", "_selected_action": [str(subscription.pk)]},
        )
    # then
    assert response.status_code == 302
    [request] = receiver.requests
    assert request.headers["X-Zabota-Event"] == "webhook.test"
    assert Delivery.objects.get().status == DeliveryStatus.SUCCEEDED


def test_admin_rotates_a_secret_and_sees_the_new_one_once(world, ada_client, subscription):
    old = subscription.secret
    response = ada_client.post(
        "/admin/webhooks/subscription/",
        {"action": "rotate_secret", "_selected_action": [str(subscription.pk)]},
    )
    subscription.refresh_from_db()
    assert subscription.secret != old
    assert subscription.secret in response.content.decode()


def test_admin_filters_the_delivery_log_reads_a_delivery_and_retries_it(
    world, ada_client, receiver, subscription, django_capture_on_commit_callbacks
):
    # given a delivery that failed for good
    failed = Delivery.objects.create(
        subscription=subscription,
        event_type="webhook.test",
        payload={"id": None, "type": "webhook.test", "data": {"note": "<b>x</b>"}},
        status=DeliveryStatus.FAILED,
        attempts=8,
        response_status=500,
        response_excerpt="upstream exploded",
        error="HTTP 500",
    )
    # when
    listing = ada_client.get("/admin/webhooks/delivery/", {"status__exact": "failed"})
    detail = ada_client.get(f"/admin/webhooks/delivery/{failed.pk}/change/")
    # then
    assert listing.status_code == 200
    assert f"/admin/webhooks/delivery/{failed.pk}/change/" in listing.content.decode()
    page = detail.content.decode()
    assert detail.status_code == 200
    assert "upstream exploded" in page
    assert "&lt;b&gt;x&lt;/b&gt;" in page  # the request body, escaped
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = ada_client.post(
            "/admin/webhooks/delivery/",
            {"action": "retry", "_selected_action": [str(failed.pk)]},
        )
    # then
    assert response.status_code == 302
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == (DeliveryStatus.SUCCEEDED, 1)
    assert len(receiver.requests) == 1


def test_agents_cannot_open_the_webhook_admin(world, client):
    client.login(email=world.anna.email, password=PASSWORD)
    response = client.get("/admin/webhooks/subscription/")
    assert response.status_code == 302
