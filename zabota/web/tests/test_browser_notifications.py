"""The notifications page in a real browser (also docs/screenshots/notifications.png)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from zabota.core import event_types, events
from zabota.notifications.actions import do_notify
from zabota.notifications.constants import Kind
from zabota.notifications.models import Notification
from zabota.notifications.queries import unread_count, wants_email
from zabota.tickets.actions import do_assign, do_create_ticket
from zabota.web.tests.conftest import login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _anna_has_notifications(world) -> None:
    """Lena gives Anna Maria's ticket; an SLA breach and a rule follow; an older one is read.
    (Autocommit: each action's events are dispatched by the inline task backend.)"""
    do_assign(world.maria_ticket, assignee=world.anna, group=world.support, actor=world.lena)
    parcel = do_create_ticket(
        store=world.store,
        customer=world.ivan,
        subject="Parcel arrived damaged",
        body_text="The box was crushed.",
        actor=None,
    )
    do_notify(
        [world.anna],
        ticket=parcel,
        kind=Kind.RULE,
        title=f"VIP first: #{parcel.number} Parcel arrived damaged",
        body="The rule “VIP first” matched this ticket.",
        actor_label="rule: VIP first",
        dedupe_key="rule:1",
    )
    events.publish_on_commit(
        event_types.SLA_BREACHED, ticket_id=world.maria_ticket.pk, targets=["first_reply"]
    )
    [old] = do_notify(
        [world.anna],
        ticket=world.ivan_ticket,
        kind=Kind.SLA_WARNING,
        title=f"SLA due soon: resolution — #{world.ivan_ticket.number} Return of a jacket",
        body="The ticket's resolution target is close to due.",
        actor_label="SLA",
        dedupe_key="old",
    )
    Notification.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(days=2), read_at=timezone.now()
    )


def test_agent_reads_her_notifications(page, world):
    """Anna sees three unread notifications above a read one, opens the SLA breach (landing on
    the ticket), marks the rest read and asks for e-mail."""
    # given
    _anna_has_notifications(world)
    assert unread_count(world.anna) == 3

    # when
    login(page, world.anna)
    # the sidebar's bell counts them
    bell = page.locator("#notifications-bell")
    bell.wait_for()
    assert bell.get_attribute("data-unread") == "3"
    bell.click()
    page.wait_for_url("**/notifications/")

    # then: newest first, the unread highlighted
    rows = page.locator("li.ntf")
    assert rows.count() == 4
    assert page.locator("li.ntf.is-unread").count() == 3
    assert rows.nth(3).get_attribute("data-kind") == Kind.SLA_WARNING
    assert "is-unread" not in (rows.nth(3).get_attribute("class") or "")
    screenshot(page, "notifications", docs=True)

    # when: she opens the SLA breach
    page.locator('li.ntf[data-kind="sla_breached"] button').click()
    page.wait_for_url(f"**/tickets/{world.maria_ticket.pk}/")

    # then
    assert unread_count(world.anna) == 2

    # when: back, mark all read, and ask for e-mail
    page.goto(page.base_url + "/notifications/")
    assert page.locator("li.ntf.is-unread").count() == 2
    page.click("#mark-all-read")
    page.wait_for_selector("li.ntf.is-unread", state="detached")
    page.check("#notify-email")
    page.click("form:has(#notify-email) button[type=submit]")
    page.wait_for_selector(".toast-success")

    # then
    assert unread_count(world.anna) == 0
    assert page.locator("#mark-all-read").count() == 0
    assert page.locator("#notify-email").is_checked()
    assert wants_email(world.anna)
    screenshot(page, "notifications-read")
