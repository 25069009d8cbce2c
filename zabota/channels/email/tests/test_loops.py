"""Loop and noise protection: automatic mail never opens tickets nor gets acknowledged, bounces
attach to the ticket of the mail they report on, and floods from one sender are held."""

import email
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from django.conf import settings
from django.test import TestCase

from zabota.channels.email import tokens
from zabota.channels.email.constants import InboundStatus, OutboundKind, OutboundStatus
from zabota.channels.email.models import InboundEmail, OutboundEmail
from zabota.channels.email.process import (
    do_discard_held,
    do_release_held,
    held_from,
    held_senders,
)
from zabota.channels.email.tests.inbound_helpers import (
    SUPPORT,
    agent_reply,
    deliver,
    mail,
)
from zabota.tickets.constants import MessageKind, Status
from zabota.tickets.models import Ticket

pytest_plugins = ["zabota.channels.email.tests.inbound_fixtures"]

PEER = "shop-bot@peer.example"


@pytest.mark.parametrize(
    ("headers", "sender", "outcome"),
    [
        ({"Auto-Submitted": "auto-replied"}, PEER, "auto_reply"),
        ({"Auto-Submitted": "auto-generated (vacation)"}, PEER, "auto_reply"),
        ({"Precedence": "bulk"}, PEER, "bulk"),
        ({"Precedence": "junk"}, PEER, "bulk"),
        ({"Precedence": "list"}, PEER, "bulk"),
        ({"Precedence": "auto_reply"}, PEER, "auto_reply"),
        ({"X-Autoreply": "yes"}, PEER, "auto_reply"),
        ({"X-Autorespond": "Out of office"}, PEER, "auto_reply"),
        ({"X-Auto-Response-Suppress": "All"}, PEER, "auto_reply"),
        ({"Return-Path": "<>"}, PEER, "auto_reply"),
        ({}, "MAILER-DAEMON@mx.peer.example", "bounce"),
        ({}, "postmaster@peer.example", "bounce"),
        ({}, SUPPORT, "loop"),
        ({}, "support+t5-0123456789abcdef@store.example", "loop"),
    ],
)
def test_automatic_mail_never_opens_a_ticket(world, mailbox, headers, sender, outcome):
    """Every RFC 3834 and vendor marker of automatic mail, daemon senders and our own address:
    the mail is kept and logged with its classification, and no ticket or customer appears."""
    # given
    tickets_before = Ticket.objects.count()
    # when
    inbound = deliver(mail(sender=sender, sender_name="", headers=headers, subject="Automatic"))
    # then
    assert (inbound.status, inbound.outcome) == (InboundStatus.IGNORED, outcome)
    assert inbound.error  # the reason: which header or rule decided
    assert Ticket.objects.count() == tickets_before


def test_auto_submitted_no_is_a_person(world, mailbox):
    """``Auto-Submitted: no`` is the explicit marker of a human-written mail."""
    inbound = deliver(mail(headers={"Auto-Submitted": "no"}))
    assert inbound.outcome == "new_ticket"
    assert inbound.message.channel_meta["auto"] is False


def test_our_own_message_coming_back_is_a_loop(world, mailbox):
    """A mail carrying a Message-ID we generated as its own (our mail re-delivered to us)."""
    own_id = tokens.message_id("store.example", world.maria_ticket.pk)
    inbound = deliver(mail(sender="someone@peer.example", message_id=f"<{own_id}>"))
    assert (inbound.status, inbound.outcome) == (InboundStatus.IGNORED, "loop")


def test_auto_reply_to_a_ticket_is_a_note_and_does_not_reopen(world, sending_mailbox, smtp_sink):
    """Maria's out-of-office answer to our reply is attached to her ticket as an internal note;
    the ticket stays pending."""
    # given
    first = deliver(mail(subject="Where is it?"))
    agent_reply(first.ticket, world.anna)
    [sent] = [email.message_from_bytes(raw) for raw in smtp_sink.received]
    # when
    auto = deliver(
        mail(
            to=sent["Reply-To"],
            in_reply_to=sent["Message-ID"],
            subject=f"Out of office: {sent['Subject']}",
            body="I am away until Monday.",
            headers={"Auto-Submitted": "auto-replied"},
        )
    )
    # then
    ticket = Ticket.objects.get(pk=first.ticket_id)
    assert (auto.status, auto.outcome, auto.ticket) == (
        InboundStatus.ATTACHED,
        "auto_reply",
        ticket,
    )
    assert ticket.status == Status.PENDING
    note = ticket.messages.get(kind=MessageKind.NOTE)
    assert auto.message == note and "away until Monday" in note.body_text
    assert ticket.messages.filter(kind=MessageKind.CUSTOMER).count() == 1
    assert len(smtp_sink.received) == 1  # nothing was sent back


def _bounce_of(sent: email.message.Message, *, status: str, diagnostic: str) -> bytes:
    """A delivery status notification (RFC 3464) as an MTA writes it about ``sent``."""
    report = EmailMessage()
    report["From"] = "Mail Delivery System <MAILER-DAEMON@mx.example.pl>"
    report["To"] = SUPPORT
    report["Subject"] = "Undelivered Mail Returned to Sender"
    report["Message-ID"] = make_msgid(domain="mx.example.pl")
    report["Auto-Submitted"] = "auto-replied"
    report.set_content("I'm sorry to have to inform you that your message could not be delivered.")
    report.make_mixed()
    report.replace_header("Content-Type", 'multipart/report; report-type="delivery-status"')
    dsn = (
        "Reporting-MTA: dns; mx.example.pl\n\n"
        f"Final-Recipient: rfc822; {sent['To']}\n"
        "Action: failed\n"
        f"Status: {status}\n"
        f"Diagnostic-Code: smtp; {diagnostic}\n"
    )
    raw = report.as_bytes()
    boundary = report.get_boundary().encode()
    extra = (
        b"--"
        + boundary
        + b"\r\nContent-Type: message/delivery-status\r\n\r\n"
        + dsn.encode()
        + b"\r\n"
        + b"--"
        + boundary
        + b"\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        + f"Message-ID: {sent['Message-ID']}\nTo: {sent['To']}\n".encode()
        + b"\r\n--"
        + boundary
        + b"--\r\n"
    )
    return raw.replace(b"--" + boundary + b"--", extra.rstrip(b"\r\n"))


def test_bounce_of_our_reply_is_attached_and_marks_it_failed(world, sending_mailbox, smtp_sink):
    """A DSN about our reply becomes a note on the ticket ("Delivery failed to …") and marks
    that outbound mail failed with the diagnostic; it opens no ticket and reopens nothing."""
    # given
    first = deliver(mail(subject="Address change"))
    outbound = agent_reply(first.ticket, world.anna)
    [sent] = [email.message_from_bytes(raw) for raw in smtp_sink.received]
    assert OutboundEmail.objects.get(pk=outbound.pk).status == OutboundStatus.SENT
    tickets_before = Ticket.objects.count()
    # when
    bounce = deliver(
        _bounce_of(sent, status="5.1.1", diagnostic="550 5.1.1 <maria@example.pl>: User unknown")
    )
    # then
    assert (bounce.status, bounce.outcome) == (InboundStatus.ATTACHED, "bounce")
    assert bounce.ticket == first.ticket and Ticket.objects.count() == tickets_before
    note = first.ticket.messages.get(kind=MessageKind.NOTE)
    assert note.body_text.startswith("Delivery failed to maria@example.pl: 5.1.1")
    assert "User unknown" in note.body_text
    outbound.refresh_from_db()
    assert outbound.status == OutboundStatus.FAILED and "User unknown" in outbound.last_error
    assert Ticket.objects.get(pk=first.ticket_id).status == Status.PENDING


def test_bounce_about_nothing_of_ours_is_ignored(world, mailbox):
    """A bounce that reports on no mail we sent is logged and attached nowhere."""
    sent = email.message_from_string(
        "Message-ID: <foreign@peer.example>\nTo: x@y.example\nSubject: s\n\nb"
    )
    bounce = deliver(_bounce_of(sent, status="5.0.0", diagnostic="550 no"))
    assert (bounce.status, bounce.outcome, bounce.ticket) == (InboundStatus.IGNORED, "bounce", None)


def _auto_responder(compliant: bool, threaded: bool):
    """A peer that answers every mail it gets: with RFC 3834 headers or without, keeping the
    threading headers or not."""

    def answer(received: bytes) -> bytes:
        original = email.message_from_bytes(received)
        headers = {"Auto-Submitted": "auto-replied"} if compliant else {}
        return mail(
            sender=PEER,
            sender_name="Shop Bot",
            to=original["Reply-To"] or original["From"] if threaded else SUPPORT,
            subject=f"Automatic answer: {original['Subject']}" if threaded else "Thank you!",
            in_reply_to=original["Message-ID"] if threaded else "",
            body="Thank you for your message. We answer within 3 days.",
            headers=headers,
        )

    return answer


@pytest.mark.parametrize(
    ("compliant", "threaded"), [(True, True), (False, True), (True, False), (False, False)]
)
def test_an_auto_responder_peer_stops_after_one_exchange(
    world, sending_mailbox, smtp_sink, compliant, threaded
):
    """A peer that answers every mail — with or without RFC 3834 headers, keeping our threading
    or not — writes to a store that acknowledges new tickets: we send one acknowledgement, the
    peer answers it once, and nothing more is sent."""
    # given
    sending_mailbox.send_acknowledgement = True
    sending_mailbox.save()
    peer = _auto_responder(compliant, threaded)
    # when the peer writes once and then answers everything it receives, for up to 10 rounds
    deliver(mail(sender=PEER, sender_name="Shop Bot", subject="Order 77 question"))
    answered = 0
    for _round in range(10):
        pending = smtp_sink.received[answered:]
        if not pending:
            break
        for received in pending:
            deliver(peer(received))
            answered += 1
    # then
    assert len(smtp_sink.received) == 1
    assert OutboundEmail.objects.get().kind == OutboundKind.ACKNOWLEDGEMENT
    assert answered == 1
    first = email.message_from_bytes(smtp_sink.received[0])
    assert first["Auto-Submitted"] == "auto-replied"


def test_burst_from_one_sender_is_held_then_released(world, mailbox):
    """More than 20 mails from one sender within 10 minutes: the rest is held, not processed;
    an admin sees the sender and releases (processes) or discards the held mail."""
    # given
    limit, window = settings.ZABOTA_EMAIL_BURST_LIMIT
    assert (limit, window) == (20, 600)
    # when
    results = [deliver(mail(sender="flood@peer.example", subject=f"Mail {i}")) for i in range(23)]
    calm = deliver(mail(sender="calm@example.com", subject="Just one"))
    # then
    statuses = [r.status for r in results]
    assert statuses[:20] == [InboundStatus.PROCESSED] * 20
    assert statuses[20:] == [InboundStatus.HELD] * 3
    assert all(r.outcome == "burst" and r.ticket is None for r in results[20:])
    assert calm.status == InboundStatus.PROCESSED
    [held] = held_senders()
    assert (held.sender, held.count) == ("flood@peer.example", 3)
    # when an admin releases two and discards one
    ids = held_from("flood@peer.example")
    with TestCase.captureOnCommitCallbacks(execute=True):
        released = do_release_held(ids[:2])
    discarded = do_discard_held(ids[2:])
    # then
    assert (released, discarded) == (2, 1)
    rows = InboundEmail.objects.in_bulk(ids)
    assert [rows[i].status for i in ids] == [
        InboundStatus.PROCESSED,
        InboundStatus.PROCESSED,
        InboundStatus.IGNORED,
    ]
    assert rows[ids[2]].outcome == "discarded"
    assert held_senders() == []


def test_mail_outside_the_burst_window_does_not_count(world, mailbox):
    """Only the last 10 minutes count: a steady sender is never held."""
    # given 20 mails from the sender, all older than the window
    old = [deliver(mail(sender="steady@example.com", subject=f"Old {i}")) for i in range(20)]
    InboundEmail.objects.filter(pk__in=[r.pk for r in old]).update(
        received_at=old[0].received_at - timedelta(minutes=11)
    )
    # when
    new = deliver(mail(sender="steady@example.com", subject="New"))
    # then
    assert new.status == InboundStatus.PROCESSED
