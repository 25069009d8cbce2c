"""Shopify webhooks end to end: signed requests → stored deliveries → orders, shipments, refunds,
figures and segments. The acceptance test replays a recorded sequence (data/shopify/) out of
order and twice and expects exactly the state of one replay in order."""

import json
import random
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.test import Client

from zabota.commerce import webhooks
from zabota.commerce.constants import (
    DeliveryStatus,
    FinancialStatus,
    FulfillmentStatus,
    OrderStatus,
    Segment,
    ShipmentStatus,
)
from zabota.commerce.models import CustomerSegment, CustomerStats, Order, WebhookDelivery
from zabota.commerce.tests.webhook_support import (
    SHOPIFY_SECRET,
    Recorded,
    post_shopify,
    recorded,
    sign,
    snapshot,
)
from zabota.core.ratelimit import WEBHOOK_SIGNATURE_FAILURES_PER_IP
from zabota.customers.models import Customer

pytestmark = pytest.mark.django_db

SEQUENCE = recorded("shopify")
ORDER_1002 = "6101000002"


@pytest.fixture
def store(world):
    world.store.shopify_secret = SHOPIFY_SECRET
    world.store.save()
    return world.store


def replay(store, deliveries: list[Recorded], *, id_suffix: str = "") -> None:
    # As a platform posts: no session, no CSRF token.
    client = Client(enforce_csrf_checks=True)
    for delivery in deliveries:
        response = post_shopify(
            client,
            store,
            delivery.topic,
            delivery.body,
            webhook_id=delivery.webhook_id + id_suffix,
        )
        assert response.status_code == 200, (delivery.file, response.content)


def state_after(store, *passes: tuple[list[Recorded], str]) -> dict:
    """The snapshot after replaying the given passes, then everything is rolled back."""
    with transaction.atomic():
        for deliveries, suffix in passes:
            replay(store, deliveries, id_suffix=suffix)
        assert not WebhookDelivery.objects.filter(
            status__in=[DeliveryStatus.FAILED, DeliveryStatus.WAITING, DeliveryStatus.RECEIVED]
        ).exists()
        state = snapshot(store)
        transaction.set_rollback(True)
    return state


def segments_of(store, email: str) -> set[str]:
    customer = Customer.objects.get(identities__value=email)
    return set(
        CustomerSegment.objects.filter(store=store, customer=customer).values_list(
            "segment", flat=True
        )
    )


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_replay_out_of_order_and_twice_equals_replay_in_order(store, seed):
    """Shuffled, then shuffled again under new delivery ids (so every delivery is processed a
    second time), then the first shuffle once more under its own ids (recognised repeats), the
    recorded sequence ends in exactly the state of one replay in order: orders, lines,
    shipments, refunds, customers, lifetime values and segments."""
    # given
    expected = state_after(store, (SEQUENCE, ""))
    rng = random.Random(seed)
    first, second = rng.sample(SEQUENCE, len(SEQUENCE)), rng.sample(SEQUENCE, len(SEQUENCE))
    # when
    actual = state_after(store, (first, ""), (second, "-again"), (first, ""))
    # then
    assert actual == expected


def test_replay_in_order_yields_the_recorded_business(store, world):
    """What the recorded sequence means: Maria's two orders (one partly refunded), Béla's
    cancelled bank-transfer order and his paid order refunded after a failed delivery."""
    # when
    replay(store, SEQUENCE)
    # then
    orders = {o.external_id: o for o in Order.objects.filter(store=store)}
    assert set(orders) == {"6101000001", "6101000002", "6101000003", "6101000004"}
    first, second, cancelled, returned = (orders[k] for k in sorted(orders))
    assert first.customer == world.maria and first.number == "#1001"
    assert (first.total, first.subtotal, first.discount_total, first.shipping_total) == (
        Decimal("268.20"),
        Decimal("258.30"),
        Decimal("28.70"),
        Decimal("9.90"),
    )
    assert first.discount_codes == "WELCOME10" and first.shipping_method == "DPD Standard"
    assert [
        (line.sku, line.variant, line.quantity, line.total) for line in first.lines.order_by("pk")
    ] == [
        ("LD-38-SAGE", "38 / Sage", 1, Decimal("160.30")),
        ("SC-TERRA", "Terracotta", 2, Decimal("98.00")),
    ]
    [shipment] = first.shipments.all()
    assert (shipment.status, shipment.carrier, shipment.tracking_number) == (
        ShipmentStatus.DELIVERED,
        "DPD",
        "09876543210123",
    )
    assert shipment.delivered_at is not None
    assert second.financial_status == FinancialStatus.PARTIALLY_REFUNDED
    assert [(r.amount, r.reason) for r in second.refunds.all()] == [
        (Decimal("79.00"), "Gloves too small, returned")
    ]
    assert cancelled.status == OrderStatus.CANCELLED and cancelled.cancel_reason == "customer"
    assert cancelled.financial_status == FinancialStatus.VOIDED
    assert returned.financial_status == FinancialStatus.REFUNDED
    assert returned.fulfillment_status == FulfillmentStatus.RESTOCKED
    assert returned.refunded_amount == Decimal("129.00")  # the declined attempt does not count
    assert returned.shipments.get().status == ShipmentStatus.FAILED
    maria = CustomerStats.objects.get(store=store, customer=world.maria)
    assert (maria.lifetime_value, maria.order_count) == (Decimal("957.20"), 2)
    bela = CustomerStats.objects.get(store=store, customer__identities__value="+36301234567")
    assert (bela.lifetime_value, bela.order_count) == (Decimal("0.00"), 1)
    assert Customer.objects.get(pk=bela.customer_id).name == "Béla Kovács"
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {
        DeliveryStatus.PROCESSED
    }


def test_crossing_the_vip_threshold_and_dropping_below_in_the_same_request(store):
    """Maria's second paid order takes her lifetime value over 1,000 € (the default threshold):
    she is VIP when orders/create is answered. The refund of the gloves drops her to 957.20 €:
    VIP is gone when refunds/create is answered."""
    # given her first order, and the second up to its fulfilment
    before_second = SEQUENCE[:7]
    replay(store, before_second)
    assert Segment.VIP not in segments_of(store, "maria@example.pl")
    # when
    create_1002 = next(d for d in SEQUENCE if d.file == "08-orders-create-1002.json")
    replay(store, [create_1002])
    # then
    assert Segment.VIP in segments_of(store, "maria@example.pl")
    stats = CustomerStats.objects.get(store=store, customer__identities__value="maria@example.pl")
    assert stats.lifetime_value == Decimal("1036.20")
    # when
    refund = next(d for d in SEQUENCE if d.topic == "refunds/create" and ORDER_1002 in d.file)
    replay(store, [refund])
    # then
    assert Segment.VIP not in segments_of(store, "maria@example.pl")
    stats.refresh_from_db()
    assert stats.lifetime_value == Decimal("957.20")


def test_a_refund_before_its_order_waits_and_is_applied_when_the_order_arrives(store):
    """refunds/create and fulfillments/create for an unknown order are stored waiting, with the
    order's id; orders/create processes them in order of arrival, in the same request."""
    # given
    by_file = {d.file: d for d in SEQUENCE}
    early = [
        by_file["12-refunds-create-6101000002.json"],
        by_file["09-fulfillments-create-1002.1.json"],
    ]
    replay(store, early)
    waiting = list(WebhookDelivery.objects.order_by("pk"))
    assert [(d.status, d.order_ref) for d in waiting] == [
        (DeliveryStatus.WAITING, ORDER_1002),
        (DeliveryStatus.WAITING, ORDER_1002),
    ]
    assert not Order.objects.exists()
    # when
    replay(store, [by_file["08-orders-create-1002.json"]])
    # then
    order = Order.objects.get(external_id=ORDER_1002)
    assert order.refunded_amount == Decimal("79.00")
    assert order.shipments.get().status == ShipmentStatus.PENDING
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {
        DeliveryStatus.PROCESSED
    }
    assert WebhookDelivery.objects.get(pk=waiting[0].pk).attempts == 2


def test_a_repeated_webhook_id_is_recognised_and_not_stored_again(store):
    """Shopify retries with the same X-Shopify-Webhook-Id: the answer names the first delivery."""
    # given
    delivery = SEQUENCE[0]
    first = post_shopify(Client(), store, delivery.topic, delivery.body, webhook_id="abc-1")
    # when
    again = post_shopify(Client(), store, delivery.topic, delivery.body, webhook_id="abc-1")
    # then
    assert first.status_code == again.status_code == 200
    assert first.json() == {"id": first.json()["id"], "status": "processed", "duplicate": False}
    assert again.json() == {"id": first.json()["id"], "status": "processed", "duplicate": True}
    assert WebhookDelivery.objects.count() == 1
    assert WebhookDelivery.objects.get().attempts == 1


@pytest.mark.parametrize(
    ("slug", "secret", "signature", "code"),
    [
        ("demo", SHOPIFY_SECRET, "bm90IHRoZSBzaWduYXR1cmU=", "invalid_signature"),
        ("demo", SHOPIFY_SECRET, "", "invalid_signature"),
        ("demo", "", None, "webhook_not_configured"),
        ("elsewhere", SHOPIFY_SECRET, None, "unknown_store"),
    ],
)
def test_a_request_we_cannot_verify_is_401_and_stores_nothing(world, slug, secret, signature, code):
    """Bad or missing signature, a store without a Shopify secret, an unknown store: 401 with a
    code saying which, and nothing stored or changed."""
    # given
    world.store.shopify_secret = secret
    world.store.save()
    body = SEQUENCE[0].body
    # when
    response = Client().post(
        f"/api/v1/webhooks/shopify/{slug}",
        body,
        content_type="application/json",
        headers={
            "X-Shopify-Topic": "orders/create",
            "X-Shopify-Hmac-Sha256": sign(SHOPIFY_SECRET, body) if signature is None else signature,
        },
    )
    # then
    assert response.status_code == 401, response.content
    assert response.json()["code"] == code
    assert not WebhookDelivery.objects.exists()
    assert not Order.objects.exists()


def test_a_signature_made_with_another_secret_is_refused(store):
    """The HMAC is keyed with the store's secret: another app's secret does not verify."""
    body = SEQUENCE[0].body
    response = post_shopify(Client(), store, "orders/create", body, secret="shpss_other")
    assert response.status_code == 401
    assert not WebhookDelivery.objects.exists()


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"id": 6101000009, "total_price": "10.00",', "Expecting"),
        (b"[1, 2, 3]", "a JSON list"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b"", "Expecting value"),
    ],
)
def test_malformed_json_is_400_with_the_reason_and_stores_nothing(store, body, reason):
    """Correctly signed but not a JSON object: 400 `malformed_payload` with the parser's reason."""
    # when
    response = post_shopify(Client(), store, "orders/create", body)
    # then
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "malformed_payload"
    assert reason in response.json()["message"]
    assert not WebhookDelivery.objects.exists()


def test_an_unknown_topic_is_stored_as_ignored(store):
    """Topics we do not use are answered 200 and kept (ignored), so nothing is lost."""
    body = json.dumps({"id": 1, "title": "Linen dress"}).encode()
    response = post_shopify(Client(), store, "products/update", body)
    assert response.status_code == 200
    assert response.json()["status"] == "ignored"
    delivery = WebhookDelivery.objects.get()
    assert (delivery.topic, delivery.status, bytes(delivery.body)) == (
        "products/update",
        DeliveryStatus.IGNORED,
        body,
    )


def test_a_failure_is_answered_200_kept_with_its_error_and_retried_with_backoff(store, monkeypatch):
    """Processing that raises still answers 200 (retrying is our job): the delivery is failed
    with the error and one attempt; retry_failed_deliveries() leaves it alone until its
    backoff has passed, then processes it."""

    # given the upsert fails (a bug, a lock timeout …)
    def broken(store, data, **kwargs):
        raise RuntimeError("upsert exploded")

    monkeypatch.setattr(webhooks, "do_upsert_order", broken)
    delivery = SEQUENCE[0]
    # when
    response = post_shopify(Client(), store, delivery.topic, delivery.body, webhook_id="w-1")
    # then
    assert response.status_code == 200
    assert response.json()["status"] == "failed"
    failed = WebhookDelivery.objects.get()
    assert failed.status == DeliveryStatus.FAILED and failed.attempts == 1
    assert failed.error == "RuntimeError: upsert exploded"
    assert not Order.objects.exists()
    # when the cause is gone, but the backoff has not passed
    monkeypatch.undo()
    assert webhooks.retry_failed_deliveries(now=failed.updated_at + timedelta(seconds=30)) == 0
    # when it has
    assert webhooks.retry_failed_deliveries(now=failed.updated_at + timedelta(minutes=2)) == 1
    # then
    failed.refresh_from_db()
    assert (failed.status, failed.attempts, failed.error) == (DeliveryStatus.PROCESSED, 2, "")
    assert Order.objects.filter(external_id="6101000001").exists()


def test_a_platform_retry_of_a_failed_delivery_processes_it_again(store, monkeypatch):
    """Shopify retrying a delivery we failed on gets it processed at once (not stored twice)."""
    # given
    monkeypatch.setattr(webhooks, "do_upsert_order", lambda store, data, **kw: 1 / 0)
    delivery = SEQUENCE[0]
    post_shopify(Client(), store, delivery.topic, delivery.body, webhook_id="w-2")
    monkeypatch.undo()
    # when
    response = post_shopify(Client(), store, delivery.topic, delivery.body, webhook_id="w-2")
    # then
    assert response.json()["status"] == "processed" and response.json()["duplicate"]
    assert WebhookDelivery.objects.get().attempts == 2


def test_customers_update_renames_a_known_customer_and_ignores_strangers(store, world):
    """customers/update follows the platform's names for a customer we know; for one we do not
    know it creates nobody."""
    # given
    customer = {
        "id": 7301000001,
        "email": "Maria@Example.pl",
        "first_name": "Maria",
        "last_name": "Kowalska-Nowak",
        "phone": None,
        "default_address": {"country_code": "PL"},
    }
    stranger = {**customer, "email": "nobody@example.com"}
    # when
    known = post_shopify(Client(), store, "customers/update", json.dumps(customer).encode())
    unknown = post_shopify(Client(), store, "customers/update", json.dumps(stranger).encode())
    # then
    assert known.json()["status"] == "processed"
    assert unknown.json()["status"] == "ignored"
    world.maria.refresh_from_db()
    assert world.maria.name == "Maria Kowalska-Nowak"
    assert not Customer.objects.filter(identities__value="nobody@example.com").exists()


def test_orders_delete_keeps_the_order_counted_nowhere(store, world):
    """orders/delete marks the order deleted: it leaves the customer's figures."""
    # given
    replay(store, SEQUENCE[:1])
    # when
    response = post_shopify(Client(), store, "orders/delete", b'{"id": 6101000001}')
    # then
    assert response.json()["status"] == "processed"
    assert Order.objects.get().deleted_at is not None
    assert CustomerStats.objects.get(customer=world.maria).order_count == 0


def test_a_body_over_the_limit_is_413(store, monkeypatch):
    monkeypatch.setattr("zabota.api.webhooks.MAX_BODY_BYTES", 1000)
    response = post_shopify(Client(), store, "orders/create", b"{" + b" " * 2000 + b"}")
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert not WebhookDelivery.objects.exists()


def test_an_address_sending_bad_signatures_is_throttled(store):
    """After the documented number of failed signatures an address gets 429, even with a good
    signature, until the window passes."""
    client = Client()
    body = SEQUENCE[0].body
    for _ in range(WEBHOOK_SIGNATURE_FAILURES_PER_IP.max_hits):
        assert post_shopify(client, store, "orders/create", body, signature="x").status_code == 401
    response = post_shopify(client, store, "orders/create", body)
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert not WebhookDelivery.objects.exists()
