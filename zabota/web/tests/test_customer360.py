"""Customer 360 in the agent UI without a browser: the ticket sidebar and what it costs, segment
badges in inbox rows and search results, the inbox's segment filter, the customer page's
timeline and important dates, upcoming dates, and the store settings page per role."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from zabota.commerce.constants import Segment
from zabota.commerce.models import CustomerSegment, SegmentSettings
from zabota.commerce.sync import do_upsert_order
from zabota.commerce.tests.factories import order_data
from zabota.customers.actions import do_add_important_date
from zabota.customers.models import ImportantDate
from zabota.tickets.actions import do_create_ticket
from zabota.tickets.queries import InboxFilter, inbox_page
from zabota.web.templatetags.commerce_ui import format_money
from zabota.web.tests.shop_history import TRACKING_URL, maria_orders
from zabota.web.views import customers as customers_views

INBOX = reverse("web:inbox")
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- ticket sidebar ------------------------------------------------------------------------------


def test_sidebar_shows_figures_badges_orders_shipments_and_returns(world):
    """Maria's ticket: lifetime value in euros, five orders, the VIP badge in the sidebar and
    the header, the last five orders (the cancelled one included), the tracking link opening in
    a new tab, the return of #1047."""
    # given
    maria_orders(world.store)
    # when
    response = _client(world.anna).get(reverse("web:ticket", args=[world.maria_ticket.pk]))
    # then
    html = response.content.decode()
    summary = response.context["summary"]
    assert (summary.stats.lifetime_value, summary.stats.order_count) == (Decimal("1456.60"), 5)
    assert [o.number for o in summary.orders] == ["#1061", "#1055", "#1047", "#1032", "#1019"]
    assert "<dd>€1,456.60</dd>" in html
    assert html.count('class="seg seg-vip') == 2  # sidebar and header
    assert re.search(
        rf'<a href="{re.escape(TRACKING_URL)}" target="_blank" rel="noopener noreferrer"', html
    )
    assert "Too small" in html and "ret-refunded" in html
    assert '<span class="ostate ord-cancelled">Cancelled</span>' in html


def test_sidebar_of_a_customer_without_orders(world):
    # when
    response = _client(world.anna).get(reverse("web:ticket", args=[world.ivan_ticket.pk]))
    # then
    assert response.status_code == 404  # Anna cannot see Ivan's Returns ticket
    html = _client(world.lena).get(reverse("web:ticket", args=[world.ivan_ticket.pk]))
    assert "No orders yet." in html.content.decode()
    assert "side-figures" not in html.content.decode()


def test_ticket_page_with_orders_costs_three_queries_more(world):
    """With warm caches a customer with orders adds their orders, shipments and returns to
    the 13 queries of a ticket page (test_page_cost), however many orders there are."""
    # given
    maria_orders(world.store)
    client = _client(world.lena)
    url = reverse("web:ticket", args=[world.maria_ticket.pk])
    client.get(url)
    # when
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    # then
    assert len(captured) == 16, [q["sql"] for q in captured]


@pytest.mark.parametrize(
    ("language", "amount", "currency", "shown"),
    [
        ("en", "1456.6", "EUR", "€1,456.60"),
        ("pl", "1456.6", "EUR", "1\xa0456,60\xa0€"),
        ("ru", "-12", "RUB", "-12,00\xa0₽"),
        ("en", "9800", "HUF", "9,800\xa0Ft"),
        ("en", "5", "CHF", "5.00\xa0CHF"),
    ],
)
def test_money_follows_the_active_language(language, amount, currency, shown):
    with translation.override(language):
        assert format_money(Decimal(amount), currency) == shown


# --- inbox ---------------------------------------------------------------------------------------


def test_inbox_rows_show_the_vip_badge_and_the_filter_keeps_vips(world):
    """Maria is a VIP in the demo store: her row carries the badge, Ivan's none; ?segment=vip
    leaves her ticket only, in every view it is combined with."""
    # given
    maria_orders(world.store)
    client = _client(world.lena)
    # when
    everything = client.get(INBOX, {"view": "all"}).content.decode()
    vips = client.get(INBOX, {"view": "all", "segment": "vip"})
    open_vips = client.get(INBOX, {"view": "open", "segment": "vip"})
    at_risk = client.get(INBOX, {"view": "all", "segment": "at_risk"})
    # then
    maria_row = everything.split(f'id="ticket-{world.maria_ticket.pk}"')[1].split("</time>")[0]
    ivan_row = everything.split(f'id="ticket-{world.ivan_ticket.pk}"')[1].split("</time>")[0]
    assert '<span class="seg seg-vip seg-sm">VIP</span>' in maria_row
    assert "seg-" not in ivan_row
    assert [t.pk for t in vips.context["page"].items] == [world.maria_ticket.pk]
    assert [t.pk for t in open_vips.context["page"].items] == [world.maria_ticket.pk]
    assert at_risk.context["page"].items == []
    assert 'name="segment"' in everything


def test_segment_filter_keeps_keyset_pagination(world):
    """Three VIP tickets one at a time: every page has one, the last has no cursor."""
    # given
    maria_orders(world.store)
    for i in range(2):
        do_create_ticket(
            store=world.store, customer=world.maria, subject=f"More {i}", body_text="?", actor=None
        )
    f = InboxFilter(view="all", segment=Segment.VIP)
    # when
    seen, cursor = [], ""
    while True:
        page = inbox_page(world.lena, f, cursor=cursor, limit=1)
        seen += [t.pk for t in page.items]
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    # then
    assert len(seen) == len(set(seen)) == 3


def test_a_segment_change_rebuilds_the_cached_row(world):
    """The row's cache key carries the badges: losing VIP shows at once."""
    # given
    maria_orders(world.store)
    client = _client(world.lena)
    assert "seg-vip" in client.get(INBOX, {"view": "all"}).content.decode()
    # when
    CustomerSegment.objects.filter(customer=world.maria, segment=Segment.VIP).delete()
    # then
    assert "seg-vip" not in client.get(INBOX, {"view": "all"}).content.decode()


def test_inbox_segment_badges_cost_one_query_for_the_page(world):
    """Five or fifteen VIP rows: the same number of queries."""

    # given
    def count() -> int:
        cache.clear()
        with CaptureQueriesContext(connection) as captured:
            _client(world.lena).get(INBOX, {"view": "all"})
        return len(captured)

    maria_orders(world.store)
    for i in range(3):
        do_create_ticket(
            store=world.store, customer=world.maria, subject=f"A {i}", body_text="?", actor=None
        )
    small = count()
    # when
    for i in range(10):
        do_create_ticket(
            store=world.store, customer=world.maria, subject=f"B {i}", body_text="?", actor=None
        )
    # then
    assert count() == small


def test_search_results_carry_segment_badges(world):
    # given
    maria_orders(world.store)
    # when
    response = _client(world.lena).get(reverse("web:search"), {"q": "Maria"})
    # then
    assert "seg seg-vip" in response.content.decode()


# --- customer page -------------------------------------------------------------------------------


def test_customer_page_shows_figures_timeline_and_show_more(world, monkeypatch):
    """The page lists the newest entries; "Show more" (htmx) brings the rest, ending without
    a further button; a forged cursor is a 400."""
    # given: Maria's history has 20 entries, shown 12 at a time
    monkeypatch.setattr(customers_views, "TIMELINE_PAGE", 12)
    maria_orders(world.store)
    client = _client(world.anna)
    url = reverse("web:customer", args=[world.maria.pk])
    # when
    page = client.get(url)
    # then
    html = page.content.decode()
    assert page.context["figures"][0].stats.lifetime_value == Decimal("1456.60")
    assert next(b.code for b in page.context["badges"]) == "vip"
    first = page.context["timeline"]["rows"]
    assert first[0]["entry"].title.startswith("Ticket #")
    assert first[0]["link"] == reverse("web:ticket", args=[world.maria_ticket.pk])
    assert "Order #1061 placed" in html and "Ceramic planter set" in html
    cursor = page.context["timeline"]["next_cursor"]
    assert cursor
    more = client.get(reverse("web:customer_timeline", args=[world.maria.pk]), {"cursor": cursor})
    later = [r["entry"].key for r in more.context["timeline"]["rows"]]
    assert later and not {r["entry"].key for r in first} & set(later)
    assert "Order #1004 placed" in more.content.decode()
    assert more.context["timeline"]["next_cursor"] is None
    bad = client.get(reverse("web:customer_timeline", args=[world.maria.pk]), {"cursor": "x"})
    assert bad.status_code == 400


def test_adding_and_removing_an_important_date(world):
    """A plain form post adds the date and comes back with a message; htmx gets the card; an
    impossible day is refused with its reason; removing takes it away."""
    # given
    client = _client(world.anna)
    add_url = reverse("web:customer_date_add", args=[world.maria.pk])
    # when
    added = client.post(
        add_url, {"kind": "birthday", "day": "14", "month": "3", "year": "1988", "label": ""}
    )
    refused = client.post(add_url, {"kind": "birthday", "day": "31", "month": "4"}, **HTMX)
    # then
    assert added.status_code == 302 and _messages(added) == ["Date added."]
    item = ImportantDate.objects.get(customer=world.maria)
    assert (item.day, item.month, item.year) == (14, 3, 1988)
    assert refused.status_code == 200
    assert "31.04 does not exist" in refused.content.decode()
    assert ImportantDate.objects.count() == 1
    # when
    removed = client.post(
        reverse("web:customer_date_delete", args=[world.maria.pk, item.pk]), **HTMX
    )
    # then
    assert removed.status_code == 200 and "No dates yet." in removed.content.decode()
    assert not ImportantDate.objects.exists()


def test_dates_of_invisible_customers_are_404(world):
    """Anna can neither add to nor remove from Ivan, whom she cannot see."""
    # given
    item = do_add_important_date(world.ivan, kind="birthday", month=5, day=5, actor=None)
    client = _client(world.anna)
    # when
    add = client.post(
        reverse("web:customer_date_add", args=[world.ivan.pk]),
        {"kind": "birthday", "day": "1", "month": "1"},
    )
    remove = client.post(reverse("web:customer_date_delete", args=[world.ivan.pk, item.pk]))
    wrong_pair = _client(world.lena).post(
        reverse("web:customer_date_delete", args=[world.maria.pk, item.pk])
    )
    # then
    assert (add.status_code, remove.status_code, wrong_pair.status_code) == (404, 404, 404)
    assert ImportantDate.objects.count() == 1


def test_upcoming_dates_page(world):
    """Maria's birthday in 9 days is on the default (30 days) list with her age and badge;
    the 7-day range leaves it out."""
    # given
    maria_orders(world.store)
    soon = timezone.localdate() + timedelta(days=9)
    do_add_important_date(
        world.maria, kind="birthday", month=soon.month, day=soon.day, year=1990, actor=None
    )
    client = _client(world.anna)
    # when
    month = client.get(reverse("web:upcoming_dates"))
    week = client.get(reverse("web:upcoming_dates"), {"days": "7"})
    # then
    html = month.content.decode()
    assert "Maria Kowalska" in html and f"turns {soon.year - 1990}" in html
    assert "seg seg-vip" in html
    assert week.context["found"] == []
    assert "Upcoming dates" in html  # the sidebar link


# --- store settings ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status", "editable"),
    [("ada", 200, True), ("lena", 200, False), ("anna", 404, None), ("piotr", 404, None)],
)
def test_store_settings_page_per_role(world, persona, status, editable):
    # when
    response = _client(getattr(world, persona)).get(reverse("web:store_settings", args=["demo"]))
    # then
    assert response.status_code == status
    if status == 200:
        assert response.context["can_edit"] is editable
        assert ("Save rules" in response.content.decode()) is editable
    home = _client(getattr(world, persona)).get(reverse("web:store_settings_home"))
    assert home.status_code == (302 if status == 200 else 404)


def test_admin_saves_thresholds_and_sees_the_counts(world):
    """Ada lowers the VIP threshold to €500 (Ivan's €600 qualifies now): saved, recomputed, and
    the page counts one VIP more."""
    # given
    maria_orders(world.store)
    do_upsert_order(world.store, order_data("77", total="600.00", email="ivan@example.ru"))
    client = _client(world.ada)
    url = reverse("web:store_settings", args=["demo"])
    form = client.get(url).context["segments_form"]
    values = {name: form.initial[name] for name in form.fields}
    values.update(action="segments", vip_threshold="500", negative_tags="complaint")
    # when
    saved = client.post(url, values)
    page = client.get(url)
    # then
    assert saved.status_code == 302
    assert _messages(saved) == ["Segment settings saved.", "2 customers recomputed."]
    assert SegmentSettings.objects.get(store=world.store).vip_threshold == Decimal("500")
    vip = next(c for c in page.context["counts"] if c.code == "vip")
    assert vip.count == 2


def test_invalid_thresholds_and_leads_posts_are_refused(world):
    # given
    url = reverse("web:store_settings", args=["demo"])
    values = {
        "action": "segments",
        "vip_threshold": "1000",
        "repeat_min_orders": "2",
        "new_days": "30",
        "dormant_days": "180",
        "high_returner_percent": "150",
        "high_returner_min_orders": "3",
        "negative_tags": "complaint",
        "negative_days": "30",
        "engagement_days": "180",
        "passionate_signals": "3",
    }
    # when
    invalid = _client(world.ada).post(url, values)
    by_lead = _client(world.lena).post(url, {**values, "high_returner_percent": "20"})
    # then
    assert invalid.status_code == 400
    assert invalid.context["segments_form"].errors["high_returner_percent"]
    assert by_lead.status_code == 403
    assert not SegmentSettings.objects.filter(store=world.store).exists()


def test_admin_adds_an_exchange_rate(world):
    # given
    url = reverse("web:store_settings", args=["demo"])
    # when
    response = _client(world.ada).post(
        url, {"action": "rate", "currency": "usd", "rate": "0.92", "valid_from": "2026-01-01"}
    )
    # then
    assert response.status_code == 302
    rates = _client(world.ada).get(url).context["rates"]
    assert [(r.currency, r.rate) for r in rates] == [("USD", Decimal("0.92000000"))]
