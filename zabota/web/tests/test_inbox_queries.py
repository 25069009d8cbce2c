"""The inbox runs a fixed number of queries however many tickets it shows."""

from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from zabota.customers.actions import do_create_customer
from zabota.tickets.actions import do_assign, do_change_tags, do_create_ticket, get_or_create_tag


def _add_tickets(world, count: int, *, start: int = 0) -> None:
    """Tickets with their own customers, an assignee and two tags each: every relation a row
    shows, so that a lazy load anywhere would add queries per row."""
    tags = [get_or_create_tag(world.store, "refund"), get_or_create_tag(world.store, "vip")]
    for i in range(start, start + count):
        customer = do_create_customer(
            first_name=f"Customer{i}", identities=[("email", f"c{i}@example.com")], actor=None
        )
        ticket = do_create_ticket(
            store=world.store, customer=customer, subject=f"Question {i}", body_text="?", actor=None
        )
        do_assign(ticket, assignee=world.anna, group=world.support, actor=world.lena)
        do_change_tags(ticket, add=tags, actor=world.lena)


def _queries(client: Client, **headers: str) -> int:
    cache.clear()  # the sidebar's view counts are cached; measure the uncached page
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("web:inbox"), {"view": "all"}, **headers)
    assert response.status_code == 200
    return len(captured)


def test_inbox_page_query_count_does_not_grow_with_tickets(world):
    """5 or 40 tickets on the page: the same number of queries, for the page and the list."""
    # given
    client = Client()
    client.force_login(world.lena)
    _add_tickets(world, 3)  # 5 with the fixture's two
    small_page = _queries(client)
    small_list = _queries(client, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="inbox-list")
    # when
    _add_tickets(world, 35, start=3)  # 40
    large_page = _queries(client)
    large_list = _queries(client, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="inbox-list")
    # then
    assert large_page == small_page
    assert large_list == small_list
    assert large_list < large_page < 25


def test_admin_inbox_query_count_is_constant_too(world):
    """Admins skip the group lookups but must not trade them for per-row queries."""
    # given
    client = Client()
    client.force_login(world.ada)
    _add_tickets(world, 3)
    small = _queries(client)
    # when
    _add_tickets(world, 35, start=3)
    # then
    assert _queries(client) == small
