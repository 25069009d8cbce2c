"""What the inbox and the ticket page cost, and that the caches that make them cheap never
change what they show: inbox rows, the sidebar, and the lists pickers offer."""

import re
from datetime import timedelta
from unittest import mock

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from zabota.accounts.models import User
from zabota.customers.actions import do_create_customer, do_update_customer
from zabota.tickets import access
from zabota.tickets.actions import (
    check_assign,
    check_change_status,
    check_change_tags,
    do_create_ticket,
    get_or_create_tag,
)
from zabota.tickets.models import Tag
from zabota.tickets.queries import InboxFilter, inbox_page
from zabota.web.templatetags import inbox_rows

INBOX = reverse("web:inbox")


@pytest.fixture(autouse=True)
def _empty_cache():
    """The cache is the process's memory in tests: each test starts without cached rows."""
    cache.clear()
    yield
    cache.clear()


def _client(user: User, **kwargs: bool) -> Client:
    client = Client(**kwargs)
    client.force_login(user)
    return client


def _rows(html: str) -> dict[int, str]:
    """Each inbox row's HTML by ticket id."""
    parts = re.split(r'(?=<div class="ticket-row )', html.split('<div class="ticket-list-head"')[1])
    rows = {}
    for part in parts[1:]:
        match = re.search(r'data-ticket="(\d+)"', part)
        assert match is not None
        rows[int(match.group(1))] = part.split("\n</div>\n")[0]
    return rows


def _inbox_rows(client: Client) -> dict[int, str]:
    response = client.get(INBOX, {"view": "all"})
    assert response.status_code == 200
    return _rows(response.content.decode())


@pytest.fixture
def busy(world):
    """Maria's and Ivan's tickets plus Olga's, with a tag, an assignee and markup in its text."""
    tag = get_or_create_tag(world.store, "fragile")
    olga = do_create_customer(
        first_name="Olga", last_name="Nowak", identities=[("email", "olga@example.pl")], actor=None
    )
    ticket = do_create_ticket(
        store=world.store,
        customer=olga,
        subject='Broken <img src=x onerror="alert(1)"> & co',
        body_text="<script>alert('preview')</script>",
        group=world.support,
        actor=None,
    )
    check_change_tags(ticket, add=[tag], actor=world.lena)
    check_assign(ticket, assignee=world.anna, group=world.support, actor=world.lena)
    return ticket


def test_rows_are_the_same_built_or_from_the_cache(world, busy):
    """The second visit takes every row from the cache and shows exactly what building them
    shows: subject, preview, customer, tags, status, priority, assignee, escaped."""
    # given
    client = _client(world.lena)
    with mock.patch.object(
        inbox_rows, "render_row_head", wraps=inbox_rows.render_row_head
    ) as build:
        built = _inbox_rows(client)
        assert build.call_count == 3
        # when
        cached = _inbox_rows(client)
        # then
        assert build.call_count == 3
    assert cached == built
    page = inbox_page(world.lena, InboxFilter(view="all"))
    assert (
        _rows('<div class="ticket-list-head">' + inbox_rows.render_rows(page, use_cache=False))
        == built
    )
    row = cached[busy.pk]
    assert "Broken &lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; co" in row
    assert "&lt;script&gt;alert(&#x27;preview&#x27;)&lt;/script&gt;" in row
    assert "<script>" not in row and "<img" not in row
    assert f'<a class="truncate" href="/customers/{busy.customer_id}/">Olga Nowak</a>' in row
    assert '<span class="chip" style="--chip: #64748b">fragile</span>' in row
    assert '<span class="pill status-open">Open</span>' in row
    assert '<span class="prio prio-20">Normal</span>' in row
    assert 'title="Anna Agent"' in row


@pytest.mark.parametrize(
    ("change", "shown"),
    [
        (
            lambda w, t: check_change_status(t, status="pending", actor=w.lena),
            '<span class="pill status-pending">Pending</span>',
        ),
        (
            lambda w, t: check_change_tags(
                t, add=[get_or_create_tag(w.store, "vip")], actor=w.lena
            ),
            '<span class="chip" style="--chip: #64748b">vip</span>',
        ),
        (
            lambda w, t: check_change_tags(
                t, remove=[get_or_create_tag(w.store, "fragile")], actor=w.lena
            ),
            '<div class="ticket-tags">\n    \n  </div>',
        ),
        (
            lambda w, t: check_assign(t, assignee=w.lena, group=w.support, actor=w.lena),
            'title="Lena Lead"',
        ),
        (
            lambda w, t: do_update_customer(t.customer, display_name="Olga N.", actor=None),
            ">Olga N.</a>",
        ),
        (
            # An admin renames the assignee or recolours a tag: the ticket's version stays.
            lambda w, t: User.objects.filter(pk=w.anna.pk).update(name="Anna Berg"),
            'title="Anna Berg"',
        ),
        (
            lambda w, t: Tag.objects.filter(name="fragile").update(color="#ff0000"),
            '<span class="chip" style="--chip: #ff0000">fragile</span>',
        ),
    ],
    ids=["status", "tag added", "tag removed", "assignee", "customer", "agent name", "colour"],
)
def test_a_change_to_a_ticket_rebuilds_its_row(world, busy, change, shown):
    """A change to what a row shows gives it a new cache key: that row is built again and
    shows the change, the others still come from the cache."""
    # given
    client = _client(world.lena)
    before = _inbox_rows(client)
    assert shown not in before[busy.pk]
    # when
    change(world, busy)
    with mock.patch.object(
        inbox_rows, "render_row_head", wraps=inbox_rows.render_row_head
    ) as build:
        after = _inbox_rows(client)
    # then
    assert shown in after[busy.pk]
    assert build.call_count == 1
    assert {pk: html for pk, html in after.items() if pk != busy.pk} == {
        pk: html for pk, html in before.items() if pk != busy.pk
    }


def test_cached_rows_show_a_fresh_relative_time(world, busy):
    """The relative time is not part of the cached HTML: hours later it says so."""
    # given
    client = _client(world.lena)
    assert ">now</time>" in _inbox_rows(client)[busy.pk]
    later = timezone.now() + timedelta(hours=3, minutes=5)
    # when
    with (
        mock.patch("django.utils.timezone.now", return_value=later),
        mock.patch.object(inbox_rows, "render_row_head") as build,
    ):
        row = _inbox_rows(client)[busy.pk]
    # then
    assert build.call_count == 0
    assert ">3 h</time>" in row


def test_rows_follow_the_language(world, busy):
    """A row cached in English is not served to an agent reading Russian."""
    # given
    _inbox_rows(_client(world.lena))
    world.anna.ui_language = "ru"
    world.anna.save(update_fields=["ui_language"])
    # when
    row = _inbox_rows(_client(world.anna))[busy.pk]
    # then
    assert ">Открыто<" in row and ">Open<" not in row


def test_cached_sidebar_keeps_a_working_sign_out_form(world):
    """The sidebar comes from the cache on the second page, but its sign-out form carries this
    request's CSRF token, so signing out still works with CSRF checks on."""
    # given
    client = _client(world.lena, enforce_csrf_checks=True)
    first = client.get(INBOX).content.decode()
    # when
    second = client.get(INBOX).content.decode()
    # then
    token_pattern = r'action="/logout/" method="post">\s*<input type="hidden" '
    token_pattern += r'name="csrfmiddlewaretoken" value="([^"]+)"'
    first_token = re.search(token_pattern, first)
    second_token = re.search(token_pattern, second)
    assert first_token and second_token
    assert first_token.group(1) != second_token.group(1)
    response = client.post(reverse("web:logout"), {"csrfmiddlewaretoken": second_token.group(1)})
    assert response.status_code == 302
    assert client.get(INBOX).status_code == 302


def test_sidebar_marks_the_current_view_after_another_was_cached(world):
    """The cached sidebar of one view is not reused for another."""
    # given
    client = _client(world.lena)
    client.get(INBOX, {"view": "open"})
    # when
    html = client.get(INBOX, {"view": "mine"}).content.decode()
    # then
    assert re.search(r'class="sidebar-link active"\s+href="/\?view=mine"', html)
    assert not re.search(r'class="sidebar-link active"\s+href="/\?view=open"', html)


def test_cached_pickers_are_per_user(world):
    """Lena leads both groups and may assign in both; Anna, an agent in Support, only there —
    also right after Lena's lists were cached."""
    # given
    ticket_url = reverse("web:ticket", args=[world.maria_ticket.pk])
    lena = _client(world.lena).get(ticket_url)
    # when
    anna = _client(world.anna).get(ticket_url)
    # then
    assert [g["label"] for g in lena.context["assign_groups"]] == ["Returns", "Support"]
    assert [g["label"] for g in anna.context["assign_groups"]] == ["Support"]
    assert [label for _v, label, _s in anna.context["assign_groups"][0]["choices"]] == [
        "Support — anyone",
        "Anna Agent",
        "Lena Lead",
    ]


def test_assignable_agents_of_several_groups_at_once(world):
    """``assignable_agents_by_group`` gives each group what ``assignable_agents`` gives it:
    its active members and lead, by name."""
    # given
    gone = User.objects.create_user("gone@example.com", "x", name="Gone Agent")
    world.support.members.add(gone, world.piotr)
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    groups = list(access.visible_groups(world.ada).select_related("lead"))
    # when
    by_group = access.assignable_agents_by_group(groups)
    # then
    for group in groups:
        expected = list(access.assignable_agents(world.ada, group).order_by("name"))
        assert by_group[group.pk] == expected
    assert [u.name for u in by_group[world.support.pk]] == [
        "Anna Agent",
        "Lena Lead",
        "Piotr Nowak",
    ]


def _queries(client: Client, url: str, **headers: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **headers)
    assert response.status_code == 200
    return [query["sql"] for query in captured.captured_queries]


def test_query_budgets_with_warm_caches(world, busy):
    """Once the short-lived caches are warm, the inbox costs the session, the user, the
    lead's groups and stores, the tickets, their tags and their customers' segments; the
    ticket page the same first five, the ticket, its conversation (messages and changes; files
    only when a message has some), the customer's identities and other tickets, the ticket's
    tags, and the customer's figures and segments in the store (a customer with orders costs
    three more: see test_customer360). Every query is a round trip a sync worker waits for,
    which under load costs more than its CPU."""
    # given
    client = _client(world.lena)
    ticket_url = reverse("web:ticket", args=[busy.pk])
    client.get(INBOX)
    client.get(ticket_url)
    # when
    inbox = _queries(client, INBOX)
    ticket_page = _queries(client, ticket_url)
    # then
    assert len(inbox) == 8, inbox
    assert len(ticket_page) == 13, ticket_page
