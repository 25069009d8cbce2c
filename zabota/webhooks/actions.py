"""State changes of webhooks: save a subscription (URL checked by the SSRF guard), rotate its
secret; fan an event out, queue a test ping or a rule's call, retry a failed delivery.

Every function queues the delivery task only after its transaction commits, so the worker
never looks for a row that is not there yet; a lost task is picked up by the housekeeping job
(``delivery.enqueue_due``).
"""

import logging
from collections.abc import Sequence
from datetime import datetime
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zabota.accounts.models import User
from zabota.commerce.models import Store
from zabota.core.event_types import EVENT_TYPES
from zabota.core.models import OutboxEvent
from zabota.tickets.models import Ticket
from zabota.webhooks import ssrf
from zabota.webhooks.constants import ALL_EVENTS, RULE_EVENT, TEST_EVENT, DeliveryStatus
from zabota.webhooks.error_codes import WebhookError, WebhookErrorCode
from zabota.webhooks.models import Delivery, Subscription, generate_secret

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


def clean_subscription(
    *, url: str, allow_private_network: bool, event_types: Sequence[str]
) -> list[str]:
    """The event types to store (``*`` alone if chosen); raises ValidationError keyed by field
    when the SSRF guard refuses the URL or an event type is unknown. The admin's form and the
    agent UI both validate through this."""
    errors: dict[str, list[str]] = {}
    try:
        ssrf.check_url(url, allow_private=allow_private_network)
    except ssrf.UnsafeURL as exc:
        errors["url"] = [exc.message]
    unknown = [t for t in event_types if t != ALL_EVENTS and t not in EVENT_TYPES]
    if unknown:
        errors["event_types"] = [
            _("Unknown event type: %(types)s.") % {"types": ", ".join(unknown)}
        ]
    elif not event_types:
        errors["event_types"] = [_("Choose at least one event type.")]
    if errors:
        raise ValidationError(errors)
    return [ALL_EVENTS] if ALL_EVENTS in event_types else list(dict.fromkeys(event_types))


def check_save_subscription(
    subscription: Subscription,
    *,
    name: str,
    store: Store | None,
    url: str,
    event_types: Sequence[str],
    is_active: bool,
    allow_private_network: bool,
    actor: User,
) -> Subscription:
    """Validate (``clean_subscription``; raises ValidationError keyed by field) and save."""
    if not name.strip():
        raise ValidationError({"name": [_("A name is required.")]})
    cleaned_types = clean_subscription(
        url=url, allow_private_network=allow_private_network, event_types=event_types
    )
    return do_save_subscription(
        subscription,
        name=name.strip(),
        store=store,
        url=url,
        event_types=cleaned_types,
        is_active=is_active,
        allow_private_network=allow_private_network,
        actor=actor,
    )


def do_save_subscription(
    subscription: Subscription,
    *,
    name: str,
    store: Store | None,
    url: str,
    event_types: list[str],
    is_active: bool,
    allow_private_network: bool,
    actor: User,
) -> Subscription:
    """Create (a new secret is generated) or update the subscription; the secret is unchanged."""
    created = subscription.pk is None
    subscription.name = name
    subscription.store = store
    subscription.url = url
    subscription.event_types = event_types
    subscription.is_active = is_active
    subscription.allow_private_network = allow_private_network
    if created:
        subscription.created_by = actor
    subscription.save()
    logger.info(
        "Webhook subscription %s %s by %s",
        subscription.pk,
        "created" if created else "changed",
        actor.pk,
    )
    return subscription


def do_rotate_secret(subscription: Subscription, *, actor: User) -> str:
    """Give the subscription a new signing secret and return it (to be shown once). Deliveries
    not yet sent are signed with the new one."""
    subscription.secret = generate_secret()
    subscription.save(update_fields=["secret", "updated_at"])
    logger.info("Webhook subscription %s: secret rotated by %s", subscription.pk, actor.pk)
    return subscription.secret


def rule_call_data(ticket: Ticket, *, rule_name: str) -> dict[str, Any]:
    """The ``data`` of a rule's call: the ticket as the rule left it, and the rule's name."""
    return {
        "rule": rule_name,
        "ticket": {
            "id": ticket.pk,
            "number": ticket.number,
            "subject": ticket.subject,
            "status": ticket.status,
            "priority": ticket.priority,
            "store_id": ticket.store_id,
            "store": ticket.store.slug,
            "customer_id": ticket.customer_id,
            "customer_email": ticket.customer.primary_email,
            "assignee_id": ticket.assignee_id,
            "assignee_email": ticket.assignee.email if ticket.assignee else None,
            "group_id": ticket.group_id,
            "group": ticket.group.name if ticket.group else None,
            "tags": sorted(ticket.tags.values_list("name", flat=True)),
        },
    }


def do_create_rule_delivery(
    subscription: Subscription, ticket: Ticket, *, rule_name: str
) -> Delivery:
    """A pending ``rule.webhook`` delivery of the ticket, queued after commit.

    Preconditions: called inside the rule engine's transaction, whose unique RuleApplication
    makes this run once per trigger — a rolled-back application takes the row (and its queued
    task) with it, so no idempotency key is needed here; sending is then at least once with a
    stable ``X-Zabota-Delivery`` id, like every delivery."""
    delivery = Delivery.objects.create(
        subscription=subscription,
        event=None,
        event_type=RULE_EVENT,
        payload=envelope(
            event_id=None,
            event_type=RULE_EVENT,
            created_at=timezone.now(),
            store_id=ticket.store_id,
            data=rule_call_data(ticket, rule_name=rule_name),
        ),
    )
    enqueue_on_commit([delivery.pk])
    return delivery
