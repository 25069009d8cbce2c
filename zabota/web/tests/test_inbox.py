"""The inbox page: views per role, filters, sort, htmx partials and keyset pagination."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from zabota.tickets.actions import (
    do_assign,
    do_change_tags,
    do_create_ticket,
    get_or_create_tag,
)
from zabota.tickets.constants import Channel, Priority, Status
from zabota.web.views.inbox import PAGE_SIZE

HTMX_LIST = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "inbox-list"}
HTMX_MORE = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "load-more"}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _listed(response) -> list[int]:
    return [ticket.pk for ticket in response.context["page"].items]


@pytest.mark.parametrize(
    ("persona", "view", "expected"),
    [
        # Anna (Support agent) sees unassigned Support tickets, never Returns ones.
        ("anna", "open", {"maria_ticket"}),
        ("anna", "unassigned", {"maria_ticket"}),
        ("anna", "mine", set()),
        # Piotr's group hides unassigned tickets from members.
        ("piotr", "open", set()),
        ("piotr", "all", set()),
        # Lena leads both groups; Ada sees everything.
        ("lena", "open", {"maria_ticket", "ivan_ticket"}),
        ("ada", "unassigned", {"maria_ticket", "ivan_ticket"}),
    ],
)
def test_views_list_what_each_role_may_see(world, persona, view, expected):
    """Each inbox view lists exactly the tickets the signed-in persona may see."""
    # given
    client = _client(getattr(world, persona))
    # when
    response = client.get(reverse("web:inbox"), {"view": view})
    # then
    assert response.status_code == 200
    assert set(_listed(response)) == {getattr(world, name).pk for name in expected}


def test_default_view_is_open_and_mine_follows_assignment(world):
    """Without parameters the inbox shows open work; assigning moves a ticket into "mine"."""
    # given
    client = _client(world.anna)
    do_assign(world.maria_ticket, assignee=world.anna, group=world.support, actor=world.lena)
    # when
    default = client.get(reverse("web:inbox"))
    mine = client.get(reverse("web:inbox"), {"view": "mine"})
    unassigned = client.get(reverse("web:inbox"), {"view": "unassigned"})
    # then
    assert default.context["filter"].view == "open"
    assert _listed(default) == [world.maria_ticket.pk]
    assert _listed(mine) == [world.maria_ticket.pk]
    assert _listed(unassigned) == []


def test_filters_narrow_the_list(world):
    """Status, priority, channel, tag, group and assignee filters each narrow the list."""
    # given
    chat = do_create_ticket(
        store=world.store,
        customer=world.maria,
        subject="Chat about sizes",
        body_text="Is M bigger than L?",
        channel=Channel.CHAT,
        priority=Priority.URGENT,
        actor=None,
    )
    damaged = get_or_create_tag(world.store, "damaged")
    do_change_tags(world.maria_ticket, add=[damaged], actor=world.lena)
    do_assign(world.ivan_ticket, assignee=world.piotr, group=world.returns, actor=world.lena)
    client = _client(world.lena)
    inbox = reverse("web:inbox")
    # when / then
    assert set(_listed(client.get(inbox, {"view": "all", "status": "open"}))) == {
        world.ivan_ticket.pk
    }
    assert _listed(client.get(inbox, {"view": "all", "priority": Priority.URGENT})) == [chat.pk]
    assert _listed(client.get(inbox, {"view": "all", "channel": "chat"})) == [chat.pk]
    assert _listed(client.get(inbox, {"view": "all", "tag": damaged.pk})) == [world.maria_ticket.pk]
    assert _listed(client.get(inbox, {"view": "all", "group": world.returns.pk})) == [
        world.ivan_ticket.pk
    ]
    assert _listed(client.get(inbox, {"view": "all", "assignee": world.piotr.pk})) == [
        world.ivan_ticket.pk
    ]


def test_unknown_filter_values_are_ignored(world):
    """A hand-edited or outdated URL falls back to the defaults instead of failing."""
    # given
    client = _client(world.lena)
    # when
    response = client.get(
        reverse("web:inbox"),
        {"view": "bogus", "status": "nope", "priority": "99", "channel": "fax", "sort": "x"},
    )
    # then
    assert response.status_code == 200
    inbox_filter = response.context["filter"]
    assert (inbox_filter.view, inbox_filter.status, inbox_filter.priority) == ("open", "", None)
    assert (inbox_filter.channel, inbox_filter.sort) == ("", "activity")
    assert len(_listed(response)) == 2


def test_sort_orders(world):
    """Newest/oldest sort by creation, priority puts urgent first, activity by last activity."""
    # given: an urgent ticket that arrived three days ago
    now = timezone.now()
    urgent = do_create_ticket(
        store=world.store,
        customer=world.maria,
        subject="Urgent but old",
        body_text="!",
        priority=Priority.URGENT,
        actor=None,
        at=now - timedelta(days=3),
    )
    client = _client(world.ada)
    inbox = reverse("web:inbox")
    # when
    newest = _listed(client.get(inbox, {"view": "all", "sort": "newest"}))
    oldest = _listed(client.get(inbox, {"view": "all", "sort": "oldest"}))
    by_priority = _listed(client.get(inbox, {"view": "all", "sort": "priority"}))
    by_activity = _listed(client.get(inbox, {"view": "all"}))
    # then
    assert newest == [world.ivan_ticket.pk, world.maria_ticket.pk, urgent.pk]
    assert oldest == list(reversed(newest))
    assert by_priority[0] == urgent.pk
    assert by_activity[-1] == urgent.pk


def test_rows_show_number_customer_status_tags_and_link_to_the_ticket(world):
    """A row carries what an agent scans for, and links to the ticket and customer pages."""
    # given
    tag = get_or_create_tag(world.store, "late-delivery")
    do_change_tags(world.maria_ticket, add=[tag], actor=world.lena)
    do_assign(world.maria_ticket, assignee=world.anna, group=world.support, actor=world.lena)
    # when
    html = _client(world.anna).get(reverse("web:inbox")).content.decode()
    # then
    assert f"#{world.maria_ticket.number}" in html
    assert "Where is my parcel?" in html
    assert "Ordered a week ago." in html
    assert "Maria Kowalska" in html
    assert 'class="pill status-open"' in html
    assert "late-delivery" in html
    assert reverse("web:ticket", args=[world.maria_ticket.pk]) in html
    assert reverse("web:customer", args=[world.maria.pk]) in html
    assert 'title="Anna Agent"' in html  # the assignee's avatar


def test_sidebar_counts_views_and_lists_tags_and_groups(world):
    """The sidebar shows the view counts, the agent's tags and groups, and a logout form."""
    # given
    get_or_create_tag(world.store, "refund")
    # when
    response = _client(world.lena).get(reverse("web:inbox"))
    html = response.content.decode()
    # then
    assert 'data-view="open"' in html
    assert '<span class="count">2</span>' in html  # open and unassigned: both tickets
    assert "refund" in html
    assert "Support" in html and "Returns" in html
    assert f'action="{reverse("web:logout")}"' in html
    assert 'name="csrfmiddlewaretoken"' in html


def test_htmx_filter_change_returns_only_the_list(world):
    """With htmx targeting the list the response is the list fragment, not a page."""
    # given
    client = _client(world.lena)
    # when
    response = client.get(reverse("web:inbox"), {"view": "all", "status": "new"}, **HTMX_LIST)
    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert html.startswith(
        '<span id="inbox-count" class="muted small" hx-swap-oob="true">2 tickets'
    )
    assert '<section id="inbox-list"' in html
    assert "<html" not in html and "sidebar" not in html
    assert len(_listed(response)) == 2
    assert "HX-Request" in response["Vary"]


def test_history_restore_gets_the_full_page(world):
    """When htmx restores history after a cache miss it needs the whole page."""
    # when
    response = _client(world.lena).get(
        reverse("web:inbox"), **HTMX_LIST, HTTP_HX_HISTORY_RESTORE_REQUEST="true"
    )
    # then
    assert "<html" in response.content.decode()


def test_load_more_walks_every_ticket_once(world):
    """Keyset pages ("Load more") together list every ticket exactly once, in order."""
    # given
    now = timezone.now()
    for i in range(PAGE_SIZE + 7):
        do_create_ticket(
            store=world.store,
            customer=world.maria,
            subject=f"Question {i}",
            body_text="?",
            actor=None,
            at=now - timedelta(minutes=i),
        )
    client = _client(world.ada)
    # when
    first = client.get(reverse("web:inbox"), {"view": "all"})
    cursor = first.context["page"].next_cursor
    second = client.get(reverse("web:inbox"), {"view": "all", "cursor": cursor}, **HTMX_MORE)
    # then
    assert len(_listed(first)) == PAGE_SIZE
    assert cursor and f"cursor={cursor}" in first.content.decode()
    assert second.context["page"].next_cursor is None
    html = second.content.decode()
    assert html.lstrip().startswith('<div class="ticket-row')
    assert 'id="load-more"' not in html
    everything = _listed(first) + _listed(second)
    assert len(everything) == len(set(everything)) == PAGE_SIZE + 7 + 2


def test_invalid_cursor_is_a_bad_request(world):
    """A cursor that does not decode is refused with 400."""
    # when
    response = _client(world.lena).get(reverse("web:inbox"), {"cursor": "not-a-cursor!"})
    # then
    assert response.status_code == 400


def test_empty_view_says_so(world):
    """An agent with nothing to do sees an empty state, not an empty table."""
    # when
    response = _client(world.piotr).get(reverse("web:inbox"))
    # then
    assert "Nothing here" in response.content.decode()


def test_inbox_refuses_post(world):
    """The inbox is read-only; changes go through the bulk endpoint."""
    # when
    response = _client(world.lena).post(reverse("web:inbox"))
    # then
    assert response.status_code == 405
    assert world.maria_ticket.status == Status.NEW
