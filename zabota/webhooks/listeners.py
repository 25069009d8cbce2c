"""The webhook listener: every outbox event becomes a delivery per subscription that wants it.

A batch listener over every event type: the subscriptions are read once per dispatch, so the
many events nobody subscribed to cost one query per dispatch instead of one each."""

from typing import Any

from zabota.core.event_types import EVENT_TYPES
from zabota.core.events import batch_listener, current_batch, current_event
from zabota.core.models import OutboxEvent
from zabota.webhooks import queries
from zabota.webhooks.actions import do_create_deliveries
from zabota.webhooks.models import Subscription


@batch_listener(*EVENT_TYPES, mixed=True)
def create_deliveries_for(event_type: str, payloads: list[dict[str, Any]]) -> None:
    """Persist the deliveries and queue their tasks: no HTTP call happens during dispatch.
    Called once per dispatch with its events of every type."""
    subscriptions = queries.active_subscriptions()
    if not subscriptions:
        return
    events = current_batch()
    if len(events) != len(payloads):
        raise RuntimeError("deliveries are made for dispatched events only")
    for event in events:
        wanting = [s for s in subscriptions if s.wants(event.type)]
        if wanting:
            _deliver(event, wanting)


def create_deliveries(event_type: str, payload: dict[str, Any]) -> None:
    """The deliveries of one event, called outside a dispatch (a test, a replay by hand): the
    oldest undelivered row alike in type and payload stands in for the event."""
    subscriptions = queries.subscriptions_for(event_type)
    if not subscriptions:
        return
    event = current_event() or queries.undelivered_event(event_type, payload, subscriptions)
    if event is not None:
        _deliver(event, subscriptions)


def _deliver(event: OutboxEvent, subscriptions: list[Subscription]) -> None:
    store_id = queries.event_store_id(event.payload)
    wanted = [s for s in subscriptions if s.store_id is None or s.store_id == store_id]
    if wanted:
        do_create_deliveries(event, wanted, store_id=store_id)
