"""Events reach a real receiver signed, once, and are retried with backoff until they give up."""

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from zabota.commerce.models import Store
from zabota.core import events
from zabota.core.housekeeping import send_outgoing_webhooks
from zabota.core.models import OutboxEvent
from zabota.tickets.actions import do_change_priority
from zabota.tickets.constants import Priority
from zabota.webhooks import delivery as delivery_module
from zabota.webhooks import tasks
from zabota.webhooks.constants import DeliveryStatus
from zabota.webhooks.delivery import BACKOFF, MAX_ATTEMPTS, deliver
from zabota.webhooks.listeners import create_deliveries
from zabota.webhooks.models import Delivery, Subscription

pytestmark = pytest.mark.django_db


def _raise_priority(world, capture) -> OutboxEvent:
    """Anna raises Maria's ticket to high priority; the event is dispatched after commit."""
    with capture(execute=True):
        do_change_priority(world.maria_ticket, priority=Priority.HIGH, actor=world.anna)
    return OutboxEvent.objects.filter(type="ticket.priority_changed").latest("pk")


def _queued_delivery(world, capture) -> Delivery:
    """The event dispatched and its delivery created, but its task not run yet."""
    with capture(execute=False):
        do_change_priority(world.maria_ticket, priority=Priority.HIGH, actor=world.anna)
    assert events.dispatch(OutboxEvent.objects.filter(type="ticket.priority_changed").get().pk)
    delivery = Delivery.objects.get()
    assert delivery.attempts == 0
    return delivery


def _make_due(delivery: Delivery) -> None:
    """As if the wait before the next attempt had passed."""
    Delivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )


def test_event_is_posted_signed_with_the_subscription_secret(
    world, receiver, subscription, django_capture_on_commit_callbacks
):
    """The receiver gets the event as JSON whose HMAC-SHA256 with the secret is the signature."""
    # when
    event = _raise_priority(world, django_capture_on_commit_callbacks)
    # then
    [request] = receiver.requests
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert delivery.event == event
    expected = hmac.new(subscription.secret.encode(), request.body, hashlib.sha256).hexdigest()
    assert request.headers["X-Zabota-Signature"] == f"sha256={expected}"
    assert request.headers["X-Zabota-Event"] == "ticket.priority_changed"
    assert request.headers["X-Zabota-Delivery"] == str(delivery.pk)
    assert abs(int(request.headers["X-Zabota-Timestamp"]) - timezone.now().timestamp()) < 60
    assert request.headers["Content-Type"] == "application/json"
    assert request.path == "/hooks/zabota?source=test"
    assert json.loads(request.body) == {
        "id": event.pk,
        "type": "ticket.priority_changed",
        "created_at": event.created_at.isoformat(),
        "store_id": world.store.pk,  # found through the ticket: the payload has none
        "data": event.payload,
    }
    assert delivery.response_status == 200
    assert len(delivery.response_excerpt) == 2048
    assert delivery.duration_ms is not None
    assert delivery.delivered_at is not None


def test_subscriptions_get_only_their_event_types_and_store(
    world, receiver, subscription, django_capture_on_commit_callbacks
):
    # given
    subscription.event_types = ["ticket.created"]
    subscription.save()
    Subscription.objects.create(
        name="Other store",
        store=Store.objects.create(slug="other", name="Other", email="help@other.example"),
        url=receiver.url,
        event_types=["*"],
        allow_private_network=True,
    )
    Subscription.objects.create(name="Paused", url=receiver.url, event_types=["*"], is_active=False)
    # when
    _raise_priority(world, django_capture_on_commit_callbacks)
    # then
    assert not Delivery.objects.exists()
    assert receiver.requests == []


def test_a_failed_attempt_is_retried_with_backoff_until_it_succeeds(
    world, receiver, subscription, django_capture_on_commit_callbacks
):
    """A 500, then a redirect (not followed), then 200: three POSTs of the same bytes."""
    # given
    receiver.statuses = [500, 302]
    # when
    _raise_priority(world, django_capture_on_commit_callbacks)
    # then
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.attempts == 1
    assert delivery.error == "HTTP 500"
    assert delivery.response_status == 500
    wait = delivery.next_attempt_at - timezone.now()
    assert BACKOFF[0] - timedelta(seconds=10) < wait <= BACKOFF[0]
    # not due yet: the housekeeping job leaves it alone
    assert send_outgoing_webhooks() == 0
    # when the wait is over, the housekeeping job queues the attempts
    _make_due(delivery)
    assert send_outgoing_webhooks() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.error) == ("pending", 2, "HTTP 302")
    _make_due(delivery)
    send_outgoing_webhooks()
    # then
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert delivery.attempts == 3
    assert delivery.error == ""
    assert len(receiver.requests) == 3  # the redirect's target was never called
    assert len({r.body for r in receiver.requests}) == 1
    assert {r.headers["X-Zabota-Delivery"] for r in receiver.requests} == {str(delivery.pk)}


def test_a_delivery_fails_for_good_after_the_last_attempt(
    world, receiver, subscription, django_capture_on_commit_callbacks
):
    # given
    receiver.statuses = [500] * (MAX_ATTEMPTS + 1)
    _raise_priority(world, django_capture_on_commit_callbacks)
    delivery = Delivery.objects.get()
    # when
    for _attempt in range(MAX_ATTEMPTS - 1):
        _make_due(delivery)
        deliver(delivery.pk)
    # then
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts == MAX_ATTEMPTS == 8
    assert delivery.next_attempt_at is None
    assert delivery.error == "HTTP 500"
    # a failed delivery is not tried again on its own
    assert deliver(delivery.pk).attempts == MAX_ATTEMPTS
    assert send_outgoing_webhooks() == 0
    assert len(receiver.requests) == MAX_ATTEMPTS


def test_an_event_dispatched_twice_is_delivered_once(
    world, receiver, subscription, django_capture_on_commit_callbacks
):
    """A crash after the listener ran but before the dispatcher saved that it did: the event is
    dispatched again, and the listener creates no second delivery and no second POST."""
    # given
    event = _raise_priority(world, django_capture_on_commit_callbacks)
    OutboxEvent.objects.filter(pk=event.pk).update(dispatched_at=None, done_listeners=[])
    # when
    with django_capture_on_commit_callbacks(execute=True):
        assert events.dispatch(event.pk)
    with django_capture_on_commit_callbacks(execute=True):
        create_deliveries(event.type, event.payload)
    # then
    assert Delivery.objects.count() == 1
    assert len(receiver.requests) == 1


def test_events_alike_in_type_and_payload_get_a_delivery_each(
    world, receiver, subscription, django_capture_on_commit_callbacks
):
    # given
    payload = {"customer_id": world.maria.pk, "store_id": world.store.pk, "added": ["vip"]}
    # when
    with django_capture_on_commit_callbacks(execute=True):
        events.publish_on_commit("customer.segment_changed", **payload)
        events.publish_on_commit("customer.segment_changed", **payload)
    # then
    assert Delivery.objects.values("event").distinct().count() == 2
    assert len(receiver.requests) == 2


def test_a_worker_killed_after_recording_success_does_not_send_again(
    world, receiver, subscription, django_capture_on_commit_callbacks, monkeypatch
):
    """The task dies after the success was saved (a killed worker, a lost acknowledgement); the
    task runs again and the housekeeping sweeps: the receiver still has one POST."""
    # given
    delivery = _queued_delivery(world, django_capture_on_commit_callbacks)

    def deliver_then_die(delivery_id: int) -> Delivery:
        delivery_module.deliver(delivery_id)
        raise SystemExit("worker killed")

    monkeypatch.setattr(tasks, "deliver", deliver_then_die)
    # when
    with pytest.raises(SystemExit):
        tasks.deliver_webhook.call(delivery.pk)
    monkeypatch.undo()
    tasks.deliver_webhook.call(delivery.pk)
    Delivery.objects.filter(pk=delivery.pk).update(created_at=timezone.now() - timedelta(hours=1))
    send_outgoing_webhooks()
    # then
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert delivery.attempts == 1
    assert len(receiver.requests) == 1


def test_a_worker_killed_during_the_post_sends_again_when_its_lease_ends(
    world, receiver, subscription, django_capture_on_commit_callbacks
):
    """Claimed, then the worker died before recording anything: the row stays leased, and once
    the lease runs out the housekeeping job sends it (receivers deduplicate on the id)."""
    # given
    delivery = _queued_delivery(world, django_capture_on_commit_callbacks)
    now = timezone.now()
    assert delivery_module._claim(delivery.pk, now)
    # when
    assert send_outgoing_webhooks() == 0  # leased: another worker may be sending it
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=now - timedelta(seconds=1))
    send_outgoing_webhooks()
    # then
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert delivery.attempts == 2
    assert len(receiver.requests) == 1


def test_pending_deliveries_of_a_deactivated_subscription_end_as_failed(
    world, receiver, subscription, django_capture_on_commit_callbacks
):
    # given
    delivery = _queued_delivery(world, django_capture_on_commit_callbacks)
    subscription.is_active = False
    subscription.save()
    # when
    delivery = deliver(delivery.pk)
    # then
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.error == "The subscription was deactivated."
    assert receiver.requests == []


def test_the_listener_costs_one_query_when_no_subscription_wants_the_event(
    world, receiver, subscription, django_assert_num_queries
):
    """Every event passes the webhook listener: without a taker it only reads the subscriptions."""
    # given
    subscription.event_types = ["order.created"]
    subscription.save()
    # when
    with django_assert_num_queries(1):
        create_deliveries("ticket.priority_changed", {"ticket_id": world.maria_ticket.pk})
    # then
    assert not Delivery.objects.exists()
