"""E-mail delivery on the ticket page in a real browser: a refused reply, its server answer, the
Retry button and the folded quoted history (also docs/screenshots/email-delivery-failed.png)."""

import pytest
from django.urls import reverse

from zabota.channels.email.tests.inbound_helpers import deliver, mail
from zabota.channels.email.tests.servers import smtp_capture  # noqa: F401 - fixture "smtp"
from zabota.channels.email.tests.transport_helpers import SUPPORT, reply, smtp_mailbox
from zabota.web.tests.conftest import login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_agent_retries_a_failed_reply_in_the_browser(page, world, smtp):
    """Anna sees her reply was refused, reads the server's answer, clicks Retry and sees it sent;
    the customer's quoted history opens on demand."""
    # given
    smtp_mailbox(world.store, smtp)
    inbound = deliver(
        mail(
            sender="maria@example.pl",
            subject="Parcel still missing",
            body="Any news?\n\nOn Tue, Support wrote:\n> We asked the carrier.\n",
        ),
        envelope_recipient=SUPPORT,
    )
    ticket = inbound.ticket
    smtp.handler.data_replies.append("552 5.2.2 Mailbox full")
    message = reply(ticket, world.anna, "The carrier confirmed delivery for tomorrow.")
    login(page, world.anna)
    page.goto(page.base_url + reverse("web:ticket", args=[ticket.pk]))
    status = page.locator(f"#delivery-{message.pk}")
    assert "552 5.2.2 Mailbox full" in status.inner_text()
    quoted = page.locator(".msg-quoted").first
    assert not quoted.locator(".msg-quoted-text").is_visible()
    quoted.locator("summary").click()
    assert quoted.locator(".msg-quoted-text").is_visible()
    screenshot(page, "email-delivery-failed", docs=True)
    # when
    status.get_by_role("button", name="Retry").click()
    # then
    page.locator(f"#delivery-{message.pk}.delivery-sent").wait_for()
    assert "Sent to maria@example.pl" in page.locator(f"#delivery-{message.pk}").inner_text()
    assert len(smtp.handler.received) == 1
