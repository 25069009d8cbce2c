"""The ticket endpoints: list with filters and cursor pagination, create, read, change, merge,
confirm."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from zabota.api.schemas.common import PriorityName, priority_name, priority_value
from zabota.api.tests.conftest import make_ticket
from zabota.customers.models import Customer, Identity
from zabota.tickets.actions import (
    check_assign,
    check_change_status,
    check_change_tags,
    get_or_create_tag,
)
from zabota.tickets.constants import MessageKind, Priority, Status
from zabota.tickets.models import Ticket, TicketEvent

JSON = "application/json"


def ids(response):
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


def test_ticket_representation(world, api_as):
    """A ticket row names its store, priority and tags, and refers to customer, assignee, group."""
    # given
    ticket = world.maria_ticket
    tag = get_or_create_tag(world.store, "late-delivery")
    check_change_tags(ticket, add=[tag], actor=world.lena)
    check_assign(ticket, assignee=world.anna, group=world.support, actor=world.lena)
    # when
    listed = api_as(world.lena).get(f"/api/v1/tickets?customer={world.maria.pk}").json()
    detail = api_as(world.lena).get(f"/api/v1/tickets/{ticket.pk}").json()
    # then
    assert listed["items"] == [detail]
    assert detail["number"] == ticket.number
    assert detail["store"] == "demo"
    assert detail["status"] == "open"  # taking a new ticket opens it
    assert detail["priority"] == "normal"
    assert detail["channel"] == "email"
    assert detail["customer"] == {"id": world.maria.pk, "name": "Maria Kowalska"}
    assert detail["assignee"] == {"id": world.anna.pk, "name": "Anna Agent"}
    assert detail["group"] == {"id": world.support.pk, "name": "Support"}
    assert detail["tags"] == ["late-delivery"]
    assert detail["message_count"] == 1
    assert detail["preview"] == "Ordered a week ago."
    assert detail["merged_into"] is None
    assert detail["version"] == 3
    assert {"created_at", "updated_at", "last_activity_at", "first_reply_at", "solved_at"} <= set(
        detail
    )


def test_priority_names_cover_every_priority():
    """Every stored priority has an API name and back."""
    for value in Priority.values:
        assert priority_value(priority_name(value)) == value
    assert [priority_value(n) for n in PriorityName] == sorted(Priority.values)


def test_filters(world, api_as):
    """Each filter narrows the list to matching tickets."""
    # given
    tag = get_or_create_tag(world.store, "damaged")
    urgent = make_ticket(
        world, subject="Broken vase", priority=Priority.URGENT, channel="chat", tags=[tag]
    )
    check_assign(urgent, assignee=world.anna, group=world.support, actor=world.lena)
    check_change_status(world.maria_ticket, status=Status.AWAITING_CONFIRMATION, actor=world.lena)
    client = api_as(world.lena)
    everything = {world.maria_ticket.pk, world.ivan_ticket.pk, urgent.pk}
    # then
    assert set(ids(client.get("/api/v1/tickets"))) == everything
    assert ids(client.get("/api/v1/tickets?priority=urgent")) == [urgent.pk]
    assert ids(client.get("/api/v1/tickets?channel=chat")) == [urgent.pk]
    assert ids(client.get(f"/api/v1/tickets?tag={tag.pk}")) == [urgent.pk]
    assert ids(client.get(f"/api/v1/tickets?assignee={world.anna.pk}")) == [urgent.pk]
    assert ids(client.get(f"/api/v1/tickets?group={world.returns.pk}")) == [world.ivan_ticket.pk]
    assert ids(client.get(f"/api/v1/tickets?customer={world.ivan.pk}")) == [world.ivan_ticket.pk]
    assert ids(client.get("/api/v1/tickets?status=awaiting_confirmation")) == [
        world.maria_ticket.pk
    ]
    assert ids(client.get("/api/v1/tickets?view=awaiting")) == [world.maria_ticket.pk]
    assert ids(client.get("/api/v1/tickets?view=unassigned")) == [
        world.ivan_ticket.pk,
        world.maria_ticket.pk,
    ]
    assert ids(api_as(world.anna).get("/api/v1/tickets?view=mine")) == [urgent.pk]
    assert set(ids(client.get("/api/v1/tickets?store=demo"))) == everything
    assert set(ids(client.get(f"/api/v1/tickets?store={world.store.pk}"))) == everything


def test_cursor_pagination_walks_every_ticket_once(world, api_as):
    """Following `next` visits every ticket exactly once, in order, and ends with null."""
    # given 12 tickets in all
    for i in range(10):
        make_ticket(world, subject=f"Question {i}", priority=[10, 20, 30, 40][i % 4])
    client = api_as(world.ada)
    for sort, key in (
        ("activity", lambda t: (t.last_activity_at, t.pk)),
        ("oldest", lambda t: (-t.created_at.timestamp(), -t.pk)),
        ("priority", lambda t: (t.priority, t.last_activity_at, t.pk)),
    ):
        # when
        seen, cursor, pages = [], "", 0
        while True:
            body = client.get(f"/api/v1/tickets?sort={sort}&limit=5&cursor={cursor}").json()
            seen += [item["id"] for item in body["items"]]
            pages += 1
            if body["next"] is None:
                break
            cursor = body["next"]
        # then
        expected = [t.pk for t in sorted(Ticket.objects.all(), key=key, reverse=True)]
        assert seen == expected, sort
        assert pages == 3


def test_list_runs_a_constant_number_of_queries(world, api_as, django_assert_max_num_queries):
    """The inbox list costs the same few queries for 3 tickets as for 40 (no query per row)."""
    # given a lead (the costliest visibility rule) and tickets with tags and assignees
    client = api_as(world.lena)
    tag = get_or_create_tag(world.store, "vip")
    make_ticket(world, tags=[tag])
    with CaptureQueriesContext(connection) as few:
        assert len(ids(client.get("/api/v1/tickets?limit=100"))) == 3
    for i in range(37):
        ticket = make_ticket(world, subject=f"Bulk {i}", tags=[tag])
        if i % 2:
            check_assign(ticket, assignee=world.anna, group=world.support, actor=world.lena)
    # when / then
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(ids(client.get("/api/v1/tickets?limit=100"))) == 40
    with django_assert_max_num_queries(8):
        client.get("/api/v1/tickets?limit=100")


def test_create_ticket_by_customer_email_reuses_the_customer(world, api_as):
    """The e-mail finds the customer whatever its letter case; a new one is created only once."""
    # given
    client = api_as(world.anna)
    payload = {
        "customer_email": "Olga.Nowak@Example.com",
        "customer_name": "Olga Nowak",
        "subject": "Invoice",
        "body_text": "Please send me an invoice.",
        "tags": ["Invoice  request"],
        "priority": "high",
    }
    # when
    first = client.post("/api/v1/tickets", payload, JSON)
    second = client.post(
        "/api/v1/tickets", {**payload, "customer_email": "olga.nowak@EXAMPLE.COM"}, JSON
    )
    # then
    assert first.status_code == 201 and second.status_code == 201
    assert first.json()["customer"] == second.json()["customer"]
    assert first.json()["customer"]["name"] == "Olga Nowak"
    assert Identity.objects.filter(value="olga.nowak@example.com").count() == 1
    ticket = Ticket.objects.get(pk=first.json()["id"])
    assert ticket.store == world.store  # the only store Anna works in
    assert ticket.channel == "api"
    assert ticket.priority == Priority.HIGH
    assert ticket.group == world.support
    assert list(ticket.tags.values_list("name", flat=True)) == ["invoice request"]
    assert ticket.messages.get().kind == MessageKind.CUSTOMER


def test_create_outbound_ticket_assigned_in_a_group(world, api_as):
    """An agent writes first (`from_agent`) and files the ticket with an assignee."""
    # when
    response = api_as(world.lena).post(
        "/api/v1/tickets",
        {
            "store": "demo",
            "customer_id": world.ivan.pk,
            "subject": "Your return label",
            "body_html": "<p>Here is <b>your label</b>.<script>alert(1)</script></p>",
            "group_id": world.returns.pk,
            "assignee_id": world.piotr.pk,
            "from_agent": True,
        },
        JSON,
    )
    # then
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "pending"  # waiting on the customer
    assert body["assignee"]["id"] == world.piotr.pk
    assert body["group"]["id"] == world.returns.pk
    message = Ticket.objects.get(pk=body["id"]).messages.get()
    assert message.kind == MessageKind.AGENT and message.author_user == world.lena
    assert "<script>" not in message.body_html and "<b>your label</b>" in message.body_html


def test_refused_create_leaves_nothing_behind(world, api_as):
    """An assignee outside the chosen group refuses the ticket; the new customer and tag are
    rolled back with it."""
    # when
    response = api_as(world.lena).post(
        "/api/v1/tickets",
        {
            "customer_email": "ghost@example.com",
            "body_text": "Hello",
            "tags": ["ghost-tag"],
            "group_id": world.support.pk,
            "assignee_id": world.piotr.pk,
        },
        JSON,
    )
    # then
    assert response.status_code == 400
    assert response.json()["code"] == "assignee_not_in_group"
    assert not Identity.objects.filter(value="ghost@example.com").exists()
    assert not world.store.tags.filter(name="ghost-tag").exists()
    assert Ticket.objects.count() == 2


def test_agent_cannot_file_a_ticket_into_another_group(world, api_as):
    """Anna works in Support: she may not hand a new ticket to Returns."""
    response = api_as(world.anna).post(
        "/api/v1/tickets",
        {"customer_id": world.maria.pk, "body_text": "Hi", "group_id": world.returns.pk},
        JSON,
    )
    assert response.status_code == 403
    assert response.json()["code"] == "assign_not_allowed"


def test_create_needs_exactly_one_customer_and_a_body(world, api_as):
    client = api_as(world.ada)
    for payload in (
        {"body_text": "Hi"},
        {"customer_id": world.maria.pk, "customer_email": "a@b.example", "body_text": "Hi"},
        {"customer_id": world.maria.pk, "body_text": "  "},
    ):
        response = client.post("/api/v1/tickets", payload, JSON)
        assert response.status_code == 422, payload
    bad_email = client.post("/api/v1/tickets", {"customer_email": "nope", "body_text": "x"}, JSON)
    assert bad_email.status_code == 400
    assert bad_email.json()["code"] == "invalid_identity"
    assert Customer.objects.count() == 2


def test_patch_changes_only_what_is_sent(world, api_as):
    """Each sent field goes through its action and leaves one timeline row; others stay."""
    # given
    client = api_as(world.anna)
    url = f"/api/v1/tickets/{world.maria_ticket.pk}"
    # when
    response = client.patch(
        url,
        {"assignee_id": world.anna.pk, "priority": "urgent", "add_tags": ["Refund"]},
        JSON,
    )
    # then
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["assignee"]["id"] == world.anna.pk
    assert body["group"]["id"] == world.support.pk
    assert body["priority"] == "urgent"
    assert body["tags"] == ["refund"]
    assert body["status"] == "open"
    kinds = list(
        TicketEvent.objects.filter(ticket=world.maria_ticket)
        .order_by("version")
        .values_list("kind", flat=True)
    )
    assert kinds == ["created", "assigned", "priority", "tags"]

    # when the assignee is removed and a tag taken off
    response = client.patch(url, {"assignee_id": None, "remove_tags": ["REFUND", "unknown"]}, JSON)
    # then the ticket keeps its group and priority
    body = response.json()
    assert body["assignee"] is None
    assert body["group"]["id"] == world.support.pk
    assert body["priority"] == "urgent"
    assert body["tags"] == []


def test_patch_status_rules(world, api_as):
    """Agents propose solutions; setting `solved` directly is refused with
    `confirmation_required`, and the whole PATCH is then undone."""
    # given
    client = api_as(world.anna)
    url = f"/api/v1/tickets/{world.maria_ticket.pk}"
    # when
    refused = client.patch(url, {"priority": "high", "status": "solved"}, JSON)
    proposed = client.patch(url, {"status": "awaiting_confirmation"}, JSON)
    # then
    assert refused.status_code == 400
    assert refused.json()["code"] == "confirmation_required"
    assert proposed.json()["status"] == "awaiting_confirmation"
    assert proposed.json()["priority"] == "normal"  # the refused PATCH changed nothing


def test_lead_closes_and_moves_tickets(world, api_as):
    """Leads may close unsolved tickets and move them between their groups."""
    url = f"/api/v1/tickets/{world.maria_ticket.pk}"
    response = api_as(world.lena).patch(
        url, {"group_id": world.returns.pk, "status": "closed"}, JSON
    )
    assert response.status_code == 200, response.content
    assert response.json()["group"]["id"] == world.returns.pk
    assert response.json()["status"] == "closed"


def test_confirm_solution(world, api_as):
    """An agent records the customer's confirmation: awaiting → solved."""
    # given
    check_change_status(world.maria_ticket, status=Status.AWAITING_CONFIRMATION, actor=world.anna)
    # when
    response = api_as(world.anna).post(f"/api/v1/tickets/{world.maria_ticket.pk}/confirm")
    # then
    assert response.status_code == 200
    assert response.json()["status"] == "solved"
    assert response.json()["solved_at"] is not None


def test_merge_moves_the_conversation(world, api_as):
    """Merging returns the survivor with both conversations; the source points to it."""
    # given
    duplicate = make_ticket(world, subject="Parcel again")
    # when
    response = api_as(world.anna).post(
        f"/api/v1/tickets/{duplicate.pk}/merge", {"into": world.maria_ticket.pk}, JSON
    )
    # then
    assert response.status_code == 200, response.content
    assert response.json()["id"] == world.maria_ticket.pk
    assert response.json()["message_count"] == 2
    source = api_as(world.anna).get(f"/api/v1/tickets/{duplicate.pk}").json()
    assert source["merged_into"] == world.maria_ticket.pk
    assert source["status"] == "closed"
    listed = ids(api_as(world.anna).get("/api/v1/tickets"))
    assert duplicate.pk not in listed  # "all" leaves out tickets merged away
