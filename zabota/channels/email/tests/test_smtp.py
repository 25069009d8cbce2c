"""SMTP delivery against a real SMTP server (aiosmtpd): threading headers, the customer's language,
the customer's answer finding its ticket, retries with backoff, permanent refusals, idempotence."""

from datetime import timedelta

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword
from django.utils import timezone

from zabota.channels.email import smtp as transport
from zabota.channels.email import tokens
from zabota.channels.email.constants import OutboundStatus
from zabota.channels.email.models import OutboundEmail
from zabota.channels.email.tests.inbound_helpers import deliver, mail, message_id_of
from zabota.channels.email.tests.servers import (
    closed_port,
    run_smtp,
    smtp_capture,  # noqa: F401 - fixture "smtp"
)
from zabota.channels.email.tests.transport_helpers import (
    FOOTER_MSGID,
    SUPPORT,
    catalogue,
    make_due,
    reply,
    smtp_mailbox,
)
from zabota.core.housekeeping import send_due_mail
from zabota.customers.actions import do_update_customer
from zabota.tickets.constants import MessageKind

POLISH_FOOTER = (
    "Zgłoszenie nr %(number)s w sklepie %(store)s. Aby coś dodać, odpowiedz na ten e-mail."
)


def _customer_ticket(world, sending, subject: str = "Paczka", body: str = "Gdzie jest paczka?"):
    raw = mail(sender="maria@example.pl", subject=subject, body=body)
    inbound = deliver(raw, mailbox=sending, envelope_recipient=SUPPORT)
    assert inbound.ticket is not None, inbound.error
    return inbound.ticket, raw


def test_reply_arrives_threaded_and_in_the_customers_language(world, smtp, settings, tmp_path):
    """An agent's reply to a mailed ticket reaches the SMTP server addressed to the customer,
    with a signed Message-ID, In-Reply-To and References naming the customer's mail, the signed
    reply address, the ticket number in the subject and the footer in the customer's language."""
    # given
    do_update_customer(world.maria, language="pl", actor=None)
    sending = smtp_mailbox(world.store, smtp)
    ticket, first = _customer_ticket(world, sending)
    settings.LOCALE_PATHS = [catalogue(tmp_path, "pl", {FOOTER_MSGID: POLISH_FOOTER})]
    # when
    message = reply(ticket, world.anna, "Paczka wyszła wczoraj.")
    # then
    outbound = OutboundEmail.objects.get(message=message)
    assert outbound.status == OutboundStatus.SENT and outbound.sent_at is not None
    [received] = smtp.handler.received
    assert received.rcpt_tos == ["maria@example.pl"]
    assert received.mail_from == SUPPORT
    sent = received.message
    assert sent["Message-ID"] == f"<{outbound.message_id_header}>"
    assert tokens.ticket_from_message_id(sent["Message-ID"]) == ticket.pk
    assert sent["In-Reply-To"] == message_id_of(first)
    assert sent["References"].split() == [message_id_of(first)]
    assert tokens.ticket_from_reply_address(sent["Reply-To"]) == ticket.pk
    assert sent["Subject"] == f"Re: Paczka [#{ticket.number}]"
    assert str(sent["From"]) == f"Anna · Demo Store <{SUPPORT}>"
    assert sent["Content-Language"] == "pl"
    assert "Auto-Submitted" not in sent
    footer = f"Zgłoszenie nr {ticket.number} w sklepie Demo Store."
    text = sent.get_body(("plain",)).get_content()
    html = sent.get_body(("html",)).get_content()
    assert "Paczka wyszła wczoraj." in text and footer in text
    assert "Paczka wyszła wczoraj." in html and footer in html


def test_a_reply_without_a_translation_falls_back_to_english(world, smtp):
    """A customer whose language has no catalogue entry reads the English footer."""
    # given
    sending = smtp_mailbox(world.store, smtp)
    ticket, _raw = _customer_ticket(world, sending, subject="Parcel", body="Where is it?")
    # when
    reply(ticket, world.anna)
    # then
    text = smtp.handler.received[0].message.get_body(("plain",)).get_content()
    assert f"Request #{ticket.number} at Demo Store." in text


def test_the_customers_answer_to_our_mail_lands_in_the_same_ticket(world, smtp):
    """The customer answers the mail they received (In-Reply-To our Message-ID, to our reply
    address): the answer is a new message of the same ticket, which reopens."""
    # given
    sending = smtp_mailbox(world.store, smtp)
    ticket, first = _customer_ticket(world, sending)
    reply(ticket, world.anna, "Paczka wyszła wczoraj.")
    ours = smtp.handler.received[0].message
    answer = mail(
        sender="maria@example.pl",
        to=str(ours["Reply-To"]),
        subject=f"Re: {ours['Subject']}",
        body="Dziękuję, dotarła!",
        in_reply_to=str(ours["Message-ID"]),
        references=f"{ours['References']} {ours['Message-ID']}",
    )
    # when
    inbound = deliver(answer, mailbox=sending)
    # then
    assert inbound.ticket_id == ticket.pk
    texts = list(
        ticket.messages.filter(kind=MessageKind.CUSTOMER).order_by("pk").values_list("body_text")
    )
    assert [t[0] for t in texts] == ["Gdzie jest paczka?", "Dziękuję, dotarła!"]
    # and our second reply answers that answer, keeping the whole chain
    reply(ticket, world.anna, "Cieszymy się!")
    second = smtp.handler.received[1].message
    assert second["In-Reply-To"] == message_id_of(answer)
    assert second["References"].split() == [
        message_id_of(first),
        str(ours["Message-ID"]),
        message_id_of(answer),
    ]


def test_a_temporary_refusal_is_retried_and_then_sent(world, smtp):
    """A 4xx answer (greylisting) leaves the mail retrying with the server's words and a first
    backoff of one minute; when that passed, the worker's sweep sends the very same bytes."""
    # given
    sending = smtp_mailbox(world.store, smtp)
    ticket, _raw = _customer_ticket(world, sending)
    smtp.handler.data_replies.append("451 4.7.1 Greylisted, please try again later")
    before = timezone.now()
    # when
    message = reply(ticket, world.anna)
    # then
    outbound = OutboundEmail.objects.get(message=message)
    assert outbound.status == OutboundStatus.RETRYING
    assert outbound.attempts == 1
    assert outbound.last_error == "451 4.7.1 Greylisted, please try again later"
    assert before + timedelta(minutes=1) <= outbound.next_attempt_at
    assert outbound.next_attempt_at <= timezone.now() + timedelta(minutes=1)
    assert smtp.handler.received == []
    # not due yet: the sweep leaves it alone
    assert send_due_mail() == 0
    # when the minute passed
    make_due(outbound)
    queued = send_due_mail()
    # then
    outbound.refresh_from_db()
    assert queued == 1
    assert outbound.status == OutboundStatus.SENT
    assert outbound.attempts == 2 and outbound.last_error == ""
    [received] = smtp.handler.received
    assert received.raw.rstrip() == bytes(outbound.raw).rstrip()


@pytest.mark.parametrize(
    ("rcpt_replies", "data_replies", "error"),
    [
        ([], ["554 5.7.1 Message rejected as spam"], "554 5.7.1 Message rejected as spam"),
        (
            ["550 5.1.1 <maria@example.pl>: Recipient address rejected: User unknown"],
            [],
            "550 5.1.1 <maria@example.pl>: Recipient address rejected: User unknown",
        ),
    ],
)
def test_a_permanent_refusal_fails_at_once_with_the_servers_text(
    world, smtp, rcpt_replies, data_replies, error
):
    """A 5xx answer to RCPT or DATA is final: failed after one attempt, the server's reply kept,
    nothing scheduled."""
    # given
    sending = smtp_mailbox(world.store, smtp)
    ticket, _raw = _customer_ticket(world, sending)
    smtp.handler.rcpt_replies.extend(rcpt_replies)
    smtp.handler.data_replies.extend(data_replies)
    # when
    message = reply(ticket, world.anna)
    # then
    outbound = OutboundEmail.objects.get(message=message)
    assert outbound.status == OutboundStatus.FAILED
    assert outbound.attempts == 1
    assert outbound.last_error == error
    assert outbound.next_attempt_at is None
    assert transport.due_ids(timezone.now() + timedelta(days=1)) == []


def test_an_unreachable_server_is_retried_on_the_backoff_schedule_then_failed(world, smtp):
    """Connection refused: retried after 1 min, 5 min, 30 min, 2 h and 6 h; the sixth failure
    is final, with the network's error kept."""
    # given
    sending = smtp_mailbox(world.store, smtp, smtp_port=closed_port())
    ticket, _raw = _customer_ticket(world, sending)
    message = reply(ticket, world.anna)
    outbound = OutboundEmail.objects.get(message=message)
    waits = []
    # when
    while outbound.status == OutboundStatus.RETRYING:
        waits.append(round((outbound.next_attempt_at - timezone.now()).total_seconds() / 60))
        make_due(outbound)
        outbound = transport.deliver(outbound.pk)
    # then
    assert waits == [1, 5, 30, 120, 360]
    assert outbound.status == OutboundStatus.FAILED
    assert outbound.attempts == 6
    assert "refused" in outbound.last_error.lower()


def test_a_sent_mail_is_never_sent_again(world, smtp):
    """Delivering a sent mail again (a duplicated task, a sweep) sends nothing."""
    # given
    sending = smtp_mailbox(world.store, smtp)
    ticket, _raw = _customer_ticket(world, sending)
    outbound = OutboundEmail.objects.get(message=reply(ticket, world.anna))
    # when
    again = transport.deliver(outbound.pk)
    # then
    assert again.status == OutboundStatus.SENT and again.attempts == 1
    assert len(smtp.handler.received) == 1


def test_a_mail_another_worker_is_sending_is_left_alone(world, smtp):
    """While one worker's attempt holds the lease, a second delivery of the same mail does
    nothing; a lease that ran out (the worker died) is taken over."""
    # given
    sending = smtp_mailbox(world.store, smtp)
    ticket, _raw = _customer_ticket(world, sending)
    outbound = OutboundEmail.objects.create(
        mailbox=sending,
        ticket=ticket,
        kind="reply",
        to_address="maria@example.pl",
        subject="Re: Paczka",
        message_id_header=tokens.message_id("store.example", ticket.pk),
        raw=b"From: support@store.example\r\nSubject: Re: Paczka\r\n\r\nHi\r\n",
        next_attempt_at=timezone.now() + transport.LEASE,
        attempts=1,
    )
    # when
    busy = transport.deliver(outbound.pk)
    # then
    assert busy.status == OutboundStatus.QUEUED and busy.attempts == 1
    assert smtp.handler.received == []
    # when the lease ran out
    make_due(outbound)
    taken_over = transport.deliver(outbound.pk)
    # then
    assert taken_over.status == OutboundStatus.SENT and taken_over.attempts == 2
    assert len(smtp.handler.received) == 1


def test_a_mail_whose_queueing_was_lost_is_found_by_the_sweep(world, smtp):
    """A queued mail no task picked up within two minutes (broker down, crash after commit) is
    queued again by the sweep; a fresh one is not."""
    # given
    sending = smtp_mailbox(world.store, smtp)
    ticket, _raw = _customer_ticket(world, sending)

    def queued(minutes_ago: int) -> OutboundEmail:
        return OutboundEmail.objects.create(
            mailbox=sending,
            ticket=ticket,
            kind="reply",
            to_address="maria@example.pl",
            subject="Re: Paczka",
            message_id_header=tokens.message_id("store.example", ticket.pk),
            raw=b"From: support@store.example\r\nSubject: Re: Paczka\r\n\r\nHi\r\n",
            created_at=timezone.now() - timedelta(minutes=minutes_ago),
        )

    lost, fresh = queued(5), queued(0)
    # when
    count = send_due_mail()
    # then
    assert count == 1
    lost.refresh_from_db()
    fresh.refresh_from_db()
    assert lost.status == OutboundStatus.SENT
    assert fresh.status == OutboundStatus.QUEUED


def _authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data == LoginPassword(b"shop", b"s3cret")
    # handled=False: aiosmtpd answers a refusal with its standard 535.
    return AuthResult(success=ok, handled=False)


@pytest.mark.parametrize(
    ("password", "status", "error"),
    [
        ("s3cret", OutboundStatus.SENT, ""),
        ("wrong", OutboundStatus.FAILED, "535 5.7.8 Authentication credentials invalid"),
    ],
)
def test_the_mailbox_logs_in_when_a_user_is_set(world, password, status, error):
    """With an SMTP user the mailbox authenticates; rejected credentials fail the mail at once
    with the server's answer (an admin fixes the password and sends it again)."""
    with run_smtp(authenticator=_authenticator, auth_require_tls=False) as server:
        # given
        sending = smtp_mailbox(world.store, server, smtp_username="shop", smtp_password=password)
        ticket, _raw = _customer_ticket(world, sending)
        # when
        outbound = OutboundEmail.objects.get(message=reply(ticket, world.anna))
        # then
        assert outbound.status == status
        assert outbound.last_error == error
        assert len(server.handler.received) == (1 if status == OutboundStatus.SENT else 0)
