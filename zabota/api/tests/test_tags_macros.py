"""Tags and macros of the user's stores; macro text rendered for a ticket."""

from zabota.commerce.models import Store
from zabota.tickets.actions import get_or_create_tag
from zabota.tickets.models import Macro, MacroText, Tag

JSON = "application/json"


def test_create_and_list_tags(world, api_as):
    """Tags are created in the user's store in canonical form; creating one twice returns it."""
    # given
    client = api_as(world.anna)
    # when
    first = client.post("/api/v1/tags", {"name": "Late  Delivery"}, JSON)
    again = client.post("/api/v1/tags", {"store": "demo", "name": "late delivery"}, JSON)
    for name in ("damaged", "wrong-size", "chargeback"):
        client.post("/api/v1/tags", {"name": name}, JSON)
    # then
    assert first.status_code == 201
    assert first.json() == {
        "id": first.json()["id"],
        "name": "late delivery",
        "color": "#64748b",
        "store": "demo",
    }
    assert again.json()["id"] == first.json()["id"]
    page1 = client.get("/api/v1/tags?limit=3").json()
    page2 = client.get(f"/api/v1/tags?limit=3&cursor={page1['next']}").json()
    names = [t["name"] for t in page1["items"] + page2["items"]]
    assert names == ["chargeback", "damaged", "late delivery", "wrong-size"]
    assert page2["next"] is None


def test_tags_of_other_stores_are_invisible(world, api_as):
    """Agents see and create tags only in stores they work in."""
    # given
    other = Store.objects.create(slug="other", name="Other", email="help@other.example")
    get_or_create_tag(other, "secret")
    client = api_as(world.anna)
    # then
    assert [t["name"] for t in client.get("/api/v1/tags").json()["items"]] == []
    assert client.post("/api/v1/tags", {"store": "other", "name": "x"}, JSON).status_code == 404
    assert not Tag.objects.filter(name="x").exists()
    admin_names = [t["name"] for t in api_as(world.ada).get("/api/v1/tags").json()["items"]]
    assert admin_names == ["secret"]


def make_macro(world, *, body, store="demo"):
    macro = Macro.objects.create(store=world.store if store else None, name="Shipping delay")
    macro.add_tags.add(get_or_create_tag(world.store, "late-delivery"))
    MacroText.objects.create(macro=macro, language="en", body=body)
    MacroText.objects.create(macro=macro, language="pl", body="Dzień dobry " + body)
    return macro


def test_list_macros(world, api_as):
    """Macros show their store, follow-up status, tags and languages."""
    # given
    macro = make_macro(world, body="Hi")
    Macro.objects.create(name="Inactive", is_active=False)
    # when
    body = api_as(world.anna).get("/api/v1/macros").json()
    # then
    assert body == {
        "items": [
            {
                "id": macro.pk,
                "name": "Shipping delay",
                "store": "demo",
                "set_status": None,
                "add_tags": ["late-delivery"],
                "languages": ["en", "pl"],
            }
        ],
        "next": None,
    }


def test_render_macro_for_a_ticket(world, api_as):
    """Variables are filled in from the customer, ticket and agent."""
    # given
    macro = make_macro(
        world,
        body="Hello {{ customer.first_name }}, about #{{ ticket.number }}: {{ agent.name }}.",
    )
    url = f"/api/v1/macros/{macro.pk}/render?ticket_id={world.maria_ticket.pk}"
    # when
    response = api_as(world.anna).get(url)
    # then
    assert response.status_code == 200
    assert response.json() == {
        "macro_id": macro.pk,
        "ticket_id": world.maria_ticket.pk,
        "text": f"Hello Maria, about #{world.maria_ticket.number}: Anna Agent.",
    }


def test_render_for_an_invisible_ticket_is_not_found(world, api_as):
    macro = make_macro(world, body="Hi {{ customer.name }}")
    url = f"/api/v1/macros/{macro.pk}/render?ticket_id={world.ivan_ticket.pk}"
    response = api_as(world.anna).get(url)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_broken_macro_is_reported(world, api_as):
    """A macro text with a template error is a 400 `macro_invalid`, not a server error."""
    macro = make_macro(world, body="Hi {% if %}")
    url = f"/api/v1/macros/{macro.pk}/render?ticket_id={world.maria_ticket.pk}"
    response = api_as(world.anna).get(url)
    assert response.status_code == 400
    assert response.json()["code"] == "macro_invalid"
