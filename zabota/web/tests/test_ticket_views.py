"""The ticket page and its controls: who may see them, and what each control changes."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from zabota.tickets import actions
from zabota.tickets.constants import EventKind, Priority, Status
from zabota.tickets.models import Message, Tag, Ticket, TicketEvent, TicketViewer

HTMX = {"HTTP_HX_REQUEST": "true"}


def url(name, ticket):
    return reverse(f"web:{name}", args=[ticket.pk])


def fresh(ticket):
    return Ticket.objects.get(pk=ticket.pk)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


# Every endpoint of the page with input that would be valid for a visible ticket.
GET_ENDPOINTS = [("ticket", {}), ("ticket_refresh", {}), ("ticket_macro", {"macro_id": "1"})]
POST_ENDPOINTS = [
    ("ticket_reply", {"body": "Hi", "seen_version": "99", "then_status": "pending"}),
    ("ticket_note", {"body": "Hi"}),
    ("ticket_preview", {"body": "Hi"}),
    ("ticket_status", {"status": "pending"}),
    ("ticket_confirm", {}),
    ("ticket_priority", {"priority": "40"}),
    ("ticket_assign", {"target": ""}),
    ("ticket_tag_add", {"name": "vip"}),
    ("ticket_tag_remove", {"tag_id": "1"}),
    ("ticket_merge", {"number": "1", "confirm": "1"}),
    ("ticket_presence", {"seen_version": "1"}),
    ("ticket_leave", {}),
]


def test_page_shows_conversation_sidebar_and_reply_box(client, world):
    """The page shows the subject, the customer's message, the customer card and a reply form
    that carries the ticket version."""
    # given
    ticket = world.maria_ticket
    client.force_login(world.lena)
    # when
    response = client.get(url("ticket", ticket))
    # then
    assert response.status_code == 200
    html = response.content.decode()
    assert f"#{ticket.number}" in html and "Where is my parcel?" in html
    assert "Ordered a week ago." in html
    assert "maria@example.pl" in html
    assert reverse("web:customer", args=[world.maria.pk]) in html
    assert f'name="seen_version" id="ticket-version" value="{ticket.version}"' in html
    assert response.context["timeline"][0].message.body_text == "Ordered a week ago."


@pytest.mark.parametrize(("name", "data"), GET_ENDPOINTS)
def test_agent_of_other_group_gets_404_on_get(client, world, name, data):
    """Anna (Support) may not know that Ivan's Returns ticket exists."""
    client.force_login(world.anna)
    response = client.get(url(name, world.ivan_ticket), data)
    assert response.status_code == 404


@pytest.mark.parametrize(("name", "data"), POST_ENDPOINTS)
def test_agent_of_other_group_gets_404_on_every_post(client, world, name, data):
    """No control of an invisible ticket answers, and none changes anything."""
    # given
    ticket = world.ivan_ticket
    client.force_login(world.anna)
    # when
    response = client.post(url(name, ticket), data, **HTMX)
    # then
    assert response.status_code == 404
    assert fresh(ticket).version == ticket.version
    assert not TicketViewer.objects.filter(ticket=ticket).exists()


def test_unassigned_returns_ticket_hidden_from_agent_visible_to_lead(client, world):
    """Returns members don't see unassigned tickets; their lead does."""
    client.force_login(world.piotr)
    assert client.get(url("ticket", world.ivan_ticket)).status_code == 404
    client.force_login(world.lena)
    assert client.get(url("ticket", world.ivan_ticket)).status_code == 200


def test_anonymous_visitor_is_sent_to_login(client, world):
    response = client.get(url("ticket", world.maria_ticket))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:login"))


def test_propose_solution_sets_awaiting_confirmation(client, world):
    """Proposing the solution waits for the customer; header and timeline are re-rendered."""
    # given
    client.force_login(world.anna)
    ticket = world.maria_ticket
    # when
    response = client.post(
        url("ticket_status", ticket), {"status": "awaiting_confirmation"}, **HTMX
    )
    # then
    assert response.status_code == 200
    assert fresh(ticket).status == Status.AWAITING_CONFIRMATION
    html = response.content.decode()
    assert 'id="ticket-header" hx-swap-oob="true"' in html
    assert "Anna Agent changed status: New → Awaiting confirmation" in html
    assert f'id="ticket-version" value="{fresh(ticket).version}" hx-swap-oob="true"' in html


def test_agent_cannot_solve_or_close_an_unsolved_ticket(client, world):
    """Solved comes only from the customer; closing an unsolved ticket is for leads."""
    # given
    client.force_login(world.anna)
    ticket = world.maria_ticket
    # when
    solved = client.post(url("ticket_status", ticket), {"status": "solved"}, **HTMX)
    closed = client.post(url("ticket_status", ticket), {"status": "closed"}, **HTMX)
    # then
    assert fresh(ticket).status == Status.NEW
    assert "toast-error" in solved.content.decode()
    assert "Only leads and admins close tickets" in closed.content.decode()


def test_lead_closes_and_plain_post_redirects_back(client, world):
    """Without htmx the control is an ordinary form: it redirects back to the ticket."""
    # given
    client.force_login(world.lena)
    ticket = world.maria_ticket
    # when
    response = client.post(url("ticket_status", ticket), {"status": "closed"})
    # then
    assert response.status_code == 302
    assert response["Location"] == url("ticket", ticket)
    assert fresh(ticket).status == Status.CLOSED


def test_customer_confirmed_button_solves_awaiting_ticket(client, world):
    """An agent records a confirmation the customer gave by phone: the ticket is solved."""
    # given
    ticket = actions.check_change_status(
        world.maria_ticket, status=Status.AWAITING_CONFIRMATION, actor=world.anna
    )
    client.force_login(world.anna)
    page = client.get(url("ticket", ticket)).content.decode()
    assert "Customer confirmed" in page
    # when
    response = client.post(url("ticket_confirm", ticket), **HTMX)
    # then
    assert response.status_code == 200
    assert fresh(ticket).status == Status.SOLVED
    event = TicketEvent.objects.filter(ticket=ticket, kind=EventKind.STATUS).latest("version")
    assert event.data["reason"] == "agent_on_behalf"
    assert "recorded the customer&#x27;s confirmation" in response.content.decode()


def test_customer_confirmed_refused_when_nothing_was_proposed(client, world):
    client.force_login(world.anna)
    response = client.post(url("ticket_confirm", world.maria_ticket), **HTMX)
    assert "not waiting for the customer" in response.content.decode()
    assert fresh(world.maria_ticket).status == Status.NEW


def test_priority_change(client, world):
    # given
    client.force_login(world.anna)
    # when
    client.post(url("ticket_priority", world.maria_ticket), {"priority": "40"}, **HTMX)
    # then
    assert fresh(world.maria_ticket).priority == Priority.URGENT
    event = TicketEvent.objects.get(ticket=world.maria_ticket, kind=EventKind.PRIORITY)
    assert event.data == {"old": Priority.NORMAL, "new": Priority.URGENT}


def test_unknown_priority_is_refused(client, world):
    client.force_login(world.anna)
    response = client.post(url("ticket_priority", world.maria_ticket), {"priority": "99"}, **HTMX)
    assert "toast-error" in response.content.decode()
    assert fresh(world.maria_ticket).priority == Priority.NORMAL


def test_lead_assigns_to_agent_and_timeline_says_so(client, world):
    """The assignment picker sends "<group>:<agent>"; the timeline names both people."""
    # given
    client.force_login(world.lena)
    ticket = world.maria_ticket
    target = f"{world.support.pk}:{world.anna.pk}"
    page = client.get(url("ticket", ticket)).content.decode()
    assert f'value="{target}"' in page
    # when
    response = client.post(url("ticket_assign", ticket), {"target": target}, **HTMX)
    # then
    ticket = fresh(ticket)
    assert ticket.assignee == world.anna and ticket.group == world.support
    assert "Lena Lead assigned to Anna Agent (Support)" in response.content.decode()


def test_agent_takes_ticket(client, world):
    """An agent who takes the ticket sends only themselves; the group is kept."""
    client.force_login(world.anna)
    response = client.post(
        url("ticket_assign", world.maria_ticket), {"target": f":{world.anna.pk}"}, **HTMX
    )
    assert fresh(world.maria_ticket).assignee == world.anna
    assert "Anna Agent took the ticket" in response.content.decode()


def test_agent_cannot_move_ticket_to_foreign_group(client, world):
    """Anna may not put a Support ticket into Returns: refused, nothing changes."""
    client.force_login(world.anna)
    response = client.post(
        url("ticket_assign", world.maria_ticket), {"target": f"{world.returns.pk}:"}, **HTMX
    )
    assert "You may not assign tickets" in response.content.decode()
    assert fresh(world.maria_ticket).group == world.support


def test_tags_are_added_as_free_text_and_removed(client, world):
    """An unknown tag name creates the store's tag; removing it is another timeline row."""
    # given
    client.force_login(world.anna)
    ticket = world.maria_ticket
    # when
    client.post(url("ticket_tag_add", ticket), {"name": "  Late   Delivery "}, **HTMX)
    tag = Tag.objects.get(store=world.store)
    response = client.post(url("ticket_tag_remove", ticket), {"tag_id": tag.pk}, **HTMX)
    # then
    assert tag.name == "late delivery"
    assert list(fresh(ticket).tags.all()) == []
    kinds = [e.data for e in TicketEvent.objects.filter(ticket=ticket, kind=EventKind.TAGS)]
    assert kinds == [
        {"added": ["late delivery"], "removed": []},
        {"added": [], "removed": ["late delivery"]},
    ]
    assert "Anna Agent removed tags: late delivery" in response.content.decode()


def test_merge_asks_for_confirmation_then_lands_on_survivor(client, world):
    """Step one names both tickets; step two merges and sends the agent to the one kept."""
    # given
    client.force_login(world.lena)
    duplicate = actions.do_create_ticket(
        store=world.store,
        customer=world.maria,
        subject="Parcel again",
        body_text="Any news?",
        actor=None,
    )
    keep = world.maria_ticket
    # when
    ask = client.post(url("ticket_merge", duplicate), {"number": f"#{keep.number}"}, **HTMX)
    # then nothing is merged yet, both subjects are shown
    assert fresh(duplicate).merged_into is None
    assert "Parcel again" in ask.content.decode() and "Where is my parcel?" in ask.content.decode()
    # when confirmed
    done = client.post(
        url("ticket_merge", duplicate), {"number": keep.number, "confirm": "1"}, **HTMX
    )
    # then
    assert done["HX-Redirect"] == url("ticket", keep)
    assert fresh(duplicate).merged_into == keep
    survivor_page = client.get(url("ticket", keep)).content.decode()
    assert f"from #{duplicate.number}" in survivor_page
    merged_page = client.get(url("ticket", duplicate)).content.decode()
    assert "This ticket was merged into" in merged_page
    assert f'href="{url("ticket", keep)}"' in merged_page
    assert 'id="reply-form"' not in merged_page


def test_merge_into_unknown_number_explains(client, world):
    client.force_login(world.lena)
    response = client.post(url("ticket_merge", world.maria_ticket), {"number": "999999"}, **HTMX)
    assert "There is no ticket #999999" in response.content.decode()


def test_merge_into_invisible_ticket_is_unknown(client, world):
    """Anna cannot discover Ivan's Returns ticket by merging into its number."""
    client.force_login(world.anna)
    response = client.post(
        url("ticket_merge", world.maria_ticket),
        {"number": world.ivan_ticket.number, "confirm": "1"},
        **HTMX,
    )
    assert f"There is no ticket #{world.ivan_ticket.number}" in response.content.decode()
    assert fresh(world.maria_ticket).merged_into is None


def test_presence_lists_other_viewers_and_typing(client, world):
    """Polling marks the agent as viewing; the others and who is typing are listed."""
    # given Anna has the ticket open and is typing
    ticket = world.maria_ticket
    client.force_login(world.anna)
    client.post(url("ticket_presence", ticket), {"seen_version": ticket.version, "typing": "1"})
    # when Lena's page polls
    client.force_login(world.lena)
    response = client.post(url("ticket_presence", ticket), {"seen_version": ticket.version})
    # then
    html = response.content.decode()
    assert "Also viewing" in html and "Anna Agent is typing" in html
    assert "This ticket was updated" not in html
    assert set(TicketViewer.objects.filter(ticket=ticket).values_list("user__name", "typing")) == {
        ("Anna Agent", True),
        ("Lena Lead", False),
    }


def test_presence_reports_update_since_version_on_screen(client, world):
    """When somebody changed the ticket after the page was rendered, a banner offers the
    changes, and "show changes" brings the panels and the version up to date."""
    # given
    ticket = world.maria_ticket
    seen = ticket.version
    actions.do_add_reply(ticket, body_text="We are on it.", actor=world.anna)
    client.force_login(world.lena)
    # when
    banner = client.post(url("ticket_presence", ticket), {"seen_version": seen}, **HTMX)
    refreshed = client.get(url("ticket_refresh", ticket), **HTMX)
    # then
    assert "This ticket was updated" in banner.content.decode()
    html = refreshed.content.decode()
    assert "We are on it." in html
    assert f'id="ticket-version" value="{fresh(ticket).version}" hx-swap-oob="true"' in html


def test_leaving_removes_presence(client, world):
    # given
    ticket = world.maria_ticket
    client.force_login(world.anna)
    client.post(url("ticket_presence", ticket), {"seen_version": ticket.version})
    # when
    response = client.post(url("ticket_leave", ticket))
    # then
    assert response.status_code == 204
    assert not TicketViewer.objects.filter(ticket=ticket).exists()


def test_timeline_rows_for_changes_are_readable(client, world):
    """Messages, notes and one-line change rows appear in time order."""
    # given
    ticket = world.maria_ticket
    actions.check_assign(ticket, assignee=world.anna, group=world.support, actor=world.lena)
    actions.do_add_note(ticket, body_text="Carrier says Friday.", actor=world.lena)
    actions.do_add_reply(ticket, body_text="It arrives on Friday.", actor=world.anna)
    client.force_login(world.lena)
    # when
    response = client.get(url("ticket", ticket))
    # then
    texts = [
        getattr(entry, "text", None) or entry.message.body_text
        for entry in response.context["timeline"]
    ]
    assert texts == [
        "Ordered a week ago.",
        "Lena Lead assigned to Anna Agent (Support)",
        "Carrier says Friday.",
        "It arrives on Friday.",
        "Anna Agent changed status: Open → Pending",
    ]
    html = response.content.decode()
    assert "Internal note" in html and 'class="msg msg-note"' in html


def test_page_queries_do_not_grow_with_the_conversation(client, world, django_assert_num_queries):
    """The page costs the same number of queries for 3 messages as for 30."""
    # given
    ticket = world.maria_ticket
    client.force_login(world.lena)
    client.get(url("ticket", ticket))  # warm caches (session, view counts)
    for i in range(2):
        actions.do_add_reply(ticket, body_text=f"Reply {i}", actor=world.anna)
    with CaptureQueriesContext(connection) as small:
        client.get(url("ticket", ticket))
    for i in range(27):
        actions.do_add_customer_message(ticket, body_text=f"Message {i}")
    # when / then
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(url("ticket", ticket))
    assert Message.objects.filter(ticket=ticket).count() == 30
    assert len([e for e in response.context["timeline"] if e.entry_type == "message"]) == 30


def test_merge_works_without_javascript(client, world):
    """Without htmx the confirmation step is a page of its own and merging redirects."""
    # given
    client.force_login(world.lena)
    duplicate = actions.do_create_ticket(
        store=world.store, customer=world.maria, subject="Parcel again", body_text="?", actor=None
    )
    keep = world.maria_ticket
    # when
    ask = client.post(url("ticket_merge", duplicate), {"number": keep.number})
    done = client.post(url("ticket_merge", duplicate), {"number": keep.number, "confirm": "1"})
    # then
    assert ask.status_code == 200 and "Merge these tickets?" in ask.content.decode()
    assert done.status_code == 302 and done["Location"] == url("ticket", keep)
    assert fresh(duplicate).merged_into == keep
