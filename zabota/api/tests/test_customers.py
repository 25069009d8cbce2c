"""Customer endpoints: search, e-mail look-up, detail, create with identities, merge."""

from zabota.api.tests.conftest import make_ticket
from zabota.customers.actions import do_create_customer
from zabota.customers.models import Customer
from zabota.tickets.models import Ticket

JSON = "application/json"


def ids(response):
    assert response.status_code == 200, response.content
    return [c["id"] for c in response.json()["items"]]


def test_search_and_email_lookup(world, api_as):
    """`q` finds by name prefix (diacritics and Cyrillic included); `email` is an exact identity
    match in any letter case."""
    # given
    zofia = do_create_customer(
        first_name="Zofia",
        last_name="Żółkiewska",
        identities=[("email", "zofia@example.pl")],
        actor=None,
    )
    oleg = do_create_customer(
        display_name="Олег Смирнов", identities=[("email", "oleg@example.ru")], actor=None
    )
    client = api_as(world.lena)
    # then
    assert ids(client.get("/api/v1/customers?q=kowal")) == [world.maria.pk]
    assert ids(client.get("/api/v1/customers?q=Żółk")) == [zofia.pk]
    assert ids(client.get("/api/v1/customers?q=смирн")) == [oleg.pk]
    assert ids(client.get("/api/v1/customers?email=MARIA@Example.PL")) == [world.maria.pk]
    assert ids(client.get("/api/v1/customers?email=maria@example")) == []
    assert ids(client.get("/api/v1/customers?email=nobody@example.pl")) == []


def test_customer_list_paginates_by_name(world, api_as):
    """The list is ordered by name and walks every customer once."""
    # given
    for name in ("Béla Kovács", "Anna Nowak", "Zsófia Tóth", "Ольга Иванова"):
        do_create_customer(display_name=name, actor=None)
    client = api_as(world.ada)
    # when
    seen, cursor = [], ""
    while True:
        body = client.get(f"/api/v1/customers?limit=2&cursor={cursor}").json()
        seen += [c["display_name"] for c in body["items"]]
        if not body["next"]:
            break
        cursor = body["next"]
    # then
    assert seen == sorted(Customer.objects.values_list("display_name", flat=True))
    assert len(seen) == 6


def test_customer_detail(world, api_as):
    """The detail shows identities and the number of tickets the user can see."""
    make_ticket(world, customer=world.maria, subject="Second question")
    body = api_as(world.anna).get(f"/api/v1/customers/{world.maria.pk}").json()
    assert body["name"] == "Maria Kowalska"
    assert body["identities"] == [{"kind": "email", "value": "maria@example.pl", "verified": False}]
    assert body["ticket_count"] == 2


def test_create_customer_normalises_identities(world, api_as):
    """Identities are stored in canonical form; one already taken is a 409 conflict."""
    # given
    client = api_as(world.anna)
    payload = {
        "first_name": "Kovács",
        "last_name": "Béla",
        "display_name": "Kovács Béla",
        "language": "hu",
        "identities": [
            {"kind": "email", "value": " Bela.Kovacs@Example.HU "},
            {"kind": "phone", "value": "+36 30 123 4567"},
        ],
    }
    # when
    created = client.post("/api/v1/customers", payload, JSON)
    duplicate = client.post(
        "/api/v1/customers",
        {"identities": [{"kind": "email", "value": "bela.kovacs@example.hu"}]},
        JSON,
    )
    invalid = client.post(
        "/api/v1/customers", {"identities": [{"kind": "phone", "value": "12"}]}, JSON
    )
    # then
    assert created.status_code == 201, created.content
    assert created.json()["name"] == "Kovács Béla"
    assert {(i["kind"], i["value"]) for i in created.json()["identities"]} == {
        ("email", "bela.kovacs@example.hu"),
        ("phone", "+36301234567"),
    }
    assert duplicate.status_code == 409
    assert duplicate.json()["code"] == "identity_taken"
    assert invalid.status_code == 400
    assert invalid.json()["code"] == "invalid_identity"
    assert Customer.objects.count() == 3


def test_lead_merges_duplicate_customers(world, api_as):
    """Merging moves identities and tickets to the survivor; the merged one disappears."""
    # given a duplicate of Maria who wrote from another address
    duplicate = do_create_customer(
        first_name="Maria", identities=[("email", "m.kowalska@work.example")], actor=None
    )
    dup_ticket = make_ticket(world, customer=duplicate)
    # when
    response = api_as(world.lena).post(
        f"/api/v1/customers/{duplicate.pk}/merge", {"into": world.maria.pk}, JSON
    )
    # then
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] == world.maria.pk
    assert {i["value"] for i in body["identities"]} == {
        "maria@example.pl",
        "m.kowalska@work.example",
    }
    assert body["ticket_count"] == 2
    assert Ticket.objects.get(pk=dup_ticket.pk).customer == world.maria
    assert api_as(world.lena).get(f"/api/v1/customers/{duplicate.pk}").status_code == 404


def test_agent_may_not_merge_customers(world, api_as):
    """Anna sees both customers but merging is for leads and admins: 403 `permission_denied`."""
    # given
    duplicate = do_create_customer(first_name="Maria", actor=None)
    make_ticket(world, customer=duplicate)
    # when
    response = api_as(world.anna).post(
        f"/api/v1/customers/{duplicate.pk}/merge", {"into": world.maria.pk}, JSON
    )
    # then
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    duplicate.refresh_from_db()
    assert duplicate.merged_into is None
