"""Automation rules in a real browser: Ada configures "VIP first" through the form (htmx adds
rows), and a VIP customer's new email ticket is tagged, raised and routed by it, with the
changes on the ticket's timeline. Also produces docs/screenshots/rules.png."""

import pytest

from zabota.automation.models import RuleApplication
from zabota.commerce.constants import Segment
from zabota.commerce.models import CustomerSegment
from zabota.tickets.actions import do_create_ticket
from zabota.tickets.constants import Priority
from zabota.web.tests.conftest import login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_vip_email_ticket_is_tagged_raised_and_routed_by_a_rule_made_in_the_ui(page, world):
    """Ada builds the rule row by row; Maria (VIP) then writes and her ticket is tagged VIP,
    high priority and in Returns, each change labelled with the rule on the timeline."""
    # given
    CustomerSegment.objects.create(store=world.store, customer=world.maria, segment=Segment.VIP)
    login(page, world.ada)
    page.goto(page.base_url + "/automation/rules/new/")
    page.fill("#rule-name", "VIP first")
    page.select_option("#rule-store", str(world.store.pk))
    page.check("input[name=triggers][value='ticket.created']")
    conditions = page.locator("#condition-rows .condition-row")
    conditions.nth(0).locator("select[name=cond_field]").select_option("customer.segment")
    conditions.nth(0).locator("select[name=cond_op]").select_option("has")
    conditions.nth(0).locator("input[name=cond_value]").fill("vip")
    page.click("#add-condition")
    conditions.nth(1).wait_for()
    conditions.nth(1).locator("select[name=cond_field]").select_option("ticket.channel")
    conditions.nth(1).locator("select[name=cond_op]").select_option("is")
    conditions.nth(1).locator("input[name=cond_value]").fill("email")
    actions = page.locator("#action-rows .action-row")
    for index, (kind, value) in enumerate(
        [("add_tag", "VIP"), ("set_priority", "High"), ("assign_group", "Returns")]
    ):
        if index:
            page.click("#add-action")
            actions.nth(index).wait_for()
        actions.nth(index).locator("select[name=act_type]").select_option(kind)
        actions.nth(index).locator("input[name=act_value]").fill(value)
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "rules", docs=True)
    # when
    page.click("#rule-form button[type=submit]")
    page.wait_for_url(page.base_url + "/automation/rules/")
    assert page.locator("tr[data-rule='VIP first']").count() == 1
    ticket = do_create_ticket(
        store=world.store,
        customer=world.maria,
        subject="Gift wrapping for my order",
        body_text="Could you wrap it?",
        actor=None,
    )
    # then
    ticket.refresh_from_db()
    assert list(ticket.tags.values_list("name", flat=True)) == ["vip"]
    assert ticket.priority == Priority.HIGH
    assert ticket.group == world.returns
    assert RuleApplication.objects.filter(ticket=ticket).count() == 1
    page.goto(page.base_url + f"/tickets/{ticket.pk}/")
    assert page.get_by_text("rule: VIP first").count() >= 1
    screenshot(page, "rules-ticket")
