"""Order webhooks of the store platforms: ``POST /webhooks/shopify/{store}`` and
``POST /webhooks/woocommerce/{store}`` (see docs/commerce-webhooks.md).

No API token: the platform's signature of the raw body with the store's secret authenticates.
Unknown store, no secret configured, missing or wrong signature → 401, nothing stored; a body
that is not a JSON object → 400, nothing stored; otherwise the delivery is stored, processed in
the same request, and answered 200 — also when processing failed (we retry it; a platform that
sees errors disables its webhook). Addresses that keep sending bad signatures get 429.
"""

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.errors import Throttled

from zabota.api.error_codes import ApiError, ApiErrorCode
from zabota.api.schemas.common import ErrorOut
from zabota.commerce.constants import DeliveryStatus, Source
from zabota.commerce.error_codes import CommerceError
from zabota.commerce.webhooks import (
    MAX_BODY_BYTES,
    configured_store,
    is_woocommerce_ping,
    receive_delivery,
    verify_signature,
)
from zabota.core.ratelimit import (
    WEBHOOK_SIGNATURE_FAILURES_PER_IP,
    client_ip,
    hit,
    is_limited,
    retry_after,
)

router = Router(tags=["store webhooks"])

_CHUNK = 64 * 1024


class WebhookAccepted(Schema):
    id: int | None = Field(description="The stored delivery; null for WooCommerce's ping.")
    status: DeliveryStatus | None = Field(
        description="What became of it: processed, ignored, waiting (for its order) or failed "
        "(kept and retried by Zabota)."
    )
    duplicate: bool = Field(
        False, description="The platform sent this delivery id before: nothing new was stored."
    )


RESPONSES = {
    200: WebhookAccepted,
    400: ErrorOut,
    401: ErrorOut,
    413: ErrorOut,
    429: ErrorOut,
}


def _header(name: str, description: str) -> dict[str, object]:
    return {"in": "header", "name": name, "schema": {"type": "string"}, "description": description}


def _json_body() -> dict[str, object]:
    return {
        "required": True,
        "content": {"application/json": {"schema": {"type": "object"}}},
    }


def _read_body(request: HttpRequest) -> bytes:
    """The raw body, streamed, refused (413) beyond ``MAX_BODY_BYTES``."""
    limit = MAX_BODY_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        raise ApiError(ApiErrorCode.PAYLOAD_TOO_LARGE, 413, limit=limit)
    chunks: list[bytes] = []
    size = 0
    while chunk := request.read(_CHUNK):
        size += len(chunk)
        if size > limit:
            raise ApiError(ApiErrorCode.PAYLOAD_TOO_LARGE, 413, limit=limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _receive(
    ip: str,
    source: Source,
    store_slug: str,
    body: bytes,
    *,
    topic: str,
    signature: str,
    delivery_id: str,
) -> WebhookAccepted:
    try:
        store = verify_signature(source, store_slug, body, signature)
    except CommerceError:
        hit(WEBHOOK_SIGNATURE_FAILURES_PER_IP, ip)
        raise
    received = receive_delivery(store, source, topic, body, delivery_id=delivery_id)
    return WebhookAccepted(
        id=received.delivery.pk,
        status=DeliveryStatus(received.delivery.status),
        duplicate=received.duplicate,
    )


def _unthrottled_ip(request: HttpRequest) -> str:
    """The client address, after refusing (429) one that sent too many bad signatures."""
    ip = client_ip(request)
    if is_limited(WEBHOOK_SIGNATURE_FAILURES_PER_IP, ip):
        raise Throttled(retry_after(WEBHOOK_SIGNATURE_FAILURES_PER_IP))
    return ip


@router.post(
    "/shopify/{store_slug}",
    auth=None,
    response=RESPONSES,
    openapi_extra={
        "requestBody": _json_body(),
        "parameters": [
            _header("X-Shopify-Topic", "E.g. `orders/create`."),
            _header(
                "X-Shopify-Hmac-Sha256",
                "base64 of the HMAC-SHA256 of the raw body with the store's Shopify secret.",
            ),
            _header("X-Shopify-Webhook-Id", "Shopify's delivery id: repeats are recognised."),
        ],
    },
)
def shopify(request: HttpRequest, store_slug: str) -> WebhookAccepted:
    """One Shopify webhook for the store with this slug. Topics: orders/create, orders/updated,
    orders/cancelled, orders/paid, orders/fulfilled, orders/partially_fulfilled, orders/delete,
    refunds/create, fulfillments/create, fulfillments/update, customers/update; others are
    stored as ignored. 200 once stored (`status` says what became of it); 401 `unknown_store`,
    `webhook_not_configured`, `invalid_signature`; 400 `malformed_payload`; 413; 429."""
    ip = _unthrottled_ip(request)
    return _receive(
        ip,
        Source.SHOPIFY,
        store_slug,
        _read_body(request),
        topic=request.headers.get("X-Shopify-Topic", ""),
        signature=request.headers.get("X-Shopify-Hmac-Sha256", ""),
        delivery_id=request.headers.get("X-Shopify-Webhook-Id", ""),
    )


@router.post(
    "/woocommerce/{store_slug}",
    auth=None,
    response=RESPONSES,
    openapi_extra={
        "requestBody": _json_body(),
        "parameters": [
            _header("X-WC-Webhook-Topic", "E.g. `order.created`."),
            _header(
                "X-WC-Webhook-Signature",
                "base64 of the HMAC-SHA256 of the raw body with the store's WooCommerce secret.",
            ),
            _header("X-WC-Webhook-Delivery-ID", "WooCommerce's delivery id."),
        ],
    },
)
def woocommerce(request: HttpRequest, store_slug: str) -> WebhookAccepted:
    """One WooCommerce webhook for the store with this slug. Topics: order.created,
    order.updated, order.deleted, customer.updated; others are stored as ignored. The unsigned
    `webhook_id=N` ping WooCommerce sends when a webhook is saved is answered 200 and not stored
    (401 if the store is unknown or has no WooCommerce secret, so the mistake shows at once)."""
    ip = _unthrottled_ip(request)
    body = _read_body(request)
    topic = request.headers.get("X-WC-Webhook-Topic", "")
    if is_woocommerce_ping(topic, body):
        try:
            configured_store(Source.WOOCOMMERCE, store_slug)
        except CommerceError:
            hit(WEBHOOK_SIGNATURE_FAILURES_PER_IP, ip)
            raise
        return WebhookAccepted(id=None, status=None, duplicate=False)
    return _receive(
        ip,
        Source.WOOCOMMERCE,
        store_slug,
        body,
        topic=topic,
        signature=request.headers.get("X-WC-Webhook-Signature", ""),
        delivery_id=request.headers.get("X-WC-Webhook-Delivery-ID", ""),
    )
