"""The webhook listener: every outbox event becomes a delivery per subscription that wants it."""

from typing import Any

from zabota.core.events import current_event, listener
from zabota.webhooks import queries
from zabota.webhooks.actions import do_create_deliveries


@listener("*")
def create_deliveries(event_type: str, payload: dict[str, Any]) -> None:
    """Persist the deliveries and queue their tasks: no HTTP call happens during dispatch."""
    subscriptions = queries.subscriptions_for(event_type)
    if not subscriptions:
        return
    store_id = queries.event_store_id(payload)
    subscriptions = [s for s in subscriptions if s.store_id is None or s.store_id == store_id]
    if not subscriptions:
        return
    # The row being dispatched; called outside a dispatch (a test, a replay by hand), the
    # oldest undelivered row alike in type and payload stands in for it.
    event = current_event() or queries.undelivered_event(event_type, payload, subscriptions)
    if event is not None:
        do_create_deliveries(event, subscriptions, store_id=store_id)
