"""The acknowledgement of a new e-mail ticket: one short automatic mail with the ticket number, in
the customer's language, that no auto-responder may answer, and never more than one per sender
and hour."""

from datetime import timedelta

import pytest
from django.test import TestCase
from django.utils import timezone

from zabota.channels.email import tokens
from zabota.channels.email.constants import OutboundKind, OutboundStatus
from zabota.channels.email.models import OutboundEmail
from zabota.channels.email.outbound import acknowledge_new_ticket
from zabota.channels.email.tests.inbound_helpers import deliver, mail, message_id_of
from zabota.channels.email.tests.servers import smtp_capture  # noqa: F401 - fixture "smtp"
from zabota.channels.email.tests.transport_helpers import SUPPORT, catalogue, smtp_mailbox
from zabota.customers.actions import do_update_customer
from zabota.tickets.actions import do_create_ticket
from zabota.tickets.constants import Channel
from zabota.tickets.models import Ticket

ACK_NUMBER_MSGID = (
    "Your request number is #%(number)s. To add anything, simply reply to this e-mail."
)


@pytest.fixture
def acknowledging(world, smtp):
    return smtp_mailbox(world.store, smtp, send_acknowledgement=True)


def test_a_new_mailed_ticket_is_acknowledged_with_its_number(world, smtp, acknowledging):
    """The customer's first mail opens a ticket and gets one automatic answer naming its number,
    threaded under their mail, with the RFC 3834 and Exchange headers that silence responders."""
    # given
    first = mail(sender="maria@example.pl", subject="Broken zipper")
    # when
    inbound = deliver(first, mailbox=acknowledging, envelope_recipient=SUPPORT)
    # then
    ticket = inbound.ticket
    ack = OutboundEmail.objects.get(kind=OutboundKind.ACKNOWLEDGEMENT)
    assert ack.ticket == ticket and ack.message is None
    assert ack.status == OutboundStatus.SENT
    [received] = smtp.handler.received
    assert received.rcpt_tos == ["maria@example.pl"]
    sent = received.message
    assert sent["Auto-Submitted"] == "auto-replied"
    assert sent["X-Auto-Response-Suppress"] == "All"
    assert sent["Subject"] == f"Re: Broken zipper [#{ticket.number}]"
    assert sent["In-Reply-To"] == message_id_of(first)
    assert tokens.ticket_from_reply_address(sent["Reply-To"]) == ticket.pk
    assert str(sent["From"]) == f"Demo Store <{SUPPORT}>"
    assert f"#{ticket.number}" in sent.get_body(("plain",)).get_content()
    assert f"#{ticket.number}" in sent.get_body(("html",)).get_content()


def test_the_acknowledgement_speaks_the_customers_language(
    world, smtp, acknowledging, settings, tmp_path
):
    """Rendered under the customer's language (here Russian), not the agent's or the server's."""
    # given
    do_update_customer(world.ivan, language="ru", actor=None)
    settings.LOCALE_PATHS = [
        catalogue(
            tmp_path,
            "ru",
            {ACK_NUMBER_MSGID: "Номер вашего обращения #%(number)s. Чтобы дополнить, ответьте."},
        )
    ]
    # when
    inbound = deliver(mail(sender="ivan@example.ru", subject="Куртка"), mailbox=acknowledging)
    # then
    sent = smtp.handler.received[0].message
    assert sent["Content-Language"] == "ru"
    text = sent.get_body(("plain",)).get_content()
    assert f"Номер вашего обращения #{inbound.ticket.number}." in text


def test_a_mailbox_without_acknowledgements_sends_none(world, smtp):
    """``send_acknowledgement`` off (the default): a new ticket, no mail."""
    # given
    sending = smtp_mailbox(world.store, smtp)
    # when
    inbound = deliver(mail(sender="maria@example.pl"), mailbox=sending)
    # then
    assert inbound.ticket is not None
    assert not OutboundEmail.objects.exists()
    assert smtp.handler.received == []


def test_one_acknowledgement_per_sender_and_hour(world, smtp, acknowledging):
    """Three new tickets from one sender within the hour: one acknowledgement. An hour after it,
    the next new ticket is acknowledged again."""
    # given
    for subject in ("First", "Second", "Third"):
        deliver(mail(sender="maria@example.pl", subject=subject), mailbox=acknowledging)
    assert Ticket.objects.filter(subject__in=["First", "Second", "Third"]).count() == 3
    assert len(smtp.handler.received) == 1
    OutboundEmail.objects.update(created_at=timezone.now() - timedelta(minutes=61))
    # when
    deliver(mail(sender="maria@example.pl", subject="Fourth"), mailbox=acknowledging)
    # then
    assert len(smtp.handler.received) == 2
    assert "Fourth" in smtp.handler.received[1].message["Subject"]


def test_the_same_ticket_is_acknowledged_once(world, smtp, acknowledging):
    """``ticket.created`` handled twice (outbox retry): still one acknowledgement."""
    # given
    inbound = deliver(mail(sender="maria@example.pl"), mailbox=acknowledging)
    OutboundEmail.objects.update(created_at=timezone.now() - timedelta(hours=2))
    payload = {"ticket_id": inbound.ticket_id, "store_id": world.store.pk, "actor_id": None}
    # when
    with TestCase.captureOnCommitCallbacks(execute=True):
        acknowledge_new_ticket("ticket.created", [payload])
    # then
    assert OutboundEmail.objects.filter(kind=OutboundKind.ACKNOWLEDGEMENT).count() == 1


@pytest.mark.parametrize(
    ("channel_meta", "actor"),
    [
        ({"from": "maria@example.pl", "auto": True}, None),  # an automatic mail opened it
        ({"from": "mailer-daemon@mx.example.pl"}, None),  # a machine
        ({"from": "no-reply@shop-platform.example"}, None),
        ({"from": SUPPORT}, None),  # ourselves: a loop
        ({"from": "support+t9-0123456789abcdef@store.example"}, None),
        ({"from": "maria@example.pl"}, "anna"),  # an agent opened it
    ],
)
def test_no_acknowledgement_for_automatic_mail_machines_ourselves_or_agents(
    world, smtp, acknowledging, channel_meta, actor
):
    """Only a person's own mail is acknowledged: not a ticket an automatic mail opened, not a
    machine or one of our own addresses, and not a ticket opened by a team member."""
    # when
    with TestCase.captureOnCommitCallbacks(execute=True):
        do_create_ticket(
            store=world.store,
            customer=world.maria,
            subject="Hello",
            body_text="Text",
            channel=Channel.EMAIL,
            channel_meta=channel_meta,
            actor=getattr(world, actor) if actor else None,
        )
    # then
    assert not OutboundEmail.objects.filter(kind=OutboundKind.ACKNOWLEDGEMENT).exists()
    assert smtp.handler.received == []


def test_an_automatic_mail_from_a_customer_gets_no_acknowledgement(world, smtp, acknowledging):
    """Through the whole pipeline: a vacation notice (Auto-Submitted) is never answered."""
    # when
    deliver(
        mail(sender="maria@example.pl", headers={"Auto-Submitted": "auto-replied"}),
        mailbox=acknowledging,
    )
    # then
    assert smtp.handler.received == []
