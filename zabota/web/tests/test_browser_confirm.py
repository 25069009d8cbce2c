"""The customer's "Yes, it is solved" page in a real browser, on a phone-sized screen
(also docs/screenshots/confirm-solved.png)."""

import pytest
from django.urls import reverse

from zabota.tickets import actions, confirmation
from zabota.tickets.constants import Status
from zabota.web.tests.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_customer_confirms_the_solution_by_link(page, world):
    """Maria opens the "yes" link from Anna's mail, sees the question, presses the button and
    is thanked; her ticket is solved."""
    # given
    actions.do_add_reply(
        world.maria_ticket,
        body_text="Your parcel is at the pick-up point.",
        then_status=Status.AWAITING_CONFIRMATION,
        actor=world.anna,
    )
    ticket = world.maria_ticket
    ticket.refresh_from_db()
    url = reverse("web:confirm_yes", kwargs={"token": confirmation.make_token(ticket)})
    page.set_viewport_size({"width": 390, "height": 760})
    # when
    page.goto(page.base_url + url)
    assert page.locator("h1").inner_text() == "Is your request solved?"
    ticket.refresh_from_db()
    assert ticket.status == Status.AWAITING_CONFIRMATION
    page.click("button[type=submit]")
    # then
    page.wait_for_selector("text=Thank you! Your request is solved.")
    screenshot(page, "confirm-solved", docs=True)
    ticket.refresh_from_db()
    assert ticket.status == Status.SOLVED
