"""Per role: the API shows and changes exactly what the token's user could in the agent UI.
Tickets a user may not see are missing (404) for every operation, never forbidden."""

import pytest

from zabota.tickets.actions import check_assign, do_create_ticket
from zabota.tickets.models import Message, Ticket

JSON = "application/json"


def listed_ids(client):
    response = client.get("/api/v1/tickets")
    assert response.status_code == 200
    return {item["id"] for item in response.json()["items"]}


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "", None),
        ("patch", "", {"priority": "urgent"}),
        ("patch", "", {"assignee_id": "ANNA"}),
        ("post", "/merge", {"into": "MARIA_TICKET"}),
        ("post", "/confirm", None),
        ("get", "/messages", None),
        ("post", "/messages", {"kind": "reply", "body_text": "Hello Ivan"}),
        ("post", "/messages", {"kind": "note", "body_text": "Looks odd"}),
    ],
)
def test_agent_cannot_touch_a_ticket_of_another_group(world, api_as, method, path, body):
    """Anna (Support) gets 404 for everything on Ivan's Returns ticket, and nothing changes."""
    # given
    ivan_ticket = world.ivan_ticket
    if body:
        placeholders = {"ANNA": world.anna.pk, "MARIA_TICKET": world.maria_ticket.pk}
        body = {k: placeholders.get(v, v) for k, v in body.items()}
    # when
    call = getattr(api_as(world.anna), method)
    args = (body, JSON) if body is not None else ()
    response = call(f"/api/v1/tickets/{ivan_ticket.pk}{path}", *args)
    # then
    assert response.status_code == 404, response.content
    assert response.json()["code"] == "not_found"
    ivan_ticket.refresh_from_db()
    assert ivan_ticket.version == 1
    assert ivan_ticket.assignee is None and ivan_ticket.merged_into is None
    assert Message.objects.filter(ticket=ivan_ticket).count() == 1


def test_merging_into_an_invisible_ticket_is_not_found(world, api_as):
    """Anna cannot merge her own ticket into one she cannot see."""
    response = api_as(world.anna).post(
        f"/api/v1/tickets/{world.maria_ticket.pk}/merge", {"into": world.ivan_ticket.pk}, JSON
    )
    assert response.status_code == 404
    assert Ticket.objects.get(pk=world.maria_ticket.pk).merged_into is None


def test_agent_does_not_see_unassigned_tickets_where_the_group_hides_them(world, api_as):
    """Piotr (Returns, whose members don't see unassigned tickets) sees Ivan's ticket only once
    it is assigned in his group."""
    # given
    client = api_as(world.piotr)
    # then
    assert listed_ids(client) == set()
    assert client.get(f"/api/v1/tickets/{world.ivan_ticket.pk}").status_code == 404
    # when the lead assigns it to Piotr
    check_assign(world.ivan_ticket, assignee=world.piotr, group=world.returns, actor=world.lena)
    # then
    assert listed_ids(client) == {world.ivan_ticket.pk}
    assert client.get(f"/api/v1/tickets/{world.ivan_ticket.pk}").status_code == 200


def test_lead_sees_unassigned_tickets_of_led_groups(world, api_as):
    """Lena leads Returns and sees Ivan's unassigned ticket, and can act on it."""
    client = api_as(world.lena)
    assert listed_ids(client) == {world.maria_ticket.pk, world.ivan_ticket.pk}
    response = client.patch(
        f"/api/v1/tickets/{world.ivan_ticket.pk}", {"assignee_id": world.piotr.pk}, JSON
    )
    assert response.status_code == 200
    assert response.json()["assignee"]["id"] == world.piotr.pk


def test_admin_sees_every_ticket(world, api_as):
    """Ada sees all tickets, including one that no group has taken yet."""
    # given a ticket without a group
    world.store.default_group = None
    world.store.save()
    orphan = do_create_ticket(
        store=world.store, customer=world.ivan, subject="Hello?", body_text="?", actor=None
    )
    # then
    assert listed_ids(api_as(world.ada)) == {
        world.maria_ticket.pk,
        world.ivan_ticket.pk,
        orphan.pk,
    }
    assert orphan.pk not in listed_ids(api_as(world.anna))


def test_agent_sees_only_customers_of_visible_tickets(world, api_as):
    """Anna can look up Maria (her group's customer) but not Ivan."""
    client = api_as(world.anna)
    assert client.get(f"/api/v1/customers/{world.maria.pk}").status_code == 200
    assert client.get(f"/api/v1/customers/{world.ivan.pk}").status_code == 404
    listed = {c["id"] for c in client.get("/api/v1/customers").json()["items"]}
    assert listed == {world.maria.pk}
