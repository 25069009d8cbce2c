"""Order webhooks from the store platforms (Shopify, WooCommerce): verify, store, process, retry.

Flow of one request (``api/webhooks.py``):

1. :func:`verify_signature`: the store named in the URL must exist and hold the platform's
   secret, and the signature header must be base64(HMAC-SHA256(secret, raw body)), compared in
   constant time. Otherwise nothing is stored (401).
2. :func:`receive_delivery`: the body must be a JSON object (else 400, nothing stored); it is
   stored raw as a ``WebhookDelivery`` (received) and processed at once, in the same request,
   so a new paid order changes the customer's figures and segments before the answer.
3. Processing maps the payload (``commerce.shopify`` / ``commerce.woocommerce``) and calls the
   idempotent upserts of ``commerce.sync``. The delivery ends as
   - processed: the change is applied (or was already there);
   - ignored: a topic we do not use, a refund that moved no money, a customer update for a
     customer we do not know (we do not create customers without orders or tickets);
   - waiting: a refund, fulfilment or deletion of an order we do not have yet, with the order's
     external id in ``order_ref``. As soon as that order is upserted by a webhook of the same
     store and platform, the deliveries waiting for it are processed in order of arrival;
   - failed: processing raised. The error is kept and the attempt counted.

The answer is 200 once the delivery is stored, even when processing failed: retrying is our
job (:func:`retry_failed_deliveries`, the worker's housekeeping, and the admin's "Process
again"), and a platform that keeps getting errors disables the webhook (Shopify after 8 failed
attempts, WooCommerce after 5).

Repeated deliveries converge: a delivery whose platform id (``X-Shopify-Webhook-Id``,
``X-WC-Webhook-Delivery-ID``) was stored before is recognised and not stored again (a failed
one is processed again right away), and deliveries without an id, or the same change sent
under another id, go through upserts that are idempotent and never let an older report
overwrite a newer one (``Order.source_updated_at``).
"""

import base64
import hashlib
import hmac
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from zabota.commerce import shopify, woocommerce
from zabota.commerce.constants import DeliveryStatus, Source
from zabota.commerce.error_codes import CommerceError, CommerceErrorCode
from zabota.commerce.models import Order, Store, WebhookDelivery
from zabota.commerce.order_data import CustomerData
from zabota.commerce.payloads import Payload
from zabota.commerce.sync import (
    do_delete_order,
    do_update_customer_details,
    do_upsert_order,
    do_upsert_refund,
    do_upsert_shipment,
    find_order,
)

logger = logging.getLogger(__name__)

# Largest body accepted (413 beyond): a Shopify order with a few hundred lines stays far below.
MAX_BODY_BYTES: int = getattr(settings, "ZABOTA_MAX_WEBHOOK_BYTES", 2 * 1024 * 1024)
# Failed deliveries are retried automatically this many times in all (then left failed for an
# admin: the dead-letter state), with the backoff of :func:`retry_delay`.
MAX_ATTEMPTS = 8
# A delivery still "received" this long after arrival lost its processing (a crash).
LOST_AFTER = timedelta(minutes=5)
# Statuses after which a delivery is not processed again unless an admin asks.
DONE = frozenset({DeliveryStatus.PROCESSED, DeliveryStatus.IGNORED})
# Deliveries a repeated platform delivery id processes again at once.
RETRY_ON_REPEAT = frozenset({DeliveryStatus.FAILED, DeliveryStatus.RECEIVED})

SECRET_FIELDS = {Source.SHOPIFY: "shopify_secret", Source.WOOCOMMERCE: "woocommerce_secret"}
_WOOCOMMERCE_PING = re.compile(rb"webhook_id=\d+")


# --- verification ------------------------------------------------------------------------------


def signature_of(secret: str, body: bytes) -> str:
    """base64(HMAC-SHA256(secret, body)): how Shopify and WooCommerce sign a delivery."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def configured_store(source: Source, store_slug: str) -> Store:
    """The store of a webhook URL, if it holds a secret for the platform. Raises CommerceError
    (unknown_store, webhook_not_configured)."""
    store = Store.objects.filter(slug=store_slug).first()
    if store is None:
        raise CommerceError(CommerceErrorCode.UNKNOWN_STORE, store=store_slug[:50])
    if not getattr(store, SECRET_FIELDS[source]):
        raise CommerceError(CommerceErrorCode.WEBHOOK_NOT_CONFIGURED, platform=source.label)
    return store


def verify_signature(source: Source, store_slug: str, body: bytes, signature: str) -> Store:
    """The store whose secret signed ``body``. Raises CommerceError (unknown_store,
    webhook_not_configured, invalid_signature)."""
    store = configured_store(source, store_slug)
    expected = signature_of(getattr(store, SECRET_FIELDS[source]), body).encode("ascii")
    given = signature.strip().encode("utf-8", "replace")
    if not given or not hmac.compare_digest(expected, given):
        raise CommerceError(CommerceErrorCode.INVALID_SIGNATURE)
    return store


def is_woocommerce_ping(topic: str, body: bytes) -> bool:
    """WooCommerce's unsigned test POST when a webhook is saved: ``webhook_id=N``, no topic."""
    return not topic and _WOOCOMMERCE_PING.fullmatch(body.strip()) is not None


def parse_payload(body: bytes) -> Payload:
    """The body as a JSON object. Raises CommerceError (malformed_payload) with the reason."""
    try:
        # JSON on the wire is UTF-8 (RFC 8259); json.loads(bytes) would also guess UTF-16/32.
        payload = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise CommerceError(CommerceErrorCode.MALFORMED_PAYLOAD, detail="not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise CommerceError(CommerceErrorCode.MALFORMED_PAYLOAD, detail=str(exc)) from None
    if not isinstance(payload, dict):
        raise CommerceError(
            CommerceErrorCode.MALFORMED_PAYLOAD, detail=f"a JSON {type(payload).__name__}"
        )
    return payload


# --- receiving ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    delivery: WebhookDelivery
    # The platform sent this delivery id before: nothing new was stored.
    duplicate: bool


def receive_delivery(
    store: Store, source: Source, topic: str, body: bytes, *, delivery_id: str = ""
) -> Received:
    """Store a verified delivery and process it now. Raises CommerceError (malformed_payload)
    before storing anything when the body is not a JSON object."""
    payload = parse_payload(body)
    delivery_id = delivery_id.strip()[:100]
    if delivery_id:
        earlier = (
            WebhookDelivery.objects.filter(store=store, source=source, delivery_id=delivery_id)
            .order_by("pk")
            .first()
        )
        if earlier is not None:
            if earlier.status in RETRY_ON_REPEAT:
                earlier = process_delivery(earlier.pk, payload=payload)
            return Received(earlier, duplicate=True)
    delivery = WebhookDelivery.objects.create(
        store=store, source=source, topic=topic.strip()[:64], delivery_id=delivery_id, body=body
    )
    return Received(process_delivery(delivery.pk, payload=payload), duplicate=False)


# --- processing --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    status: DeliveryStatus
    # External id of the order the delivery is about (what a waiting one waits for).
    order_ref: str = ""
    # The order this delivery created or updated: deliveries waiting for it run next.
    order: Order | None = None


Handler = Callable[[Store, Payload], Outcome]


def _shopify_order(store: Store, payload: Payload) -> Outcome:
    result = do_upsert_order(store, shopify.order_data(payload))
    return Outcome(DeliveryStatus.PROCESSED, result.order.external_id, result.order)


def _woocommerce_order(store: Store, payload: Payload) -> Outcome:
    result = do_upsert_order(store, woocommerce.order_data(payload))
    if woocommerce.is_trashed(payload):
        do_delete_order(result.order)
    return Outcome(DeliveryStatus.PROCESSED, result.order.external_id, result.order)


def _deletion(source: Source, order_id: Callable[[Payload], str]) -> Handler:
    def handle(store: Store, payload: Payload) -> Outcome:
        ref = order_id(payload)
        order = find_order(store, source, ref)
        if order is None:
            # Deleted before we heard of it: applied once the order arrives, so that a late
            # order.created cannot bring it back.
            return Outcome(DeliveryStatus.WAITING, ref)
        do_delete_order(order)
        return Outcome(DeliveryStatus.PROCESSED, ref)

    return handle


def _shopify_refund(store: Store, payload: Payload) -> Outcome:
    ref = shopify.parent_order_id(payload)
    order = find_order(store, Source.SHOPIFY, ref)
    if order is None:
        return Outcome(DeliveryStatus.WAITING, ref)
    data = shopify.refund_data(payload)
    if data is None:
        return Outcome(DeliveryStatus.IGNORED, ref)
    do_upsert_refund(order, data)
    return Outcome(DeliveryStatus.PROCESSED, ref)


def _shopify_fulfillment(store: Store, payload: Payload) -> Outcome:
    ref = shopify.parent_order_id(payload)
    order = find_order(store, Source.SHOPIFY, ref)
    if order is None:
        return Outcome(DeliveryStatus.WAITING, ref)
    do_upsert_shipment(order, shopify.shipment_data(payload))
    return Outcome(DeliveryStatus.PROCESSED, ref)


def _customer_update(details: Callable[[Payload], CustomerData]) -> Handler:
    def handle(store: Store, payload: Payload) -> Outcome:
        customer = do_update_customer_details(details(payload))
        return Outcome(DeliveryStatus.PROCESSED if customer else DeliveryStatus.IGNORED)

    return handle


HANDLERS: dict[str, dict[str, Handler]] = {
    Source.SHOPIFY: {
        **dict.fromkeys(shopify.ORDER_TOPICS, _shopify_order),
        shopify.ORDER_DELETE_TOPIC: _deletion(Source.SHOPIFY, shopify.order_id),
        **dict.fromkeys(shopify.REFUND_TOPICS, _shopify_refund),
        **dict.fromkeys(shopify.FULFILLMENT_TOPICS, _shopify_fulfillment),
        **dict.fromkeys(shopify.CUSTOMER_TOPICS, _customer_update(shopify.customer_details)),
    },
    Source.WOOCOMMERCE: {
        **dict.fromkeys(woocommerce.ORDER_TOPICS, _woocommerce_order),
        woocommerce.ORDER_DELETE_TOPIC: _deletion(Source.WOOCOMMERCE, woocommerce.order_id),
        **dict.fromkeys(
            woocommerce.CUSTOMER_TOPICS, _customer_update(woocommerce.customer_details)
        ),
    },
}


def process_delivery(
    delivery_id: int, *, payload: Payload | None = None, again: bool = False
) -> WebhookDelivery:
    """Process one stored delivery (idempotent: a processed or ignored one is left alone unless
    ``again``). Never raises for a failure of the processing itself: the delivery is marked
    failed with the error. Then runs the deliveries that were waiting for the order this one
    created or updated."""
    outcome: Outcome | None = None
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update().select_related("store").get(pk=delivery_id)
        )
        if delivery.status in DONE and not again:
            return delivery
        delivery.attempts += 1
        try:
            with transaction.atomic():
                outcome = _handle(delivery, payload)
        except Exception as exc:
            logger.exception("Processing webhook delivery %s failed", delivery.pk)
            delivery.status = DeliveryStatus.FAILED
            delivery.error = f"{type(exc).__name__}: {exc}"[:5000]
        else:
            delivery.status = outcome.status
            delivery.error = ""
            delivery.order_ref = outcome.order_ref[:64]
        delivery.processed_at = timezone.now()
        delivery.save(
            update_fields=["status", "error", "order_ref", "attempts", "processed_at", "updated_at"]
        )
    if outcome is not None and outcome.order is not None:
        release_waiting(delivery.store, Source(delivery.source), outcome.order.external_id)
    return delivery


def _handle(delivery: WebhookDelivery, payload: Payload | None) -> Outcome:
    handler = HANDLERS.get(delivery.source, {}).get(delivery.topic)
    if handler is None:
        return Outcome(DeliveryStatus.IGNORED)
    if payload is None:
        payload = parse_payload(bytes(delivery.body))
    return handler(delivery.store, payload)


def release_waiting(store: Store, source: Source, external_id: str) -> int:
    """Process, in order of arrival, the deliveries waiting for this order."""
    waiting = list(
        WebhookDelivery.objects.filter(
            store=store, source=source, order_ref=external_id, status=DeliveryStatus.WAITING
        )
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)
    )
    for pk in waiting:
        process_delivery(pk)
    return len(waiting)


# --- retries -----------------------------------------------------------------------------------


def retry_delay(attempts: int) -> timedelta:
    """Wait after the n-th failed attempt: 1, 2, 4 … minutes, at most an hour (about two hours
    from the first failure to the last automatic attempt)."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 60))


def retry_failed_deliveries(*, now: datetime | None = None, limit: int = 200) -> int:
    """Process again what is due, oldest first, and return how many were tried:
    failed deliveries whose backoff has passed (until ``MAX_ATTEMPTS``), deliveries left
    "received" by a crash, and waiting ones whose order has arrived meanwhile (it can overtake
    them between two concurrent requests). Safe to run on several workers at once."""
    now = now or timezone.now()
    due = Q(status=DeliveryStatus.RECEIVED, created_at__lte=now - LOST_AFTER)
    for attempts in range(1, MAX_ATTEMPTS):
        due |= Q(
            status=DeliveryStatus.FAILED,
            attempts=attempts,
            updated_at__lte=now - retry_delay(attempts),
        )
    due |= Q(status=DeliveryStatus.WAITING, order_known=True)
    known = Order.objects.filter(
        store=OuterRef("store"), source=OuterRef("source"), external_id=OuterRef("order_ref")
    )
    ids = list(
        WebhookDelivery.objects.annotate(order_known=Exists(known))
        .filter(due)
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in ids:
        try:
            process_delivery(pk)
        except Exception:
            # The database itself failed: the delivery keeps its status and comes back.
            logger.exception("Retrying webhook delivery %s failed", pk)
    return len(ids)
