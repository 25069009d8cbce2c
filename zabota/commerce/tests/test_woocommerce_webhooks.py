"""WooCommerce webhooks end to end: the ping, signatures, and a recorded sequence
(data/woocommerce/) that converges whatever order and however often it arrives."""

import json
import random
from decimal import Decimal

import pytest
from django.db import transaction
from django.test import Client

from zabota.commerce.constants import (
    DeliveryStatus,
    FinancialStatus,
    FulfillmentStatus,
    OrderStatus,
)
from zabota.commerce.models import CustomerStats, Order, WebhookDelivery
from zabota.commerce.tests.webhook_support import (
    WOOCOMMERCE_SECRET,
    Recorded,
    post_woocommerce,
    recorded,
    sign,
    snapshot,
)
from zabota.customers.models import Customer, Identity

pytestmark = pytest.mark.django_db

SEQUENCE = recorded("woocommerce")


@pytest.fixture
def store(world):
    world.store.woocommerce_secret = WOOCOMMERCE_SECRET
    world.store.save()
    return world.store


def replay(store, deliveries: list[Recorded], *, id_suffix: str = "") -> None:
    # As a platform posts: no session, no CSRF token.
    client = Client(enforce_csrf_checks=True)
    for delivery in deliveries:
        response = post_woocommerce(
            client,
            store,
            delivery.topic,
            delivery.body,
            delivery_id=delivery.webhook_id + id_suffix,
        )
        assert response.status_code == 200, (delivery.file, response.content)


def state_after(store, *passes: tuple[list[Recorded], str]) -> dict:
    with transaction.atomic():
        for deliveries, suffix in passes:
            replay(store, deliveries, id_suffix=suffix)
        assert not WebhookDelivery.objects.exclude(status=DeliveryStatus.PROCESSED).exists()
        state = snapshot(store)
        transaction.set_rollback(True)
    return state


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_replay_out_of_order_and_twice_equals_replay_in_order(store, seed):
    """Shuffled and replayed twice (the second time under new delivery ids), the recorded
    sequence — deletion and trash included — ends in the state of one replay in order."""
    expected = state_after(store, (SEQUENCE, ""))
    rng = random.Random(seed)
    first, second = rng.sample(SEQUENCE, len(SEQUENCE)), rng.sample(SEQUENCE, len(SEQUENCE))
    assert state_after(store, (first, ""), (second, "-again")) == expected


def test_replay_in_order_yields_the_recorded_business(store, world):
    """Maria's completed, partly refunded card order and her trashed test order; Zsófia's bank
    transfer paid then refunded, and her unpaid order cancelled then deleted."""
    # when
    replay(store, SEQUENCE)
    # then
    orders = {o.external_id: o for o in Order.objects.filter(store=store)}
    completed, refunded, cancelled, trashed = (orders[k] for k in ("4711", "4712", "4713", "4714"))
    assert completed.customer == world.maria
    assert (completed.status, completed.financial_status, completed.fulfillment_status) == (
        OrderStatus.CLOSED,
        FinancialStatus.PARTIALLY_REFUNDED,
        FulfillmentStatus.FULFILLED,
    )
    assert (completed.total, completed.discount_total, completed.shipping_total) == (
        Decimal("141.64"),
        Decimal("18.60"),
        Decimal("12.00"),
    )
    assert (completed.discount_codes, completed.shipping_method) == ("AUTUMN15", "Flat rate")
    assert [
        (line.sku, line.variant, line.quantity, line.price, line.total)
        for line in completed.lines.order_by("pk")
    ] == [
        ("LT-38-SAND", "38 / Sand", 1, Decimal("99.00"), Decimal("80.40")),
        ("CS-3942", "39-42", 2, Decimal("12.50"), Decimal("25.00")),
    ]
    [refund] = completed.refunds.all()
    assert (refund.external_id, refund.amount, refund.reason) == (
        "4790",
        Decimal("20.00"),
        "Damaged button",
    )
    # dated by the first report that listed it
    assert refund.refunded_at.isoformat() == "2026-11-10T15:45:30+00:00"
    assert refunded.financial_status == FinancialStatus.REFUNDED
    assert refunded.refunded_amount == refunded.total == Decimal("82.35")
    assert cancelled.status == OrderStatus.CANCELLED and cancelled.deleted_at is not None
    assert trashed.deleted_at is not None
    zsofia = Customer.objects.get(identities__value="zsofia.toth@example.hu")
    assert Identity.objects.filter(customer=zsofia, kind="phone", value="+36309876543").exists()
    assert zsofia.name == "Zsófia Tóth"
    maria = CustomerStats.objects.get(store=store, customer=world.maria)
    assert (maria.lifetime_value, maria.order_count) == (Decimal("121.64"), 1)
    stats = CustomerStats.objects.get(store=store, customer=zsofia)
    assert (stats.lifetime_value, stats.order_count) == (Decimal("0.00"), 1)


def test_order_deleted_before_the_order_waits_and_the_order_stays_deleted(store):
    """order.deleted for an order we do not have yet waits for it; the late order.created
    cannot bring it back."""
    # given
    by_file = {d.file: d for d in SEQUENCE}
    deleted = next(d for d in SEQUENCE if d.topic == "order.deleted")
    replay(store, [deleted])
    assert WebhookDelivery.objects.get().status == DeliveryStatus.WAITING
    # when
    replay(store, [by_file["08-order-created-4713.json"]])
    # then
    assert Order.objects.get(external_id="4713").deleted_at is not None
    assert WebhookDelivery.objects.get(topic="order.deleted").status == DeliveryStatus.PROCESSED


def test_the_ping_is_answered_200_and_stores_nothing(store):
    """WooCommerce's unsigned `webhook_id=N` POST when a webhook is saved."""
    response = Client().post(
        f"/api/v1/webhooks/woocommerce/{store.slug}",
        "webhook_id=12",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200, response.content
    assert response.json() == {"id": None, "status": None, "duplicate": False}
    assert not WebhookDelivery.objects.exists()


def test_a_ping_for_a_store_without_a_secret_is_401(world):
    """The ping already tells the admin when the URL or the secret is wrong."""
    client = Client()
    form = "application/x-www-form-urlencoded"
    no_secret = client.post("/api/v1/webhooks/woocommerce/demo", "webhook_id=12", content_type=form)
    unknown = client.post("/api/v1/webhooks/woocommerce/nope", "webhook_id=12", content_type=form)
    assert (no_secret.status_code, no_secret.json()["code"]) == (401, "webhook_not_configured")
    assert (unknown.status_code, unknown.json()["code"]) == (401, "unknown_store")


@pytest.mark.parametrize(
    ("signature", "code"),
    [("", "invalid_signature"), ("c2lnbmF0dXJl", "invalid_signature"), (None, None)],
)
def test_signatures(store, signature, code):
    """X-WC-Webhook-Signature must be base64(HMAC-SHA256(secret, body)); otherwise 401 and
    nothing stored."""
    body = SEQUENCE[0].body
    response = post_woocommerce(Client(), store, "order.created", body, signature=signature)
    if code is None:
        assert response.status_code == 200
        assert WebhookDelivery.objects.count() == 1
    else:
        assert response.status_code == 401
        assert response.json()["code"] == code
        assert not WebhookDelivery.objects.exists() and not Order.objects.exists()


def test_a_signed_body_that_is_not_a_json_object_is_400(store):
    body = b'"order"'
    response = post_woocommerce(Client(), store, "order.created", body)
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_payload"
    assert "a JSON str" in response.json()["message"]
    assert not WebhookDelivery.objects.exists()


def test_a_form_body_with_a_topic_is_not_a_ping(store):
    """Only a topic-less `webhook_id=N` is the ping; with a topic it must be signed JSON."""
    body = b"webhook_id=12"
    response = post_woocommerce(Client(), store, "order.created", body, signature="")
    assert response.status_code == 401
    response = post_woocommerce(Client(), store, "order.created", body)
    assert response.status_code == 400


def test_action_topics_are_ignored(store):
    body = json.dumps({"action": "woocommerce_add_to_cart", "arg": "9f61…"}).encode()
    response = post_woocommerce(Client(), store, "action.woocommerce_add_to_cart", body)
    assert response.json()["status"] == "ignored"


def test_signature_uses_the_raw_bytes(store):
    """Re-encoding the same JSON (other spacing) breaks the signature: we verify raw bytes."""
    body = SEQUENCE[0].body
    reencoded = json.dumps(json.loads(body)).encode()
    response = post_woocommerce(
        Client(), store, "order.created", reencoded, signature=sign(WOOCOMMERCE_SECRET, body)
    )
    assert response.status_code == 401
