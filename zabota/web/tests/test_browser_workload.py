"""The workload page and the availability control in a real browser
(also docs/screenshots/workload.png)."""

import pytest

from zabota.conftest import make_user
from zabota.routing.actions import availability_of, do_set_availability, drain_all
from zabota.routing.constants import Availability, Strategy
from zabota.routing.models import GroupRouting
from zabota.tickets.actions import do_create_ticket
from zabota.web.tests.conftest import login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_lead_sees_the_workload_and_goes_online(page, world):
    """Lena, lead of a routed group, sees her agents' loads and the queue; she switches her
    own availability to online from the sidebar."""
    # given: Anna and Olga in Support (least loaded), Anna online; five tickets arrive
    GroupRouting.objects.create(group=world.support, strategy=Strategy.LEAST_LOADED)
    olga = make_user("olga@example.com", "Olga Orlova")
    world.support.members.add(olga, world.lena)
    for agent in (world.anna, olga):
        agent.capacity = 2
        agent.save(update_fields=["capacity"])
    do_set_availability(world.anna, status=Availability.ONLINE, actor=world.anna)
    do_set_availability(olga, status=Availability.AWAY, actor=olga)
    for i in range(4):
        do_create_ticket(
            store=world.store,
            customer=world.maria,
            subject=f"Question {i}",
            body_text="?",
            actor=None,
        )
    drain_all()

    # when
    login(page, world.lena)
    page.goto(page.base_url + "/workload/")

    # then: Anna full at 2/2, Olga away, three tickets waiting in Support
    anna = page.locator('tr[data-agent="anna@example.com"]')
    assert anna.locator("[data-load]").get_attribute("data-load") == "2/2"
    olga_row = page.locator('tr[data-agent="olga@example.com"]')
    assert olga_row.locator("[data-status]").inner_text() == "Away"
    support = page.locator("section", has=page.locator("h2", has_text="Support"))
    assert support.locator("[data-queued]").get_attribute("data-queued") == "3"

    # when: Lena goes online with the sidebar control
    control = page.locator("form#availability select")
    control.wait_for()
    # htmx binds the control's trigger once its swap has settled: a change before is lost.
    page.wait_for_load_state("networkidle")
    page.wait_for_function("!document.querySelector('.htmx-settling, .htmx-swapping')")
    control.select_option("online")
    page.wait_for_selector('#availability .dot[data-status="online"]')

    # then: being a member of Support with room, she takes the three waiting tickets
    assert availability_of(world.lena) == Availability.ONLINE
    assert world.lena.assigned_tickets.count() == 3
    page.reload()
    lena = page.locator('tr[data-agent="lena@example.com"]')
    assert lena.locator("[data-load]").get_attribute("data-load") == "3/5"
    screenshot(page, "workload", docs=True)
