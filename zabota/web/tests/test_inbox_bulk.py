"""Bulk changes from the inbox: one check_* action per visible ticket, refusals reported."""

from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from zabota.tickets.actions import do_assign, do_create_ticket
from zabota.tickets.constants import Priority, Status
from zabota.tickets.models import Ticket, TicketEvent


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _messages(response) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


def _support_ticket(world, subject: str) -> Ticket:
    return do_create_ticket(
        store=world.store, customer=world.maria, subject=subject, body_text="…", actor=None
    )


def test_assign_to_me_assigns_every_selected_ticket(world):
    """Anna takes two unassigned Support tickets at once; each gets its timeline row."""
    # given
    second = _support_ticket(world, "Second question")
    # when
    response = _client(world.anna).post(
        reverse("web:bulk"),
        {"ticket": [world.maria_ticket.pk, second.pk], "action": "assign_me", "next": "/?view=all"},
    )
    # then
    assert response.status_code == 302
    assert response["Location"] == "/?view=all"
    for ticket in (world.maria_ticket, second):
        ticket.refresh_from_db()
        assert ticket.assignee == world.anna
        assert ticket.status == Status.OPEN
        assert TicketEvent.objects.filter(ticket=ticket, kind="assigned", actor=world.anna).exists()
    assert _messages(response) == [("success", "2 tickets updated.")]


def test_invisible_tickets_are_left_alone_and_counted(world):
    """Ivan's Returns ticket is invisible to Anna: it is not touched, only counted as missing."""
    # when
    response = _client(world.anna).post(
        reverse("web:bulk"),
        {
            "ticket": [world.maria_ticket.pk, world.ivan_ticket.pk],
            "action": "priority",
            "priority": Priority.HIGH,
        },
    )
    # then
    world.maria_ticket.refresh_from_db()
    world.ivan_ticket.refresh_from_db()
    assert world.maria_ticket.priority == Priority.HIGH
    assert world.ivan_ticket.priority == Priority.NORMAL
    assert _messages(response) == [
        ("success", "1 ticket updated."),
        ("warning", "1 ticket was not found."),
    ]


def test_refusals_are_reported_per_ticket(world):
    """An agent may not close unsolved tickets: each refusal names its ticket number."""
    # given
    second = _support_ticket(world, "Second question")
    for ticket in (world.maria_ticket, second):
        do_assign(ticket, assignee=world.anna, group=world.support, actor=world.lena)
    # when
    response = _client(world.anna).post(
        reverse("web:bulk"),
        {"ticket": [second.pk, world.maria_ticket.pk], "action": "status", "status": "closed"},
    )
    # then
    assert Ticket.objects.filter(status=Status.CLOSED).count() == 0
    refusal = "Only leads and admins close tickets that are not solved."
    assert _messages(response) == [
        (
            "error",
            f"#{world.maria_ticket.number}: {refusal}\n#{second.number}: {refusal}",
        )
    ]


def test_lead_closes_and_tags_in_bulk(world):
    """Lena may close unsolved tickets; a bulk tag is created once per store and added."""
    # given
    ids = [world.maria_ticket.pk, world.ivan_ticket.pk]
    # when
    tagged = _client(world.lena).post(
        reverse("web:bulk"), {"ticket": ids, "action": "tag", "tag": " Late  Delivery "}
    )
    closed = _client(world.lena).post(
        reverse("web:bulk"), {"ticket": ids, "action": "status", "status": "closed"}
    )
    # then
    assert _messages(tagged) == [("success", "2 tickets updated.")]
    assert _messages(closed) == [("success", "2 tickets updated.")]
    for ticket in Ticket.objects.filter(pk__in=ids):
        assert ticket.status == Status.CLOSED
        assert [t.name for t in ticket.tags.all()] == ["late delivery"]


def test_assign_to_agent_follows_the_actors_rights(world):
    """Anna may pass Support tickets within her group (to Lena) but not to Returns' Piotr."""
    # given
    second = _support_ticket(world, "Second question")
    ids = [world.maria_ticket.pk, second.pk]
    # when
    refused = _client(world.anna).post(
        reverse("web:bulk"), {"ticket": ids, "action": "assign", "agent": world.piotr.pk}
    )
    # then
    assert Ticket.objects.filter(pk__in=ids, assignee__isnull=False).count() == 0
    refusal = "You may not assign tickets to that agent or group."
    assert _messages(refused) == [
        ("error", f"#{world.maria_ticket.number}: {refusal}\n#{second.number}: {refusal}")
    ]

    # when
    passed = _client(world.anna).post(
        reverse("web:bulk"), {"ticket": ids, "action": "assign", "agent": world.lena.pk}
    )
    # then
    assert _messages(passed) == [("success", "2 tickets updated.")]
    assert Ticket.objects.filter(pk__in=ids, assignee=world.lena).count() == 2


def test_solved_is_not_a_bulk_status(world):
    """Only the customer solves a ticket, so "solved" is refused before anything changes."""
    # when
    response = _client(world.lena).post(
        reverse("web:bulk"),
        {"ticket": [world.maria_ticket.pk], "action": "status", "status": "solved"},
    )
    # then
    world.maria_ticket.refresh_from_db()
    assert world.maria_ticket.status == Status.NEW
    assert [level for level, _text in _messages(response)] == ["error"]


def test_missing_selection_or_value_is_an_error(world):
    """No tickets, or an action without its value, changes nothing and says why."""
    # when
    nothing = _client(world.lena).post(reverse("web:bulk"), {"action": "assign_me"})
    no_priority = _client(world.lena).post(
        reverse("web:bulk"), {"ticket": [world.maria_ticket.pk], "action": "priority"}
    )
    # then
    assert _messages(nothing) == [("error", "Select at least one ticket.")]
    assert _messages(no_priority) == [("error", "This field is required.")]
    assert TicketEvent.objects.filter(kind__in=["assigned", "priority"]).count() == 0


def test_unknown_agent_is_refused(world):
    """Assigning to someone outside the lead's stores fails as "not found" for the whole batch."""
    # when
    response = _client(world.lena).post(
        reverse("web:bulk"),
        {"ticket": [world.maria_ticket.pk], "action": "assign", "agent": 999_999},
    )
    # then
    world.maria_ticket.refresh_from_db()
    assert world.maria_ticket.assignee is None
    assert _messages(response) == [("error", "Not found.")]


def test_next_must_stay_on_this_site(world):
    """An absolute ``next`` to another host is replaced by the inbox (no open redirect)."""
    # when
    response = _client(world.lena).post(
        reverse("web:bulk"),
        {"ticket": [world.maria_ticket.pk], "action": "assign_me", "next": "https://evil.example/"},
    )
    # then
    assert response["Location"] == reverse("web:inbox")


def test_bulk_enforces_csrf(world):
    """Without the CSRF token the bulk form is refused and nothing changes."""
    # given
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.lena)
    # when
    response = client.post(
        reverse("web:bulk"), {"ticket": [world.maria_ticket.pk], "action": "assign_me"}
    )
    # then
    assert response.status_code == 403
    world.maria_ticket.refresh_from_db()
    assert world.maria_ticket.assignee is None


def test_bulk_with_the_page_csrf_token_works(world):
    """The token rendered into the inbox page is what the bulk form posts."""
    # given
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.lena)
    page = client.get(reverse("web:inbox"))
    token = page.context["csrf_token"]
    # when
    response = client.post(
        reverse("web:bulk"),
        {"ticket": [world.maria_ticket.pk], "action": "assign_me", "csrfmiddlewaretoken": token},
    )
    # then
    assert response.status_code == 302
    world.maria_ticket.refresh_from_db()
    assert world.maria_ticket.assignee == world.lena
