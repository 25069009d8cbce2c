"""Sending deliveries, with retries and backoff.

``deliver`` first claims the row with one conditional UPDATE that also leases it, so two
workers never send the same delivery at once and a succeeded one is never sent again. Outcomes:
- a 2xx answer → ``succeeded``;
- any other answer (3xx included: redirects are not followed), a timeout, a refused
  connection or an address the SSRF guard refuses → ``pending`` until the next step of
  ``BACKOFF``; after the last attempt → ``failed``.
Retries are queued by the worker's housekeeping (``enqueue_due``). A worker that dies during
the POST leaves a lease that runs out, and the delivery is sent again then: delivery is at
least once, and receivers deduplicate on ``X-Zabota-Delivery``.
"""

import http.client
import logging
import time
from datetime import datetime, timedelta

from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from zabota.webhooks import ssrf, transport
from zabota.webhooks.constants import TEST_EVENT, DeliveryStatus
from zabota.webhooks.models import Delivery

logger = logging.getLogger(__name__)

# Waits after the 1st, 2nd … failed attempt; a failure after the last one is final.
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(minutes=30),
    timedelta(hours=1),
    timedelta(hours=3),
    timedelta(hours=6),
)
MAX_ATTEMPTS = len(BACKOFF) + 1
# How long a claimed delivery is left alone: longer than any attempt can take.
LEASE = timedelta(minutes=5)
# A new delivery whose task has not picked it up after this long is queued again.
LOST_AFTER = timedelta(minutes=2)


def _claim(delivery_id: int, now: datetime) -> bool:
    """Take the delivery for one attempt; False if it is done, failed, or another worker has it."""
    return bool(
        Delivery.objects.filter(pk=delivery_id, status=DeliveryStatus.PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .update(next_attempt_at=now + LEASE, attempts=F("attempts") + 1)
    )


def headers_for(delivery: Delivery, body: bytes) -> dict[str, str]:
    return {
        "X-Zabota-Event": delivery.event_type,
        "X-Zabota-Delivery": str(delivery.pk),
        "X-Zabota-Timestamp": str(int(time.time())),
        "X-Zabota-Signature": transport.sign(delivery.subscription.secret, body),
    }


def deliver(delivery_id: int) -> Delivery:
    """One attempt, if the delivery is due (idempotent: a succeeded one is left alone)."""
    now = timezone.now()
    claimed = _claim(delivery_id, now)
    delivery = Delivery.objects.select_related("subscription").get(pk=delivery_id)
    if not claimed:
        return delivery
    subscription = delivery.subscription
    if not subscription.is_active and delivery.event_type != TEST_EVENT:
        # Turned off after the event: its pending deliveries end, visibly, without being sent.
        delivery.status = DeliveryStatus.FAILED
        delivery.next_attempt_at = None
        delivery.error = str(_("The subscription was deactivated."))
        delivery.save(update_fields=["status", "next_attempt_at", "error", "updated_at"])
        return delivery
    body = transport.encode_body(delivery.payload)
    response = None
    try:
        target = ssrf.check_url(subscription.url, allow_private=subscription.allow_private_network)
        response = transport.post(target, body, headers_for(delivery, body))
    except ssrf.UnsafeURL as exc:
        delivery.error = exc.message
    except (OSError, http.client.HTTPException) as exc:
        delivery.error = str(exc) or type(exc).__name__
    if response is not None:
        delivery.response_status = response.status
        delivery.response_excerpt = response.excerpt
        delivery.duration_ms = response.duration_ms
        delivery.error = "" if 200 <= response.status < 300 else f"HTTP {response.status}"
    else:
        delivery.response_status = None
        delivery.response_excerpt = ""
        delivery.duration_ms = None
    if response is not None and not delivery.error:
        delivery.status = DeliveryStatus.SUCCEEDED
        delivery.delivered_at = timezone.now()
        delivery.next_attempt_at = None
    elif delivery.attempts >= MAX_ATTEMPTS:
        delivery.status = DeliveryStatus.FAILED
        delivery.next_attempt_at = None
    else:
        delivery.next_attempt_at = timezone.now() + BACKOFF[delivery.attempts - 1]
    delivery.save(
        update_fields=[
            "status",
            "next_attempt_at",
            "response_status",
            "response_excerpt",
            "error",
            "duration_ms",
            "delivered_at",
            "updated_at",
        ]
    )
    if delivery.status != DeliveryStatus.SUCCEEDED:
        logger.warning(
            "Webhook delivery %s to subscription %s: attempt %s %s: %s",
            delivery.pk,
            subscription.pk,
            delivery.attempts,
            delivery.status,
            delivery.error,
        )
    return delivery


def due_ids(now: datetime | None = None, *, limit: int = 500) -> list[int]:
    """Deliveries whose next attempt is due, or whose queueing was lost (a crash, a broker
    outage), or whose attempt's lease ran out (a worker killed during the POST)."""
    now = now or timezone.now()
    due = Delivery.objects.filter(status=DeliveryStatus.PENDING).filter(
        Q(next_attempt_at__lte=now)
        | Q(next_attempt_at__isnull=True, created_at__lte=now - LOST_AFTER)
    )
    return list(due.order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit])


def enqueue_due() -> int:
    """The housekeeping job: queue an attempt for every due delivery."""
    from zabota.webhooks.tasks import deliver_webhook

    ids = due_ids()
    for delivery_id in ids:
        deliver_webhook.enqueue(delivery_id)
    return len(ids)
