"""Customer 360 in a real browser: the ticket sidebar with orders, lifetime value and badges;
the customer page's timeline and important dates; the store's segment settings; the inbox's
segment filter. Also produces docs/screenshots/ticket-customer360.png and customer.png."""

from datetime import timedelta

import pytest
from django.utils import timezone

from zabota.commerce.constants import Segment
from zabota.commerce.models import CustomerSegment, SegmentSettings
from zabota.customers.actions import do_add_identity, do_add_important_date, do_update_customer
from zabota.customers.models import ImportantDate
from zabota.tickets.actions import do_add_customer_message, do_change_tags, get_or_create_tag
from zabota.tickets.models import Ticket
from zabota.web.tests.conftest import login, screenshot
from zabota.web.tests.shop_history import TRACKING_URL, maria_orders

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SUBJECT = "Parcel stuck in Poznań since Monday — order #1061"


def _maria_writes_about_her_parcel(world) -> Ticket:
    """Maria, a VIP with six orders, asks where her planters are."""
    do_update_customer(world.maria, language="pl", actor=None)
    do_add_identity(world.maria, kind="phone", value="+48601234567", actor=None)
    maria_orders(world.store)
    today = timezone.localdate()
    soon = today + timedelta(days=9)
    do_add_important_date(
        world.maria,
        kind=ImportantDate.Kind.BIRTHDAY,
        month=soon.month,
        day=soon.day,
        year=1988,
        actor=None,
    )
    ticket = world.maria_ticket
    Ticket.objects.filter(pk=ticket.pk).update(subject=SUBJECT)
    do_add_customer_message(
        ticket,
        body_text=(
            "Hello, tracking has said “In transit — Poznań sorting centre” since Tuesday. "
            "It is a birthday present for Saturday — could you check what is going on?"
        ),
    )
    tag = get_or_create_tag(world.store, "late-delivery")
    tag.color = "#3e63dd"
    tag.save(update_fields=["color"])
    do_change_tags(ticket, add=[tag], actor=world.lena)
    ticket.refresh_from_db()
    return ticket


def test_ticket_sidebar_shows_orders_lifetime_value_and_badges(page, world):
    """Lena opens Maria's ticket: the sidebar shows her lifetime value in euros, her order
    count, a gold VIP badge, the last five orders with payment and shipping states, the DPD
    tracking link opening in a new tab, and the return of order #1047."""
    # given
    ticket = _maria_writes_about_her_parcel(world)
    login(page, world.lena)
    # when
    page.goto(page.base_url + f"/tickets/{ticket.pk}/")
    # then
    side = page.locator("#ticket-sidebar")
    assert side.locator(".side-figure-main dd").inner_text() == "€1,456.60"
    figures = side.locator(".side-figures").inner_text()
    # The last order was placed 12 days and 3 hours ago: 13 calendar days between midnight
    # and 03:00 in the store's time zone.
    assert "Orders\n5" in figures
    assert "12 days ago" in figures or "13 days ago" in figures
    assert side.locator(".side-badges .seg-vip").inner_text().strip().upper() == "VIP"
    assert page.locator(".tk-meta .seg-vip").count() == 1
    orders = side.locator(".orders > li")
    assert orders.count() == 5
    assert orders.nth(0).locator(".order-number").inner_text() == "#1061"
    assert "In transit" in orders.nth(0).inner_text()
    tracking = orders.nth(0).locator("a.tracking")
    assert tracking.get_attribute("href") == TRACKING_URL
    assert tracking.get_attribute("target") == "_blank"
    assert "noopener" in (tracking.get_attribute("rel") or "")
    assert "Cancelled" in orders.nth(1).inner_text()
    assert "Too small" in orders.nth(2).inner_text()
    page.wait_for_timeout(200)
    path = screenshot(page, "ticket-customer360", docs=True)
    assert path.stat().st_size > 10_000


def test_customer_page_timeline_and_a_new_important_date(page, world):
    """On Maria's page the timeline merges her ticket with her orders, shipments, the refund
    and the return, newest first, and "Show more" brings the older entries; Lena then adds
    Maria's name day and sees it listed without leaving the page."""
    # given
    _maria_writes_about_her_parcel(world)
    login(page, world.lena)
    # when
    page.goto(page.base_url + f"/customers/{world.maria.pk}/")
    # then
    assert page.locator(".page-title .seg-vip").count() == 1
    assert page.locator(".figure-main dd").inner_text() == "€1,456.60"
    timeline = page.locator("#timeline")
    first = timeline.locator(".tl-entry").first.inner_text()
    assert "Where is my parcel?" in first or SUBJECT in first
    text = timeline.inner_text()
    assert "Order #1061 placed" in text and "Order #1055 cancelled" in text
    assert "Refund for order #1047" in text and "−€59.90" in text
    assert "Return requested for order #1047" in text
    # The personal-manager card loads beneath the dates after the page: settled first.
    page.locator("#managers").wait_for()
    page.wait_for_timeout(200)
    screenshot(page, "customer", docs=True)

    # when: she adds a name day with the form
    page.select_option("#dates select[name=kind]", "name_day")
    page.fill("#dates input[name=day]", "29")
    page.select_option("#dates select[name=month]", "2")
    page.fill("#dates input[name=label]", "Marii")
    page.click("#dates button[type=submit]:has-text('Add date')")
    # then
    page.locator("#dates .idate", has_text="Name day").wait_for()
    assert ImportantDate.objects.filter(customer=world.maria, month=2, day=29).exists()

    # when: she tries 31 April
    page.fill("#dates input[name=day]", "31")
    page.select_option("#dates select[name=month]", "4")
    page.click("#dates button[type=submit]:has-text('Add date')")
    # then
    page.locator("#dates [role=alert]", has_text="does not exist").wait_for()
    assert not ImportantDate.objects.filter(customer=world.maria, month=4).exists()

    # when: she looks at the upcoming dates
    page.click(".sidebar a:has-text('Upcoming dates')")
    # then
    page.locator(".upcoming-row", has_text="Maria Kowalska").wait_for()
    assert "turns" in page.locator(".upcoming").inner_text()
    screenshot(page, "upcoming-dates")


def test_admin_raises_the_vip_threshold_and_the_counts_follow(page, world):
    """Ada sets the VIP threshold above Maria's lifetime value: the page says the customers
    were recomputed, the VIP count drops to 0 and Maria loses her badge."""
    # given
    _maria_writes_about_her_parcel(world)
    login(page, world.ada)
    page.goto(page.base_url + "/stores/demo/settings/")
    vip = page.locator(".segment-count:has(.seg-vip) .segment-count-n")
    assert vip.inner_text() == "1"
    # when
    page.fill("input[name=vip_threshold]", "2000")
    page.click("button:has-text('Save rules')")
    # then
    page.wait_for_selector(".toast:has-text('Segment settings saved.')")
    assert page.locator(".segment-count:has(.seg-vip) .segment-count-n").inner_text() == "0"
    assert SegmentSettings.objects.get(store=world.store).vip_threshold == 2000
    assert not CustomerSegment.objects.filter(customer=world.maria, segment=Segment.VIP).exists()
    screenshot(page, "store-settings")


def test_inbox_filter_by_segment(page, world):
    """Lena narrows all tickets to VIP customers: only Maria's ticket stays, with its badge."""
    # given
    _maria_writes_about_her_parcel(world)
    login(page, world.lena)
    page.goto(page.base_url + "/?view=all")
    page.wait_for_selector(".ticket-row")
    assert page.locator(".ticket-row").count() == 2
    # when
    page.select_option("select[name=segment]", "vip")
    # then
    page.wait_for_url("**segment=vip**")
    page.wait_for_function("document.querySelectorAll('.ticket-row').length === 1")
    row = page.locator(".ticket-row")
    assert SUBJECT in row.inner_text()
    assert row.locator(".seg-vip").count() == 1
    screenshot(page, "inbox-segment")
