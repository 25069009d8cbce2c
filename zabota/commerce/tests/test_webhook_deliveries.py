"""Stored webhook deliveries after the request: the retry sweep (backoff, lost and overtaken
deliveries, the dead-letter state) and the admin's list, body view and "Process again"."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from zabota.commerce import shopify, webhooks
from zabota.commerce.constants import DeliveryStatus, Source
from zabota.commerce.models import Order, WebhookDelivery
from zabota.commerce.sync import do_upsert_order
from zabota.commerce.tests.webhook_support import SHOPIFY_SECRET, recorded

pytestmark = pytest.mark.django_db

SEQUENCE = recorded("shopify")
BY_FILE = {d.file: d for d in SEQUENCE}
CREATE_1001 = BY_FILE["01-orders-create-1001.json"]
REFUND_1002 = BY_FILE["12-refunds-create-6101000002.json"]
CREATE_1002 = BY_FILE["08-orders-create-1002.json"]


@pytest.fixture
def store(world):
    world.store.shopify_secret = SHOPIFY_SECRET
    world.store.save()
    return world.store


def stored(store, recorded_delivery, **fields) -> WebhookDelivery:
    """A delivery as the endpoint stores it, before processing."""
    return WebhookDelivery.objects.create(
        store=store,
        source=Source.SHOPIFY,
        topic=recorded_delivery.topic,
        body=recorded_delivery.body,
        **fields,
    )


def test_a_delivery_left_received_by_a_crash_is_processed_by_the_sweep(store):
    """Received more than five minutes ago and never processed: the sweep picks it up; a
    fresh one is left to the request still working on it."""
    # given
    lost = stored(store, CREATE_1001, created_at=timezone.now() - timedelta(minutes=6))
    fresh = stored(store, CREATE_1002)
    # when
    tried = webhooks.retry_failed_deliveries()
    # then
    assert tried == 1
    lost.refresh_from_db()
    fresh.refresh_from_db()
    assert (lost.status, lost.attempts) == (DeliveryStatus.PROCESSED, 1)
    assert fresh.status == DeliveryStatus.RECEIVED
    assert Order.objects.filter(external_id="6101000001").exists()


def test_a_waiting_delivery_overtaken_by_its_order_is_processed_by_the_sweep(store):
    """Two concurrent requests: the order committed after the refund looked for it, so nobody
    released the refund. The sweep sees that its order is there now."""
    # given
    webhooks.receive_delivery(store, Source.SHOPIFY, REFUND_1002.topic, REFUND_1002.body)
    waiting = WebhookDelivery.objects.get()
    assert waiting.status == DeliveryStatus.WAITING
    # the order arrives by another path that does not release waiting deliveries
    do_upsert_order(store, shopify.order_data(json.loads(CREATE_1002.body)))
    # when
    assert webhooks.retry_failed_deliveries() == 1
    # then
    waiting.refresh_from_db()
    assert waiting.status == DeliveryStatus.PROCESSED
    assert Order.objects.get(external_id="6101000002").refunded_amount == 79


def test_retries_back_off_and_stop_after_the_last_attempt(store):
    """1, 2, 4 … minutes after each failure; after MAX_ATTEMPTS the delivery stays failed for
    an admin (dead letter) and the sweep no longer touches it."""
    now = timezone.now()
    assert [webhooks.retry_delay(n) for n in (1, 2, 3, 7, 8)] == [
        timedelta(minutes=m) for m in (1, 2, 4, 60, 60)
    ]
    # given
    due = stored(store, CREATE_1001, status=DeliveryStatus.FAILED, attempts=3)
    exhausted = stored(
        store, CREATE_1002, status=DeliveryStatus.FAILED, attempts=webhooks.MAX_ATTEMPTS
    )
    WebhookDelivery.objects.update(updated_at=now - timedelta(minutes=3))
    # when: 3 minutes after the third failure, whose backoff is 4 minutes
    assert webhooks.retry_failed_deliveries(now=now) == 0
    # when: a day later
    assert webhooks.retry_failed_deliveries(now=now + timedelta(days=1)) == 1
    # then
    due.refresh_from_db()
    exhausted.refresh_from_db()
    assert (due.status, due.attempts) == (DeliveryStatus.PROCESSED, 4)
    assert (exhausted.status, exhausted.attempts) == (DeliveryStatus.FAILED, webhooks.MAX_ATTEMPTS)


def test_processed_and_ignored_deliveries_are_not_processed_again(store):
    """Processing is idempotent per delivery: only an admin's "Process again" repeats it."""
    # given
    delivery = stored(store, CREATE_1001)
    webhooks.process_delivery(delivery.pk)
    # when
    again = webhooks.process_delivery(delivery.pk)
    forced = webhooks.process_delivery(delivery.pk, again=True)
    # then
    assert again.attempts == 1
    assert (forced.status, forced.attempts) == (DeliveryStatus.PROCESSED, 2)


def test_a_stored_body_that_no_longer_parses_fails_with_the_reason(store):
    """A body stored by an older version that does not map (missing total): failed, reason kept."""
    delivery = WebhookDelivery.objects.create(
        store=store, source=Source.SHOPIFY, topic="orders/create", body=b'{"id": 5}'
    )
    result = webhooks.process_delivery(delivery.pk)
    assert result.status == DeliveryStatus.FAILED
    assert result.error == "PayloadError: total_price: missing"


@pytest.fixture
def admin_client(world) -> Client:
    client = Client()
    client.force_login(world.ada)
    return client


def test_admin_lists_deliveries_with_filters(store, admin_client):
    stored(store, CREATE_1001, status=DeliveryStatus.FAILED, attempts=webhooks.MAX_ATTEMPTS)
    url = reverse("admin:commerce_webhookdelivery_changelist")
    response = admin_client.get(url, {"status__exact": "failed", "retries": "exhausted"})
    assert response.status_code == 200
    assert response.context["cl"].result_count == 1
    assert b"orders/create" in response.content


def test_admin_shows_the_body_pretty_printed_and_read_only(store, admin_client):
    delivery = stored(store, REFUND_1002)
    response = admin_client.get(
        reverse("admin:commerce_webhookdelivery_change", args=[delivery.pk])
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert "<pre" in content
    assert "&quot;note&quot;: &quot;Gloves too small, returned&quot;" in content
    assert 'name="topic"' not in content  # nothing editable


def test_admin_process_again_runs_the_selected_deliveries(store, admin_client):
    """An admin's "Process again" on a failed delivery (retries exhausted) processes it."""
    # given
    failed = stored(
        store,
        CREATE_1001,
        status=DeliveryStatus.FAILED,
        attempts=webhooks.MAX_ATTEMPTS,
        error="OperationalError: database is locked",
    )
    # when
    response = admin_client.post(
        reverse("admin:commerce_webhookdelivery_changelist"),
        {"action": "process_again", "_selected_action": [failed.pk]},
        follow=True,
    )
    # then
    assert response.status_code == 200
    failed.refresh_from_db()
    assert (failed.status, failed.error) == (DeliveryStatus.PROCESSED, "")
    assert Order.objects.filter(external_id="6101000001").exists()
    assert "Processed again" in response.content.decode()
