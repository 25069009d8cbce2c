"""Orders through the API: push (idempotent, leads and admins), list, detail, a customer's
orders, the customers' figures — per role, with flat query counts."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from zabota.accounts.constants import Role
from zabota.accounts.models import Group
from zabota.commerce.constants import OrderStatus, Segment, Source
from zabota.commerce.models import CustomerSegment, CustomerStats, Order, SegmentSettings, Store
from zabota.commerce.sync import do_upsert_order
from zabota.commerce.tests.factories import T0, order_data
from zabota.conftest import make_user
from zabota.customers.actions import do_create_customer
from zabota.tickets.actions import do_create_ticket

JSON = "application/json"

PUSH = {
    "store": "demo",
    "external_id": "A-1001",
    "number": "1001",
    "currency": "eur",
    "total": "249.90",
    "placed_at": "2026-11-10T10:00:00+01:00",
    "updated_at": "2026-11-10T10:05:00+01:00",
    "financial_status": "paid",
    "customer": {"email": "Maria@Example.PL", "first_name": "Maria", "last_name": "Kowalska"},
    "lines": [
        {"title": "Linen dress", "sku": "LD-38", "variant": "38 / Sage", "price": "199.90"},
        {"title": "Belt", "quantity": 2, "price": 25},
    ],
    "shipments": [
        {
            "external_id": "S-1",
            "status": "in_transit",
            "carrier": "InPost",
            "tracking_number": "620000000000000000000000",
            "tracking_url": "https://inpost.pl/sledzenie-przesylek?number=620000000000000000000000",
        }
    ],
    "refunds": [{"external_id": "R-1", "amount": "25.00", "refunded_at": "2026-11-12T09:00:00Z"}],
    "returns": [
        {
            "external_id": "RET-1",
            "requested_at": "2026-11-11T12:00:00Z",
            "status": "received",
            "reason": "Too small",
            "lines": [{"sku": "BELT", "title": "Belt", "quantity": 1}],
        }
    ],
}


@pytest.fixture
def nord(world):
    """A second store with its own lead (Olaf) and agent (Kari)."""
    store = Store.objects.create(slug="nord", name="Nord", email="help@nord.example")
    olaf = make_user("olaf@example.com", "Olaf Lead", Role.LEAD)
    kari = make_user("kari@example.com", "Kari Agent")
    group = Group.objects.create(store=store, name="Nord support", lead=olaf)
    group.members.add(kari)
    return store, olaf, kari


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


def test_a_lead_pushes_an_order_created_then_updated(world, api_as):
    """201 with the whole order the first time, 200 after; one order; the customer is matched
    by e-mail whatever its case, and their figures are current in the answer's wake."""
    # given
    client = api_as(world.lena)
    # when
    created = client.post("/api/v1/orders", PUSH, JSON)
    again = client.post("/api/v1/orders", {**PUSH, "fulfillment_status": "fulfilled"}, JSON)
    # then
    assert created.status_code == 201, created.content
    assert again.status_code == 200, again.content
    body = created.json()
    assert body["source"] == "generic" and body["store"] == "demo"
    assert body["customer"] == {"id": world.maria.pk, "name": "Maria Kowalska"}
    assert (body["currency"], body["total"], body["refunded_amount"]) == ("EUR", "249.90", "25.00")
    assert body["financial_status"] == "partially_refunded"
    assert [(line["title"], line["quantity"], line["total"]) for line in body["lines"]] == [
        ("Linen dress", 1, "199.90"),
        ("Belt", 2, "50.00"),
    ]
    assert body["shipments"][0]["status"] == "in_transit"
    assert body["refunds"] == [
        {
            "external_id": "R-1",
            "amount": "25.00",
            "reason": "",
            "refunded_at": "2026-11-12T09:00:00Z",
        }
    ]
    assert body["returns"][0]["lines"] == [
        {"sku": "BELT", "title": "Belt", "quantity": 1, "reason": ""}
    ]
    assert again.json()["fulfillment_status"] == "fulfilled"
    assert Order.objects.count() == 1
    stats = CustomerStats.objects.get(store=world.store, customer=world.maria)
    assert (stats.lifetime_value, stats.order_count) == (Decimal("224.90"), 1)


def test_a_pushed_order_crossing_the_vip_threshold_shows_in_the_customer(world, api_as):
    """The push answers after the segments were recomputed: the customer look-up by e-mail
    returns the new lifetime value and the VIP segment."""
    # given
    SegmentSettings.objects.create(store=world.store, vip_threshold=Decimal("200"))
    client = api_as(world.ada)
    # when
    client.post("/api/v1/orders", PUSH, JSON)
    # then
    [customer] = client.get("/api/v1/customers?email=maria@example.pl").json()["items"]
    assert customer["lifetime_value"] == "224.90"
    assert customer["order_count"] == 1
    assert Segment.VIP in customer["segments"]


def test_an_agent_may_not_push_orders(world, api_as):
    response = api_as(world.anna).post("/api/v1/orders", PUSH, JSON)
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert not Order.objects.exists()


def test_a_lead_cannot_push_into_a_store_they_do_not_work_in(world, api_as, nord):
    response = api_as(world.lena).post("/api/v1/orders", {**PUSH, "store": "nord"}, JSON)
    assert response.status_code == 404
    assert not Order.objects.exists()


def test_the_admin_pushes_into_any_store(world, api_as, nord):
    response = api_as(world.ada).post("/api/v1/orders", {**PUSH, "store": "nord"}, JSON)
    assert response.status_code == 201
    assert Order.objects.get().store.slug == "nord"


@pytest.mark.parametrize(
    "change",
    [
        {"placed_at": "2026-11-10T10:00:00"},  # no offset: ambiguous
        {"total": "-1.00"},
        {"total": "10.001"},
        {"currency": "EURO"},
        {"external_id": ""},
        {"lines": [{"title": "Dress", "price": "10", "quantity": -1}]},
        {"financial_status": "maybe"},
    ],
)
def test_an_invalid_order_is_422_and_stores_nothing(world, api_as, change):
    response = api_as(world.lena).post("/api/v1/orders", {**PUSH, **change}, JSON)
    assert response.status_code == 422, response.content
    assert response.json()["code"] == "validation_error"
    assert not Order.objects.exists()


def test_an_older_push_changes_no_order_field(world, api_as):
    """A push whose updated_at is older than the stored order's is answered 200 with the stored
    state: integrations may retry out of order."""
    client = api_as(world.lena)
    client.post("/api/v1/orders", {**PUSH, "status": "closed"}, JSON)
    older = {**PUSH, "status": "open", "updated_at": "2026-11-10T10:01:00+01:00"}
    response = client.post("/api/v1/orders", older, JSON)
    assert response.status_code == 200
    assert response.json()["status"] == "closed"


def make_orders(world, nord_store):
    """Maria: two orders in demo (one cancelled), Ivan: one in demo, Maria: one in nord."""
    do_upsert_order(world.store, order_data("1001", placed_at=T0))
    do_upsert_order(
        world.store,
        order_data("1002", placed_at=T0 + timedelta(days=1), status=OrderStatus.CANCELLED),
    )
    do_upsert_order(
        world.store,
        order_data("1003", email="ivan@example.ru", placed_at=T0 + timedelta(days=2)),
    )
    do_upsert_order(nord_store, order_data("N-1", placed_at=T0 + timedelta(days=3)))
    return {o.external_id: o.pk for o in Order.objects.all()}


def test_list_per_role_and_filters(world, api_as, nord):
    """Admins see every store's orders, leads and agents those of their stores; newest first;
    filters by store, customer, status and number (with or without "#")."""
    # given
    store, _olaf, kari = nord
    orders = make_orders(world, store)
    demo = [orders["1003"], orders["1002"], orders["1001"]]
    # then
    assert ids(api_as(world.ada).get("/api/v1/orders")) == [orders["N-1"], *demo]
    assert ids(api_as(world.lena).get("/api/v1/orders")) == demo
    assert ids(api_as(world.anna).get("/api/v1/orders")) == demo
    assert ids(api_as(kari).get("/api/v1/orders")) == [orders["N-1"]]
    ada = api_as(world.ada)
    assert ids(ada.get("/api/v1/orders?store=nord")) == [orders["N-1"]]
    assert ids(ada.get(f"/api/v1/orders?customer={world.ivan.pk}")) == [orders["1003"]]
    assert ids(ada.get("/api/v1/orders?status=cancelled")) == [orders["1002"]]
    assert ids(ada.get("/api/v1/orders?number=1001")) == [orders["1001"]]
    assert ids(ada.get("/api/v1/orders?number=%231001")) == [orders["1001"]]
    assert api_as(world.lena).get("/api/v1/orders?store=nord").status_code == 404


def test_list_paginates_newest_first(world, api_as):
    for i in range(7):
        do_upsert_order(world.store, order_data(f"P-{i}", placed_at=T0 + timedelta(hours=i)))
    client = api_as(world.lena)
    seen, cursor = [], ""
    while True:
        body = client.get(f"/api/v1/orders?limit=3&cursor={cursor}").json()
        seen += [item["external_id"] for item in body["items"]]
        if body["next"] is None:
            break
        cursor = body["next"]
    assert seen == [f"P-{i}" for i in reversed(range(7))]
    assert client.get("/api/v1/orders?cursor=bogus").json()["code"] == "invalid_cursor"


def test_detail_per_role(world, api_as, nord):
    """An agent reads an order of their store; an order of another store is missing."""
    store, _olaf, kari = nord
    orders = make_orders(world, store)
    response = api_as(world.anna).get(f"/api/v1/orders/{orders['1001']}")
    assert response.status_code == 200
    body = response.json()
    assert body["number"] == "#1001" and body["lines"][0]["sku"] == "LD-1"
    assert body["shipping_address"] == {} and body["shipments"] == []
    missing = api_as(kari).get(f"/api/v1/orders/{orders['1001']}")
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")


def test_customer_orders(world, api_as, nord):
    """A customer's orders in the stores the user works in; a customer they cannot see is 404."""
    store, olaf, kari = nord
    orders = make_orders(world, store)
    url = f"/api/v1/customers/{world.maria.pk}/orders"
    assert ids(api_as(world.ada).get(url)) == [orders["N-1"], orders["1002"], orders["1001"]]
    assert ids(api_as(world.lena).get(url)) == [orders["1002"], orders["1001"]]
    assert api_as(kari).get(url).status_code == 404  # Kari sees no ticket of Maria's
    assert ids(api_as(olaf).get(url)) == [orders["N-1"]]


def test_customer_figures_for_the_chosen_store(world, api_as, nord):
    """`lifetime_value`, `order_count` and `segments` are those of `store` (default: the user's
    first store); `stores` lists every visible store where the customer has figures."""
    # given
    store, _olaf, _kari = nord
    # VIP from 50 €; "new" and "dormant" switched off, so the result does not depend on today
    SegmentSettings.objects.create(
        store=world.store, vip_threshold=50, new_days=0, dormant_days=30000
    )
    make_orders(world, store)
    ada = api_as(world.ada)
    # when
    default = ada.get(f"/api/v1/customers/{world.maria.pk}").json()
    in_nord = ada.get(f"/api/v1/customers/{world.maria.pk}?store=nord").json()
    listed = ada.get("/api/v1/customers?email=maria@example.pl&store=nord").json()["items"][0]
    for_lena = api_as(world.lena).get(f"/api/v1/customers/{world.maria.pk}").json()
    # then
    assert (default["lifetime_value"], default["order_count"]) == ("100.00", 1)
    assert default["segments"] == [Segment.VIP]
    assert (in_nord["lifetime_value"], in_nord["order_count"]) == ("100.00", 1)
    assert listed["stores"] == in_nord["stores"]
    assert [s["store"] for s in default["stores"]] == ["demo", "nord"]
    assert default["stores"][0] == {
        "store": "demo",
        "currency": "EUR",
        "lifetime_value": "100.00",
        "order_count": 1,
        "average_order_value": "100.00",
        "first_order_at": "2026-10-01T12:00:00Z",
        "last_order_at": "2026-10-01T12:00:00Z",
        "return_rate": "0.0000",
        "segments": ["vip"],
    }
    assert [s["store"] for s in for_lena["stores"]] == ["demo"]
    assert (
        api_as(world.lena).get(f"/api/v1/customers/{world.maria.pk}?store=nord").status_code == 404
    )


def test_a_customer_without_orders_has_zero_figures(world, api_as):
    body = api_as(world.lena).get(f"/api/v1/customers/{world.ivan.pk}").json()
    assert (body["lifetime_value"], body["order_count"], body["segments"], body["stores"]) == (
        "0.00",
        0,
        [],
        [],
    )


def test_customer_list_costs_the_same_queries_for_many_customers(world, api_as):
    """Figures and segments are loaded per page, not per customer."""
    client = api_as(world.lena)

    def with_orders(first: int, n: int) -> None:
        for i in range(first, first + n):
            email = f"buyer{i}@example.com"
            customer = do_create_customer(
                display_name=f"Buyer {i}", identities=[("email", email)], actor=None
            )
            do_create_ticket(
                store=world.store, customer=customer, subject="Hi", body_text="Hi", actor=None
            )
            do_upsert_order(world.store, order_data(f"B-{i}", email=email))
            CustomerSegment.objects.get_or_create(
                store=world.store, customer=customer, segment="vip"
            )

    with_orders(0, 2)
    client.get("/api/v1/customers")  # the token is looked up once, then cached
    with CaptureQueriesContext(connection) as few:
        assert len(ids(client.get("/api/v1/customers?limit=100"))) == 4
    with_orders(2, 20)
    with CaptureQueriesContext(connection) as many:
        assert len(ids(client.get("/api/v1/customers?limit=100"))) == 24
    assert len(many.captured_queries) == len(few.captured_queries)


def test_order_list_costs_the_same_queries_for_many_orders(world, api_as):
    client = api_as(world.lena)
    for i in range(2):
        do_upsert_order(world.store, order_data(f"Q-{i}", email=f"q{i}@example.com"))
    client.get("/api/v1/orders")  # the token is looked up once, then cached
    with CaptureQueriesContext(connection) as few:
        assert len(ids(client.get("/api/v1/orders?limit=100"))) == 2
    for i in range(2, 30):
        do_upsert_order(world.store, order_data(f"Q-{i}", email=f"q{i}@example.com"))
    with CaptureQueriesContext(connection) as many:
        assert len(ids(client.get("/api/v1/orders?limit=100"))) == 30
    assert len(many.captured_queries) == len(few.captured_queries)


def test_pushing_with_a_platform_source_updates_the_webhook_order(world, api_as):
    """`source` names whose external ids these are: shopify updates the order Shopify webhooks
    also send."""
    do_upsert_order(world.store, order_data("6101000001", source=Source.SHOPIFY))
    response = api_as(world.lena).post(
        "/api/v1/orders",
        {**PUSH, "external_id": "6101000001", "source": "shopify", "updated_at": None},
        JSON,
    )
    assert response.status_code == 200, response.content
    assert Order.objects.count() == 1
