"""Agent replies become e-mail: which replies, from which mailbox, to whom, composed how, and
exactly once."""

from email import message_from_bytes, policy

from django.test import TestCase

from zabota.channels.email.compose import MAX_REFERENCES, references, reply_subject
from zabota.channels.email.constants import OutboundKind, OutboundStatus
from zabota.channels.email.models import Mailbox, OutboundEmail
from zabota.channels.email.outbound import check_retry_delivery, send_reply_by_email
from zabota.channels.email.tests.inbound_helpers import deliver, mail
from zabota.channels.email.tests.servers import smtp_capture  # noqa: F401 - fixture "smtp"
from zabota.channels.email.tests.transport_helpers import SUPPORT, reply, smtp_mailbox
from zabota.customers.actions import do_add_identity, do_create_customer
from zabota.tickets.actions import NewAttachment, do_add_note, do_add_reply, do_create_ticket
from zabota.tickets.constants import Channel


def _mailed_ticket(world, sending, **mail_fields):
    inbound = deliver(mail(**mail_fields), mailbox=sending, envelope_recipient=SUPPORT)
    return inbound.ticket


def test_a_reply_is_composed_and_sent_once_however_often_the_event_comes(world, smtp):
    """The outbox may deliver ``message.sent`` again after a crash: the reply is still one
    OutboundEmail and one mail."""
    # given
    ticket = _mailed_ticket(world, smtp_mailbox(world.store, smtp))
    message = reply(ticket, world.anna)
    payload = {"ticket_id": ticket.pk, "message_id": message.pk}
    # when
    with TestCase.captureOnCommitCallbacks(execute=True):
        send_reply_by_email("message.sent", payload)
        send_reply_by_email("message.sent", payload)
    # then
    assert OutboundEmail.objects.filter(message=message).count() == 1
    assert len(smtp.handler.received) == 1


def test_only_replies_on_email_tickets_are_mailed(world, smtp):
    """Replies on tickets of other channels and internal notes never leave as e-mail."""
    # given
    smtp_mailbox(world.store, smtp)
    chat = do_create_ticket(
        store=world.store,
        customer=world.maria,
        subject="Chat",
        body_text="Hi",
        channel=Channel.CHAT,
        actor=None,
    )
    # when
    reply(chat, world.anna)
    with TestCase.captureOnCommitCallbacks(execute=True):
        do_add_note(world.maria_ticket, body_text="Internal only", actor=world.anna)
    # then
    assert OutboundEmail.objects.count() == 0
    assert smtp.handler.received == []


def test_a_store_without_a_sending_mailbox_keeps_the_reply_unsent(world):
    """No active SMTP mailbox: the reply is saved on the ticket and no e-mail is queued."""
    # given
    Mailbox.objects.create(store=world.store, name="Support", address=SUPPORT)
    ticket = _mailed_ticket(world, None)
    # when
    message = reply(ticket, world.anna)
    # then
    assert message.pk is not None
    assert not OutboundEmail.objects.exists()


def test_the_reply_leaves_from_the_mailbox_the_customer_wrote_to(world, smtp):
    """With several mailboxes, the reply comes from the one the customer's mail went to."""
    # given
    smtp_mailbox(world.store, smtp)
    returns = smtp_mailbox(world.store, smtp, name="Returns", address="returns@store.example")
    ticket = _mailed_ticket(world, returns, to="returns@store.example")
    # when
    outbound = OutboundEmail.objects.get(message=reply(ticket, world.anna))
    # then
    assert outbound.mailbox == returns
    sent = smtp.handler.received[0]
    assert sent.mail_from == "returns@store.example"
    assert sent.message["Reply-To"].startswith("returns+t")


def test_a_ticket_opened_by_an_agent_is_mailed_as_a_new_conversation(world, smtp):
    """An agent writes first: the mail goes to the customer's address, without "Re:" and without
    In-Reply-To, and carries the ticket number."""
    # given
    smtp_mailbox(world.store, smtp)
    # when
    with TestCase.captureOnCommitCallbacks(execute=True):
        ticket = do_create_ticket(
            store=world.store,
            customer=world.ivan,
            subject="Your order is delayed",
            body_text="Sorry, a week more.",
            channel=Channel.EMAIL,
            from_agent=True,
            actor=world.anna,
        )
    # then
    sent = smtp.handler.received[0].message
    assert sent["To"] == "ivan@example.ru"
    assert sent["Subject"] == f"Your order is delayed [#{ticket.number}]"
    assert "In-Reply-To" not in sent and "References" not in sent
    # and the next reply threads under the first mail
    reply(ticket, world.anna, "Shipped today.")
    second = smtp.handler.received[1].message
    assert second["Subject"] == f"Re: Your order is delayed [#{ticket.number}]"
    assert second["In-Reply-To"] == sent["Message-ID"]


def test_attachments_and_non_ascii_names_travel_safely(world, smtp):
    """Files go along as attachments; Cyrillic names and text are encoded (RFC 2047, base64 or
    quoted-printable), so the bytes on the wire are plain ASCII and decode back unchanged."""
    # given
    world.store.name = "Магазин"
    world.store.save()
    world.anna.name = "Анна Смирнова"
    world.anna.save()
    ticket = _mailed_ticket(world, smtp_mailbox(world.store, smtp))
    # when
    with TestCase.captureOnCommitCallbacks(execute=True):
        do_add_reply(
            ticket,
            body_text="Счёт во вложении.",
            attachments=[NewAttachment("счёт.pdf", "application/pdf", b"%PDF-1.4 test")],
            actor=world.anna,
        )
    # then
    received = smtp.handler.received[0]
    received.raw.decode("ascii")  # raises if anything is not 7-bit
    sent = received.message
    assert str(sent["From"]) == f"Анна · Магазин <{SUPPORT}>"
    assert "Счёт во вложении." in sent.get_body(("plain",)).get_content()
    [attachment] = list(sent.iter_attachments())
    assert attachment.get_filename() == "счёт.pdf"
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == b"%PDF-1.4 test"


def test_a_customer_without_address_gets_a_failed_mail_that_retry_recomposes(world, smtp):
    """No address to send to: the mail fails at once (the ticket page says why); once the
    customer has an address, "Retry" composes it again and sends it there."""
    # given
    smtp_mailbox(world.store, smtp)
    walk_in = do_create_customer(first_name="Olga", identities=[], actor=None)
    ticket = do_create_ticket(
        store=world.store, customer=walk_in, subject="Call me", body_text="?", actor=None
    )
    outbound = OutboundEmail.objects.get(message=reply(ticket, world.anna))
    assert outbound.status == OutboundStatus.FAILED and outbound.to_address == ""
    do_add_identity(walk_in, kind="email", value="olga@example.hu", actor=None)
    # when
    with TestCase.captureOnCommitCallbacks(execute=True):
        check_retry_delivery(ticket, message_id=outbound.message_id, actor=world.anna)
    # then
    outbound.refresh_from_db()
    assert outbound.status == OutboundStatus.SENT
    assert outbound.to_address == "olga@example.hu"
    assert smtp.handler.received[0].rcpt_tos == ["olga@example.hu"]


def test_the_stored_bytes_are_the_mail_that_is_sent(world, smtp):
    """What is stored is complete and final: a retry sends exactly these bytes."""
    # given
    ticket = _mailed_ticket(world, smtp_mailbox(world.store, smtp))
    # when
    outbound = OutboundEmail.objects.get(message=reply(ticket, world.anna))
    # then
    stored = message_from_bytes(bytes(outbound.raw), policy=policy.default)
    assert outbound.kind == OutboundKind.REPLY
    assert stored["Message-ID"] == f"<{outbound.message_id_header}>"
    assert stored["To"] == outbound.to_address == "maria@example.pl"
    assert stored["Subject"] == outbound.subject
    assert smtp.handler.received[0].raw.rstrip() == bytes(outbound.raw).rstrip()


def test_subjects_carry_one_reply_prefix_and_one_ticket_number(world):
    """ "Re:" and "[#N]" are added once, whatever the subject already holds."""
    # given
    ticket = world.maria_ticket
    number = ticket.number
    cases = {
        "Where is my parcel?": f"Re: Where is my parcel? [#{number}]",
        f"Re: Where is my parcel? [#{number}]": f"Re: Where is my parcel? [#{number}]",
        "Odp: Paczka": f"Odp: Paczka [#{number}]",
        "  Lots   of   space ": f"Re: Lots of space [#{number}]",
    }
    for subject, expected in cases.items():
        ticket.subject = subject
        # when / then
        assert reply_subject(ticket, is_reply=True) == expected


def test_references_keep_the_first_and_the_latest_message_ids():
    """A long thread names its first mail and the latest ones, at most MAX_REFERENCES."""
    # given
    chain = [f"m{i}@x" for i in range(50)]
    # when
    kept = references(chain)
    # then
    assert len(kept) == MAX_REFERENCES
    assert kept[0] == "m0@x" and kept[-1] == "m49@x" and kept[1] == f"m{50 - MAX_REFERENCES + 1}@x"
