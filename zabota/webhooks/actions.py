"""State changes of webhook deliveries: fan an event out, queue a test ping, retry a failed one.

Every function queues the delivery task only after its transaction commits, so the worker
never looks for a row that is not there yet; a lost task is picked up by the housekeeping job
(``delivery.enqueue_due``).
"""

import logging
from collections.abc import Sequence
from datetime import datetime
from functools import partial
from typing import Any

from django.db import transaction
from django.utils import timezone

from zabota.accounts.models import User
from zabota.core.models import OutboxEvent
from zabota.webhooks.constants import TEST_EVENT, DeliveryStatus
from zabota.webhooks.error_codes import WebhookError, WebhookErrorCode
from zabota.webhooks.models import Delivery, Subscription

logger = logging.getLogger(__name__)


def envelope(
    *,
    event_id: int | None,
    event_type: str,
    created_at: datetime,
    store_id: int | None,
    data: dict[str, Any],
) -> dict[str, Any]:
    """The JSON body a receiver gets (documented in docs/webhooks.md)."""
    return {
        "id": event_id,
        "type": event_type,
        "created_at": created_at.isoformat(),
        "store_id": store_id,
        "data": data,
    }


def _enqueue(delivery_ids: list[int]) -> None:
    from zabota.webhooks.tasks import deliver_webhook

    for delivery_id in delivery_ids:
        try:
            deliver_webhook.enqueue(delivery_id)
        except Exception:
            # The row is pending; the housekeeping job queues it once it counts as lost.
            logger.exception("Could not enqueue webhook delivery %s", delivery_id)


def enqueue_on_commit(delivery_ids: list[int]) -> None:
    if delivery_ids:
        transaction.on_commit(partial(_enqueue, delivery_ids))


def do_create_deliveries(
    event: OutboxEvent, subscriptions: Sequence[Subscription], *, store_id: int | None
) -> list[int]:
    """One pending delivery of ``event`` per subscription, unless it already has one (an event
    dispatched again after a crash); queues the new ones. Returns their ids.

    Preconditions: the subscriptions are active and want this event and store."""
    body = envelope(
        event_id=event.pk,
        event_type=event.type,
        created_at=event.created_at,
        store_id=store_id,
        data=event.payload,
    )
    Delivery.objects.bulk_create(
        [
            Delivery(subscription=subscription, event=event, event_type=event.type, payload=body)
            for subscription in subscriptions
        ],
        ignore_conflicts=True,
    )
    new_ids = list(
        Delivery.objects.filter(
            event=event,
            subscription__in=subscriptions,
            status=DeliveryStatus.PENDING,
            attempts=0,
            next_attempt_at__isnull=True,
        ).values_list("pk", flat=True)
    )
    enqueue_on_commit(new_ids)
    return new_ids


def do_send_test_event(subscription: Subscription, *, actor: User | None) -> Delivery:
    """Queue a ping of type ``webhook.test`` to the subscription (active or not), to check the
    receiver and its signature check."""
    delivery = Delivery.objects.create(
        subscription=subscription,
        event=None,
        event_type=TEST_EVENT,
        payload=envelope(
            event_id=None,
            event_type=TEST_EVENT,
            created_at=timezone.now(),
            store_id=subscription.store_id,
            data={"subscription_id": subscription.pk, "subscription": subscription.name},
        ),
    )
    logger.info(
        "Test webhook %s queued for subscription %s by %s",
        delivery.pk,
        subscription.pk,
        actor.pk if actor else None,
    )
    enqueue_on_commit([delivery.pk])
    return delivery


def do_retry_delivery(delivery: Delivery, *, actor: User | None) -> Delivery:
    """Queue a failed delivery for an attempt now, with a fresh series of retries."""
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
        if delivery.status != DeliveryStatus.FAILED:
            raise WebhookError(WebhookErrorCode.NOT_RETRIABLE)
        delivery.status = DeliveryStatus.PENDING
        delivery.attempts = 0
        delivery.next_attempt_at = None
        delivery.save(update_fields=["status", "attempts", "next_attempt_at", "updated_at"])
        logger.info(
            "Webhook delivery %s queued again by %s", delivery.pk, actor.pk if actor else None
        )
        enqueue_on_commit([delivery.pk])
    return delivery
