"""Recorded webhook sequences, signed posting, and a snapshot of everything the webhooks write —
shared by the Shopify and WooCommerce webhook tests."""

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.test import Client

from zabota.commerce.models import CustomerSegment, CustomerStats, Order, Store
from zabota.customers.models import Customer

DATA = Path(__file__).parent / "data"
SHOPIFY_SECRET = "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"
WOOCOMMERCE_SECRET = "wc-hook-secret: Zabota/demo 2026"


@dataclass(frozen=True)
class Recorded:
    topic: str
    webhook_id: str
    body: bytes
    file: str


def recorded(platform: str) -> list[Recorded]:
    """The recorded deliveries of ``data/<platform>/sequence.json``, in the order sent."""
    folder = DATA / platform
    manifest = json.loads((folder / "sequence.json").read_text())
    return [
        Recorded(
            topic=entry["topic"],
            webhook_id=entry["webhook_id"],
            body=(folder / entry["file"]).read_bytes(),
            file=entry["file"],
        )
        for entry in manifest["deliveries"]
    ]


def sign(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def post_shopify(
    client: Client,
    store: Store,
    topic: str,
    body: bytes,
    *,
    webhook_id: str = "",
    secret: str = SHOPIFY_SECRET,
    signature: str | None = None,
):
    headers = {
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": sign(secret, body) if signature is None else signature,
        "X-Shopify-Shop-Domain": "zabota-demo.myshopify.com",
        "X-Shopify-API-Version": "2026-10",
    }
    if webhook_id:
        headers["X-Shopify-Webhook-Id"] = webhook_id
    return client.post(
        f"/api/v1/webhooks/shopify/{store.slug}",
        body,
        content_type="application/json",
        headers=headers,
    )


def post_woocommerce(
    client: Client,
    store: Store,
    topic: str,
    body: bytes,
    *,
    delivery_id: str = "",
    secret: str = WOOCOMMERCE_SECRET,
    signature: str | None = None,
):
    resource, _, event = topic.partition(".")
    headers = {
        "X-WC-Webhook-Source": "https://sklep.example.pl/",
        "X-WC-Webhook-Topic": topic,
        "X-WC-Webhook-Resource": resource,
        "X-WC-Webhook-Event": event,
        "X-WC-Webhook-Signature": sign(secret, body) if signature is None else signature,
        "X-WC-Webhook-ID": "12",
    }
    if delivery_id:
        headers["X-WC-Webhook-Delivery-ID"] = delivery_id
    return client.post(
        f"/api/v1/webhooks/woocommerce/{store.slug}",
        body,
        content_type="application/json",
        headers=headers,
    )


def _customer_key(customer: Customer | None) -> tuple[tuple[str, str], ...] | None:
    """A customer by their identities: row ids differ between replays, identities do not."""
    if customer is None:
        return None
    return tuple(sorted((i.kind, i.value) for i in customer.identities.all()))


def snapshot(store: Store) -> dict[str, Any]:
    """Everything the order webhooks write for ``store``, free of row ids and of the times of
    our own writes: orders with lines, shipments, refunds and returns; customers; figures;
    segments."""
    orders = {}
    for order in (
        Order.objects.filter(store=store)
        .select_related("customer")
        .prefetch_related("lines", "shipments", "refunds", "returns__lines", "customer__identities")
        .order_by("source", "external_id")
    ):
        orders[order.source, order.external_id] = {
            "customer": _customer_key(order.customer),
            **{
                name: getattr(order, name)
                for name in (
                    "number",
                    "email",
                    "phone",
                    "status",
                    "financial_status",
                    "fulfillment_status",
                    "currency",
                    "subtotal",
                    "discount_total",
                    "shipping_total",
                    "tax_total",
                    "total",
                    "paid_amount",
                    "refunded_amount",
                    "fx_rate",
                    "discount_codes",
                    "shipping_method",
                    "shipping_address",
                    "placed_at",
                    "paid_at",
                    "cancelled_at",
                    "cancel_reason",
                    "source_updated_at",
                )
            },
            # When we marked it deleted is our time, not the platform's.
            "deleted": order.deleted_at is not None,
            "lines": [
                (
                    line.external_id,
                    line.sku,
                    line.title,
                    line.variant,
                    line.quantity,
                    line.price,
                    line.total,
                )
                for line in sorted(order.lines.all(), key=lambda line: line.pk)
            ],
            "shipments": sorted(
                (
                    s.external_id,
                    s.status,
                    s.carrier,
                    s.tracking_number,
                    s.tracking_url,
                    s.shipped_at,
                    s.delivered_at,
                    s.source_updated_at,
                )
                for s in order.shipments.all()
            ),
            "refunds": sorted(
                (r.external_id, r.amount, r.reason, r.refunded_at) for r in order.refunds.all()
            ),
            "returns": sorted(
                (r.external_id, r.status, r.reason, r.requested_at, r.received_at)
                for r in order.returns.all()
            ),
        }
    customers = {
        _customer_key(c): (c.first_name, c.last_name, c.display_name)
        for c in Customer.objects.prefetch_related("identities").filter(orders__store=store)
    }
    stats = {
        _customer_key(s.customer): (
            s.lifetime_value,
            s.order_count,
            s.average_order_value,
            s.first_order_at,
            s.last_order_at,
            s.returned_orders,
            s.return_rate,
            s.unconverted_orders,
        )
        for s in CustomerStats.objects.filter(store=store).prefetch_related("customer__identities")
    }
    segments: dict[Any, list[str]] = {}
    for row in (
        CustomerSegment.objects.filter(store=store)
        .prefetch_related("customer__identities")
        .order_by("segment")
    ):
        segments.setdefault(_customer_key(row.customer), []).append(row.segment)
    return {"orders": orders, "customers": customers, "stats": stats, "segments": segments}
