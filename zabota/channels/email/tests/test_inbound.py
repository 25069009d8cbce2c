"""Storing raw mail and processing it into tickets: dedupe, new tickets, failures and retries."""

import io
import sys

import pytest
from django.core.management import call_command
from django.db import OperationalError
from django.test import Client
from django.utils import timezone

from zabota.channels.email import process as process_module
from zabota.channels.email.constants import InboundStatus, Source
from zabota.channels.email.inbound import dedupe_key, read_headers, store_raw
from zabota.channels.email.mailboxes import webhook_signature
from zabota.channels.email.models import InboundEmail, Mailbox
from zabota.channels.email.process import (
    MAX_ATTEMPTS,
    STALE_AFTER,
    due_for_processing,
    process_inbound,
    sweep_inbound,
)
from zabota.channels.email.tests.inbound_helpers import (
    SUPPORT,
    deliver,
    mail,
)
from zabota.customers.models import Customer, Identity
from zabota.tickets.constants import MessageKind, Status
from zabota.tickets.models import Message, Ticket

pytest_plugins = ["zabota.channels.email.tests.inbound_fixtures"]


def test_new_mail_to_the_store_address_opens_a_ticket(world):
    """A mail to the store's address (no Mailbox configured yet) opens a ticket for a new
    customer named after the From header, with the e-mail details in channel_meta."""
    # given
    raw = mail(
        sender="Zsofia.Kiss@Example.HU",
        sender_name="Kiss Zsófia",
        subject="Re: AW: Fwd: Broken zipper",
        body="The zipper broke on the first day.",
        cc="friend@example.hu",
    )
    # when
    inbound = deliver(raw)
    # then
    assert (inbound.status, inbound.outcome) == (InboundStatus.PROCESSED, "new_ticket")
    ticket = inbound.ticket
    assert ticket.subject == "Broken zipper"
    assert ticket.status == Status.NEW and ticket.store == world.store
    assert ticket.language == world.store.default_language
    assert ticket.customer.display_name == "Kiss Zsófia"
    assert Identity.objects.get(customer=ticket.customer).value == "zsofia.kiss@example.hu"
    message = ticket.messages.get()
    assert message == inbound.message and message.kind == MessageKind.CUSTOMER
    assert "zipper broke" in message.body_text
    assert message.external_id == read_headers(raw).message_id
    meta = message.channel_meta
    assert meta["inbound_id"] == inbound.pk
    assert meta["from"] == "zsofia.kiss@example.hu"
    assert meta["to"] == [SUPPORT] and meta["cc"] == ["friend@example.hu"]
    assert meta["subject"] == "Re: AW: Fwd: Broken zipper"
    assert meta["auto"] is False and meta["oversized"] == []
    # the store address now has its Mailbox, which routed the mail
    assert inbound.mailbox == Mailbox.objects.get(address=SUPPORT, store=world.store)


def test_known_customer_keeps_their_language(world, mailbox):
    """A customer who already has a language gets tickets in it, not the store's default."""
    # given
    world.maria.language = "pl"
    world.maria.save()
    # when
    inbound = deliver(mail(sender="maria@example.pl"))
    # then
    assert inbound.ticket.customer == world.maria
    assert inbound.ticket.language == "pl"


def test_replaying_the_same_mail_stores_it_once(world, mailbox):
    """The same raw mail stored five times — also with CRLF line ends and transport headers
    another path adds — is one inbound row, one ticket and one message."""
    # given
    raw = mail(subject="Replayed")
    via_imap = b"Received: from mx.example by imap.example; Mon, 1 Jan 2026 10:00:00 +0000\r\n"
    via_imap += b"Delivered-To: support@store.example\r\n" + raw.replace(b"\n", b"\r\n")
    # when
    first = deliver(raw)
    replays = [store_raw(raw, source=Source.PIPE) for _ in range(3)]
    other_path = store_raw(via_imap, source=Source.IMAP, mailbox=mailbox)
    # then
    assert all(row == first and not created for row, created in [*replays, other_path])
    assert InboundEmail.objects.count() == 1
    assert Ticket.objects.filter(subject="Replayed").count() == 1
    assert Message.objects.filter(ticket=first.ticket).count() == 1
    assert dedupe_key(raw) == dedupe_key(via_imap)


def test_replay_through_every_inbound_path_yields_one_message(world, mailbox, monkeypatch):
    """store_raw, the ingest command and the webhook, five deliveries in all: one message."""
    # given
    raw = mail(subject="Every path")
    signature = webhook_signature(mailbox.webhook_secret, raw)
    client = Client()
    # when
    first = deliver(raw, source=Source.IMAP, mailbox=mailbox)
    for _ in range(2):
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw)))
        call_command("ingest_email", recipient=SUPPORT)
    responses = [
        client.post(
            "/api/v1/inbound/email",
            raw,
            content_type="message/rfc822",
            headers={"X-Zabota-Mailbox": SUPPORT, "X-Zabota-Signature": signature},
        )
        for _ in range(2)
    ]
    # then
    assert [r.status_code for r in responses] == [202, 202]
    assert [r.json() for r in responses] == [{"id": first.pk, "duplicate": True}] * 2
    assert InboundEmail.objects.count() == 1
    assert Message.objects.filter(external_id=first.message_id_header).count() == 1


def test_different_mails_get_different_keys(world):
    """Mails that differ only in body, or blobs that are not mail at all, are not merged."""
    # given
    one, two = mail(body="one", message_id="<same@x>"), mail(body="two", message_id="<same@x>")
    # then
    assert dedupe_key(one) != dedupe_key(two)
    assert dedupe_key(b"\x00garbage one") != dedupe_key(b"\x00garbage two")


def test_header_reading_never_raises(world):
    """Sender and subject are read best-effort: raw 8-bit, NULs and broken encodings are kept
    readable, and bytes that are no mail give empty values."""
    # given
    raw = (
        b"From: =?utf-8?b?broken <Some.One@Example.com>\r\n"
        b"Subject: Zam\xf3wienie =?iso-8859-2?q?=B1?= \x00 ok\r\n\r\nbody"
    )
    # when
    headers = read_headers(raw)
    nothing = read_headers(b"\xff\xfe\x00\x01")
    # then
    assert headers.sender == "some.one@example.com"
    assert "\x00" not in headers.subject and headers.subject.startswith("Zam")
    assert (nothing.sender, nothing.subject, nothing.message_id) == ("", "", "")


def test_message_id_already_in_the_store_is_a_duplicate(world, mailbox):
    """A mail whose Message-ID is already a message of the store (e.g. resent with another
    footer) adds nothing; it is recorded as a duplicate of that message."""
    # given
    original = deliver(mail(message_id="<resent@client.example>", body="First copy"))
    # when
    again = deliver(mail(message_id="<resent@client.example>", body="First copy + footer"))
    # then
    assert (again.status, again.outcome) == (InboundStatus.PROCESSED, "duplicate")
    assert again.message == original.message
    assert Message.objects.filter(external_id="resent@client.example").count() == 1


def test_attachments_inline_images_and_oversized_files(world, mailbox, settings):
    """Attachments are stored with the message; one over the size limit is left in the raw mail
    and listed in an internal note and in channel_meta."""
    # given
    settings.ZABOTA_MAX_ATTACHMENT_BYTES = 1000
    raw = mail(
        attachments=[
            ("receipt.pdf", "application/pdf", b"%PDF-1.4 small"),
            ("video.mp4", "video/mp4", b"\x00" * 5000),
        ]
    )
    # when
    inbound = deliver(raw)
    # then
    message = inbound.message
    assert [a.filename for a in message.attachments.all()] == ["receipt.pdf"]
    [oversized] = message.channel_meta["oversized"]
    assert oversized["filename"] == "video.mp4" and oversized["size"] >= 5000
    note = inbound.ticket.messages.get(kind=MessageKind.NOTE)
    assert "video.mp4" in note.body_text and f"#{inbound.pk}" in note.body_text
    assert note.channel_meta == {"by": "Email"}


def test_mail_to_no_address_of_ours_is_logged_as_catch_all(world, mailbox):
    """A mail for an address that is not a store's is kept, visible, and opens nothing."""
    # when
    inbound = deliver(mail(to="someone@elsewhere.example"))
    # then
    assert (inbound.status, inbound.outcome) == (InboundStatus.IGNORED, "catch_all")
    assert inbound.ticket is None
    assert Ticket.objects.count() == 2  # the world's two tickets only


def test_mail_without_a_usable_sender_is_ignored_with_a_reason(world, mailbox):
    """Without any From or Reply-To address there is nobody to answer: kept, ignored."""
    # given
    raw = b"To: support@store.example\r\nSubject: anonymous\r\nMessage-ID: <a@b>\r\n\r\nhi\r\n"
    # when
    inbound = deliver(raw)
    # then
    assert (inbound.status, inbound.outcome) == (InboundStatus.IGNORED, "no_sender")
    assert Customer.objects.count() == 2


def test_processing_is_idempotent(world, mailbox):
    """Processing a mail again (a duplicate task, a sweep) changes nothing."""
    # given
    inbound = deliver(mail())
    # when
    again = process_inbound(inbound.pk)
    # then
    assert again.status == InboundStatus.PROCESSED and again.attempts == 1
    assert Message.objects.filter(ticket=inbound.ticket).count() == 1


def test_failure_is_recorded_rolled_back_and_retried(world, mailbox, monkeypatch):
    """A database error while processing leaves nothing half-written: the mail is failed with
    the error and a next attempt; processing it again later succeeds."""
    # given
    raw = mail(sender="new.customer@example.com")
    inbound, _created = store_raw(raw, source=Source.PIPE)
    real = process_module.do_create_ticket

    def broken(**kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(process_module, "do_create_ticket", broken)
    # when
    with pytest.raises(OperationalError):
        process_inbound(inbound.pk)
    # then
    inbound.refresh_from_db()
    assert inbound.status == InboundStatus.FAILED and inbound.attempts == 1
    assert "database is locked" in inbound.error
    assert inbound.next_attempt_at > timezone.now()
    assert not Identity.objects.filter(value="new.customer@example.com").exists()
    # when the cause is gone and the retry runs
    monkeypatch.setattr(process_module, "do_create_ticket", real)
    retried = process_inbound(inbound.pk)
    # then
    assert retried.status == InboundStatus.PROCESSED and retried.attempts == 2
    assert retried.next_attempt_at is None and retried.ticket is not None


def test_a_mail_that_keeps_failing_stays_failed_and_visible(world, mailbox, monkeypatch):
    """After the last attempt a failed mail gets no next attempt; the sweep leaves it alone."""
    # given
    inbound, _created = store_raw(mail(), source=Source.PIPE)

    def broken(**kwargs):
        raise OperationalError("disk I/O error")

    monkeypatch.setattr(process_module, "do_create_ticket", broken)
    # when
    for _ in range(MAX_ATTEMPTS):
        with pytest.raises(OperationalError):
            process_inbound(inbound.pk)
    # then
    inbound.refresh_from_db()
    assert (inbound.status, inbound.attempts) == (InboundStatus.FAILED, MAX_ATTEMPTS)
    assert inbound.next_attempt_at is None
    assert inbound.pk not in due_for_processing(now=timezone.now() + STALE_AFTER * 100)


def test_sweep_queues_mails_whose_task_was_lost(world, mailbox):
    """A received mail whose task never ran, and a failed one whose retry is overdue, are
    processed by the worker's sweep; a fresh one is left to its own task."""
    # given: rows stored without their after-commit task (as after a crash)
    lost, _ = store_raw(mail(subject="Lost task"), source=Source.PIPE)
    fresh, _ = store_raw(mail(subject="Fresh"), source=Source.PIPE)
    failed, _ = store_raw(mail(subject="Failed once"), source=Source.PIPE)
    long_ago = timezone.now() - STALE_AFTER * 2
    InboundEmail.objects.filter(pk=lost.pk).update(received_at=long_ago)
    InboundEmail.objects.filter(pk=failed.pk).update(
        status=InboundStatus.FAILED, attempts=1, next_attempt_at=long_ago
    )
    # when
    swept = sweep_inbound()
    # then
    assert swept == 2
    statuses = dict(InboundEmail.objects.values_list("pk", "status"))
    assert statuses[lost.pk] == InboundStatus.PROCESSED
    assert statuses[failed.pk] == InboundStatus.PROCESSED
    assert statuses[fresh.pk] == InboundStatus.RECEIVED


def test_unparsable_mail_is_quarantined_and_the_batch_continues(world, mailbox):
    """A poison message is quarantined with its reason and raw bytes; the mails around it
    are processed normally."""
    # given
    batch = [mail(subject="Before"), b"\x00\x01\x02 this is no e-mail", mail(subject="After")]
    # when
    results = [deliver(raw) for raw in batch]
    # then
    assert [r.status for r in results] == [
        InboundStatus.PROCESSED,
        InboundStatus.QUARANTINED,
        InboundStatus.PROCESSED,
    ]
    poison = results[1]
    assert poison.outcome == "parse_error" and poison.error
    assert bytes(poison.raw) == batch[1]
    assert Ticket.objects.filter(subject__in=["Before", "After"]).count() == 2


def test_a_parser_crash_quarantines_instead_of_retrying(world, mailbox, monkeypatch):
    """An unexpected exception inside the parser is about these bytes, not a passing outage:
    the mail is quarantined with the exception as its reason."""

    # given
    def crash(raw, **kwargs):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(process_module, "parse_email", crash)
    # when
    inbound = deliver(mail())
    # then
    assert inbound.status == InboundStatus.QUARANTINED
    assert "RecursionError" in inbound.error
