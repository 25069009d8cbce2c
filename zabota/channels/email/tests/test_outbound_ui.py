"""The ticket page shows how each e-mailed reply fared (queued, sent, retrying, failed with the
server's words) with a "Retry" for failed ones, and folds quoted history and signatures away."""

import pytest
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from zabota.channels.email.constants import OutboundStatus
from zabota.channels.email.models import OutboundEmail
from zabota.channels.email.tests.inbound_helpers import deliver, mail
from zabota.channels.email.tests.servers import smtp_capture  # noqa: F401 - fixture "smtp"
from zabota.channels.email.tests.transport_helpers import SUPPORT, reply, smtp_mailbox

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _page(client, ticket) -> str:
    response = client.get(reverse("web:ticket", args=[ticket.pk]))
    assert response.status_code == 200
    return response.content.decode()


def _retry_url(ticket, message) -> str:
    return reverse("web:ticket_email_retry", args=[ticket.pk, message.pk])


def test_each_reply_shows_its_delivery_status(client, world, smtp):
    """Sent, retrying (attempt and error) and failed (error and a Retry button) each read as such
    under their reply."""
    # given
    smtp_mailbox(world.store, smtp)
    ticket = world.maria_ticket
    sent = reply(ticket, world.anna, "First answer")
    smtp.handler.data_replies.append("451 4.3.2 System busy")
    retrying = reply(ticket, world.anna, "Second answer")
    smtp.handler.data_replies.append("550 5.1.1 Mailbox unavailable")
    failed = reply(ticket, world.anna, "Third answer")
    client.force_login(world.lena)
    # when
    html = _page(client, ticket)
    # then
    assert 'class="msg-delivery delivery-sent"' in html
    assert "Sent to maria@example.pl" in html
    assert f'id="delivery-{retrying.pk}"' in html
    assert "Retrying: attempt 1 failed" in html and "451 4.3.2 System busy" in html
    assert f'id="delivery-{failed.pk}"' in html
    assert "Not delivered to maria@example.pl" in html and "550 5.1.1 Mailbox unavailable" in html
    assert _retry_url(ticket, failed) in html
    assert _retry_url(ticket, sent) not in html and _retry_url(ticket, retrying) not in html


def test_retry_sends_a_failed_reply_again(client, world, smtp):
    """Retry on a failed reply queues it at once (the refreshed timeline says so) and the worker
    sends it."""
    # given
    smtp_mailbox(world.store, smtp)
    ticket = world.maria_ticket
    smtp.handler.data_replies.append("554 5.7.1 Temporarily blocked by policy")
    message = reply(ticket, world.anna)
    client.force_login(world.anna)
    # when
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(_retry_url(ticket, message), **HTMX)
    # then
    assert response.status_code == 200
    outbound = OutboundEmail.objects.get(message=message)
    assert "Queued for sending to maria@example.pl" in response.content.decode()
    assert outbound.status == OutboundStatus.SENT
    assert len(smtp.handler.received) == 1


def test_retry_of_a_sent_reply_is_refused_with_a_message(client, world, smtp):
    """Only failed mail is sent again by hand; otherwise the agent is told why, nothing is sent."""
    # given
    smtp_mailbox(world.store, smtp)
    ticket = world.maria_ticket
    message = reply(ticket, world.anna)
    client.force_login(world.anna)
    # when
    response = client.post(_retry_url(ticket, message), **HTMX)
    # then
    assert response.status_code == 200
    assert "Only an e-mail that failed can be sent again." in response.content.decode()
    assert len(smtp.handler.received) == 1


def test_retry_is_404_for_tickets_and_messages_out_of_reach(client, world, smtp):
    """An agent who cannot see the ticket, or a message of another ticket: not found."""
    # given
    smtp_mailbox(world.store, smtp)
    smtp.handler.data_replies.append("554 5.7.1 Rejected")
    failed = reply(world.maria_ticket, world.anna)
    client.force_login(world.piotr)  # Returns only; Maria's ticket is in Support
    # when
    hidden = client.post(_retry_url(world.maria_ticket, failed))
    client.force_login(world.lena)
    elsewhere = client.post(_retry_url(world.ivan_ticket, failed))
    # then
    assert hidden.status_code == 404
    assert elsewhere.status_code == 404
    assert OutboundEmail.objects.get(message=failed).status == OutboundStatus.FAILED


def test_quoted_history_and_signature_are_folded_under_the_message(client, world):
    """The customer's new text is shown; the quote and the signature wait behind "Show quoted
    text", closed."""
    # given
    body = (
        "Thanks, it arrived!\n\n-- \nMaria Kowalska\nKraków\n\n"
        "On Mon, 5 Aug 2024 at 10:00, Support <support@store.example> wrote:\n"
        "> Your parcel left yesterday.\n"
    )
    inbound = deliver(mail(sender="maria@example.pl", body=body), envelope_recipient=SUPPORT)
    message = inbound.message
    assert message.channel_meta["quoted"] and message.channel_meta["signature"]
    client.force_login(world.lena)
    # when
    html = _page(client, inbound.ticket)
    # then
    card = html[html.index(f'id="message-{message.pk}"') :]
    assert '<details class="msg-quoted">' in card
    assert "Show quoted text" in card
    assert "Your parcel left yesterday." in card and "Kraków" in card
    assert '<details class="msg-quoted" open' not in card


def test_the_page_costs_the_same_queries_with_more_mailed_replies(client, world, smtp):
    """Delivery status comes with the timeline query: 2 or 12 mailed replies, same query count."""
    # given
    smtp_mailbox(world.store, smtp)
    ticket = world.maria_ticket
    client.force_login(world.lena)
    _page(client, ticket)
    for i in range(2):
        reply(ticket, world.anna, f"Reply {i}")
    with CaptureQueriesContext(connection) as few:
        _page(client, ticket)
    for i in range(10):
        reply(ticket, world.anna, f"More {i}")
    # when
    with CaptureQueriesContext(connection) as many:
        _page(client, ticket)
    # then
    assert OutboundEmail.objects.count() == 12
    assert len(many.captured_queries) == len(few.captured_queries)
