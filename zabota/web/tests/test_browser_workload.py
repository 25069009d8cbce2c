"""The workload page (with its routing settings) and the sidebar footer's availability control
in a real browser (also docs/screenshots/workload.png)."""

import pytest

from zabota.conftest import make_user
from zabota.routing.actions import availability_of, do_set_availability, drain_all
from zabota.routing.constants import Availability, Strategy
from zabota.routing.models import CustomerManager, GroupRouting
from zabota.tickets.actions import do_create_ticket
from zabota.web.tests.conftest import ARTIFACTS, login, screenshot

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


def _settled(page) -> None:
    # htmx binds a swapped form's triggers once the swap has settled: a change before is lost.
    page.wait_for_load_state("networkidle")
    page.wait_for_function(
        "!document.querySelector('.htmx-settling, .htmx-swapping, .htmx-request')"
    )


def test_lead_changes_strategy_and_capacity_on_the_workload(page, world):
    """Lena switches Support from manual to least loaded: Anna, online, takes one of the two
    waiting tickets (capacity 1); raising Anna's capacity to 3 gives her the other one. A
    language that is not a code is refused beside the field."""
    # given
    world.anna.capacity = 1
    world.anna.save(update_fields=["capacity"])
    do_set_availability(world.anna, status=Availability.ONLINE, actor=world.anna)
    do_create_ticket(
        store=world.store, customer=world.ivan, subject="Where?", body_text="?", actor=None
    )
    login(page, world.lena)
    page.goto(page.base_url + "/workload/")
    support = page.locator("section[data-group]", has=page.locator("h2", has_text="Support"))
    assert support.locator("[data-queued]").get_attribute("data-queued") == "2"

    # when: least loaded
    _settled(page)
    # (the drain answers within a second; a busy test machine may take longer)
    with page.expect_response(lambda r: "/strategy/" in r.url, timeout=30_000):
        support.locator("select[name=strategy]").select_option("least_loaded")
    page.wait_for_selector('select[data-strategy="least_loaded"]', timeout=30_000)

    # then
    support = page.locator("section[data-group]", has=page.locator("h2", has_text="Support"))
    assert support.locator("[data-queued]").get_attribute("data-queued") == "1"
    anna = support.locator('tr[data-agent="anna@example.com"] [data-load]')
    assert anna.get_attribute("data-load") == "1/1"
    assert GroupRouting.objects.get(group=world.support).strategy == Strategy.LEAST_LOADED

    # when: a wrong language, then capacity 3 with en, ru
    _settled(page)
    form = support.locator('form[data-profile="anna@example.com"]')
    form.locator("input[name=languages]").fill("english")
    form.locator("button[type=submit]").click()
    page.wait_for_selector('form[data-profile="anna@example.com"] .error')
    _settled(page)
    form = page.locator('section[data-group] form[data-profile="anna@example.com"]').first
    form.locator("input[name=capacity]").fill("3")
    form.locator("input[name=languages]").fill("en, ru")
    form.locator("button[type=submit]").click()
    page.wait_for_selector('tr[data-agent="anna@example.com"] [data-load="2/3"]')

    # then
    world.anna.refresh_from_db()
    assert (world.anna.capacity, world.anna.languages) == (3, ["en", "ru"])
    assert world.anna.assigned_tickets.count() == 2
    screenshot(page, "workload-settings")


@pytest.mark.parametrize(
    ("language", "name", "width", "height"),
    [
        ("en", "Lena Lead", 1280, 800),
        ("en", "Magdalena Lindqvist-Kowalska", 1440, 900),
        ("ru", "Елена Константиновна", 1280, 800),
        ("ru", "Елена Константиновна Лебедева", 1440, 900),
    ],
)
def test_sidebar_footer_shows_the_whole_name(page, world, language, name, width, height):
    """The footer gives the name its own line (no "Len…"), the availability control beneath."""
    # given
    world.lena.name = name
    world.lena.ui_language = language
    world.lena.save(update_fields=["name", "ui_language"])
    page.set_viewport_size({"width": width, "height": height})
    login(page, world.lena)
    page.goto(page.base_url + "/workload/")
    footer = page.locator(".sidebar-footer")
    footer.locator("form#availability select").wait_for()

    # then: the name is shown whole, not cut by an ellipsis
    label = footer.locator(".sidebar-account-name")
    assert label.inner_text() == name
    assert label.evaluate("e => e.scrollWidth <= e.clientWidth")
    name_box, control_box = label.bounding_box(), footer.locator("form#availability").bounding_box()
    assert control_box["y"] >= name_box["y"] + name_box["height"]  # beneath the name
    ARTIFACTS.mkdir(exist_ok=True)
    footer.screenshot(path=str(ARTIFACTS / f"sidebar-footer-{language}-{width}.png"))
    screenshot(page, f"sidebar-{language}-{width}x{height}")


def test_lead_sets_a_personal_manager_on_the_customer_page(page, world):
    """Lena picks Anna as Maria's personal manager in the card on Maria's page; the workload
    then lists Anna with one key client."""
    # given: the card loads beneath the dates
    login(page, world.lena)
    page.goto(page.base_url + f"/customers/{world.maria.pk}/")
    card = page.locator("#managers")
    card.locator("select[name=manager]").wait_for()
    _settled(page)

    # when
    card.locator("select[name=manager]").select_option(label="Anna Agent")
    page.wait_for_function(
        "document.querySelector('#managers select').selectedOptions[0].text === 'Anna Agent'"
        " && !document.querySelector('.htmx-request')"
    )

    # then
    assert CustomerManager.objects.get(customer=world.maria, store=world.store).user == world.anna
    screenshot(page, "customer-manager")
    page.goto(page.base_url + "/workload/")
    row = page.locator('tr[data-manager="anna@example.com"]')
    assert row.locator("[data-key-clients]").get_attribute("data-key-clients") == "1"
    row.locator("summary").click()
    assert row.locator(f'a[href="/customers/{world.maria.pk}/"]').is_visible()
