"""Webhook subscriptions in a real browser: an admin creates one against a real receiver on
127.0.0.1, copies the secret, sends a test event and reads it in the delivery log
(also docs/screenshots/webhooks.png)."""

import json

import pytest

from zabota.web.tests.conftest import login, screenshot
from zabota.webhooks.constants import TEST_EVENT, DeliveryStatus
from zabota.webhooks.models import Delivery, Subscription
from zabota.webhooks.tests.conftest import receiver  # noqa: F401 - the receiver fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_creates_a_subscription_and_sees_the_test_event_delivered(
    page,
    world,
    receiver,  # noqa: F811
):
    """Ada adds "Shop backend" for the demo store, allowed on the private network, and checks
    it with a test event: the receiver gets it signed, the log shows it delivered."""
    # when: Ada creates the subscription through the form
    login(page, world.ada)
    page.goto(page.base_url + "/settings/webhooks/")
    page.get_by_text("No webhook subscriptions yet.").wait_for()
    page.get_by_role("link", name="New subscription").click()
    page.fill("input[name=name]", "Shop backend")
    page.select_option("select[name=store]", label=world.store.name)
    page.fill("input[name=url]", receiver.url)
    page.get_by_label("Ticket created").check()
    page.get_by_label("Order refunded").check()
    page.get_by_label("Allow private network addresses").check()
    page.get_by_role("button", name="Create subscription").click()

    # then: the secret is shown once, with a copy button
    page.locator("[data-new-secret]").wait_for()
    subscription = Subscription.objects.get()
    assert page.locator("#secret-value").inner_text() == subscription.secret
    assert subscription.event_types == ["ticket.created", "order.refunded"]
    assert subscription.store == world.store
    assert subscription.allow_private_network
    assert page.locator("#copy-secret").is_visible()
    screenshot(page, "webhooks-secret")

    # when: she sends a test event
    page.locator("#send-test").first.click()
    page.wait_for_url("**/deliveries/")

    # then: the receiver got it, and the log shows it delivered
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.SUCCEEDED
    [request] = receiver.requests
    assert request.headers["X-Zabota-Event"] == TEST_EVENT
    assert json.loads(request.body)["data"]["subscription"] == "Shop backend"
    row = page.locator(f'details[data-delivery="{delivery.pk}"]')
    assert row.get_attribute("data-status") == "succeeded"
    assert not row.locator("[data-body]").is_visible()
    row.locator("summary").click()
    assert row.locator("[data-body]").is_visible()
    assert '"type": "webhook.test"' in row.locator("[data-body]").inner_text()
    assert "answer 200" in row.locator("[data-response]").inner_text()

    # when: the receiver breaks, and the next test event ends up failed after its last attempt
    receiver.statuses = [500]
    with page.expect_navigation():
        page.locator("#send-test").click()
    failed = Delivery.objects.latest("pk")
    assert (failed.status, failed.error) == (DeliveryStatus.PENDING, "HTTP 500")
    Delivery.objects.filter(pk=failed.pk).update(
        status=DeliveryStatus.FAILED, attempts=8, next_attempt_at=None
    )
    page.get_by_role("link", name="Failed").click()
    page.wait_for_url("**status=failed")

    # then: the failed one alone, newest first, with its error and a retry button
    rows = page.locator("details[data-delivery]")
    assert rows.count() == 1
    row = page.locator(f'details[data-delivery="{failed.pk}"]')
    row.locator("summary").click()
    assert row.locator("[data-error]").inner_text() == "HTTP 500"
    with page.expect_navigation():
        page.get_by_role("link", name="All", exact=True).click()
    page.locator(f'details[data-delivery="{failed.pk}"] summary').click()
    screenshot(page, "webhooks", docs=True)

    # when: Ada retries it now
    with page.expect_navigation():
        page.locator(f'[data-retry="{failed.pk}"]').click()

    # then
    failed.refresh_from_db()
    assert failed.status == DeliveryStatus.SUCCEEDED
    assert len(receiver.requests) == 3
    assert page.locator(f'details[data-delivery="{failed.pk}"]').get_attribute("data-status") == (
        "succeeded"
    )

    # and the list shows the last delivery's status
    page.get_by_role("link", name="Webhooks").first.click()
    shop = page.locator('tr[data-subscription="Shop backend"]')
    assert shop.locator("[data-last-status]").get_attribute("data-last-status") == "succeeded"
    assert shop.locator("[data-failures]").get_attribute("data-failures") == "0"
    screenshot(page, "webhooks-list")
