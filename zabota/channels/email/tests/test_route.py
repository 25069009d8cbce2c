"""Routing in declared order: reply (token, references, subject number), new ticket, catch-all."""

import email

import pytest

from zabota.accounts.models import Group
from zabota.channels.email import tokens
from zabota.channels.email.constants import InboundStatus, Source
from zabota.channels.email.mailboxes import mailbox_for_address
from zabota.channels.email.models import Mailbox
from zabota.channels.email.route import strip_reply_prefixes, subject_ticket_numbers
from zabota.channels.email.tests.inbound_helpers import (
    SUPPORT,
    agent_reply,
    deliver,
    mail,
    message_id_of,
)
from zabota.commerce.models import Store
from zabota.tickets.actions import do_change_status, do_merge_tickets
from zabota.tickets.constants import MessageKind, Status
from zabota.tickets.models import Message, Ticket

pytest_plugins = ["zabota.channels.email.tests.inbound_fixtures"]


def _customer_messages(ticket: Ticket) -> list[Message]:
    return list(ticket.messages.filter(kind=MessageKind.CUSTOMER).order_by("pk"))


def test_reply_to_our_mail_by_its_reply_address(world, sending_mailbox, smtp_sink):
    """The customer answers our reply from a client that drops threading headers: the signed
    Reply-To address alone brings the answer into the ticket and reopens it."""
    # given a ticket opened by mail and an agent's reply that went out by SMTP
    first = deliver(mail(subject="Parcel lost"))
    agent_reply(first.ticket, world.anna)
    [sent] = [email.message_from_bytes(raw) for raw in smtp_sink.received]
    assert first.ticket.__class__.objects.get(pk=first.ticket_id).status == Status.PENDING
    # when
    answer = deliver(mail(to=sent["Reply-To"], subject="no threading headers", body="Still lost"))
    # then
    assert (answer.status, answer.outcome) == (InboundStatus.PROCESSED, "reply_token")
    assert answer.ticket == first.ticket
    assert [m.body_text for m in _customer_messages(first.ticket)][-1] == "Still lost"
    assert Ticket.objects.get(pk=first.ticket_id).status == Status.OPEN


def test_reply_to_our_mail_by_in_reply_to(world, sending_mailbox, smtp_sink):
    """Replying normally (In-Reply-To our signed Message-ID) lands in the ticket."""
    # given
    first = deliver(mail(subject="Invoice"))
    agent_reply(first.ticket, world.anna)
    [sent] = [email.message_from_bytes(raw) for raw in smtp_sink.received]
    # when
    answer = deliver(
        mail(subject=f"Re: {sent['Subject']}", in_reply_to=sent["Message-ID"], body="Thanks")
    )
    # then
    assert answer.outcome == "reply_token" and answer.ticket == first.ticket


def test_reply_by_references_to_a_stored_message(world, mailbox):
    """A follow-up that references the customer's own earlier mail joins that ticket."""
    # given
    first_raw = mail(subject="Size exchange")
    first = deliver(first_raw)
    # when
    follow_up = deliver(
        mail(
            subject="one more thing",
            references=f"<older@client.example> {message_id_of(first_raw)}",
            body="I also need a bigger size.",
        )
    )
    # then
    assert (follow_up.status, follow_up.outcome) == (InboundStatus.PROCESSED, "reply_references")
    assert follow_up.ticket == first.ticket
    assert len(_customer_messages(first.ticket)) == 2


def test_someone_copied_on_the_thread_may_answer(world, mailbox):
    """An address that took part in the thread (Cc of an earlier mail) is a participant."""
    # given
    first_raw = mail(subject="Gift order", cc="husband@example.pl")
    first = deliver(first_raw)
    # when
    answer = deliver(
        mail(
            sender="husband@example.pl",
            sender_name="Jan",
            in_reply_to=message_id_of(first_raw),
            subject="Re: Gift order",
        )
    )
    # then
    assert answer.outcome == "reply_references" and answer.ticket == first.ticket


def test_reply_by_ticket_number_in_the_subject_from_the_customer(world, mailbox):
    """A new mail naming "[#N]" in its subject joins ticket N when the ticket's customer sent it."""
    # given
    number = world.maria_ticket.number
    # when
    inbound = deliver(mail(subject=f"Re: [#{number}] Where is my parcel?", body="Any news?"))
    # then
    assert (inbound.outcome, inbound.ticket) == ("reply_subject", world.maria_ticket)
    assert _customer_messages(world.maria_ticket)[-1].body_text == "Any news?"


def test_reply_to_a_closed_ticket_opens_a_follow_up(world, mailbox):
    """A closed ticket is not reopened: the answer starts a follow-up ticket."""
    # given
    first_raw = mail(subject="Return label")
    first = deliver(first_raw)
    do_change_status(first.ticket, status=Status.CLOSED, actor=world.lena)
    # when
    answer = deliver(mail(in_reply_to=message_id_of(first_raw), subject="Re: Return label"))
    # then
    assert answer.status == InboundStatus.PROCESSED
    assert answer.ticket != first.ticket
    assert answer.ticket.messages.get().channel_meta["follow_up_of"] == first.ticket.number
    assert Ticket.objects.get(pk=first.ticket_id).status == Status.CLOSED


def test_reply_to_a_merged_ticket_lands_in_the_surviving_one(world, mailbox):
    """Threading follows merges to the ticket that now holds the conversation."""
    # given
    first_raw = mail(subject="Duplicate question")
    first = deliver(first_raw)
    do_merge_tickets(first.ticket, world.maria_ticket, actor=world.lena)
    # when
    answer = deliver(mail(in_reply_to=message_id_of(first_raw), subject="Re: Duplicate question"))
    # then
    assert answer.ticket == world.maria_ticket
    assert answer.message.ticket == world.maria_ticket


def test_the_store_is_found_from_delivery_headers(world, mailbox):
    """Mail that reached us by Bcc or a list is routed by Delivered-To / the envelope."""
    # given
    raw = mail(to="newsletter-replies@lists.example", subject="Bcc to support")
    with_delivered_to = b"Delivered-To: support+orders@store.example\r\n" + raw
    # when
    by_header = deliver(with_delivered_to)
    by_envelope = deliver(mail(to="undisclosed-recipients:;"), envelope_recipient=SUPPORT)
    # then
    assert by_header.outcome == "new_ticket" and by_header.mailbox == mailbox
    assert by_envelope.outcome == "new_ticket" and by_envelope.ticket.store == world.store


def test_mailbox_of_the_path_decides_the_store(world, mailbox):
    """Mail fetched from a mailbox (IMAP) belongs to its store whatever its headers say."""
    # when
    inbound = deliver(mail(to="someone@else.example"), source=Source.IMAP, mailbox=mailbox)
    # then
    assert inbound.outcome == "new_ticket" and inbound.ticket.store == world.store


def test_mailbox_for_address_knows_aliases_plus_addresses_and_store_addresses(world):
    """Addresses match case-insensitively, with plus-suffixes and aliases; a store's own
    address creates its mailbox on first use; inactive mailboxes and strangers match nothing."""
    # given
    other = Store.objects.create(slug="other", name="Other", email="Help@Other.example")
    Group.objects.create(store=other, name="Team")
    orders = Mailbox.objects.create(
        store=world.store,
        name="Orders",
        address="orders@store.example",
        aliases=["zamowienia@store.example"],
    )
    Mailbox.objects.create(
        store=world.store, name="Old", address="old@store.example", is_active=False
    )
    # then
    assert mailbox_for_address("ORDERS@store.example") == orders
    assert mailbox_for_address("orders+t12-deadbeef@store.example") == orders
    assert mailbox_for_address("<Zamowienia@Store.Example>") == orders
    created = mailbox_for_address("help@other.example")
    assert (
        created is not None and created.store == other and created.address == "help@other.example"
    )
    assert mailbox_for_address("help@other.example") == created
    assert mailbox_for_address("old@store.example") is None
    assert mailbox_for_address("nobody@store.example") is None
    assert mailbox_for_address("not an address") is None


def test_reply_tokens_verify(world):
    """Signed reply addresses and Message-IDs name their ticket; altered ones name none."""
    address = tokens.reply_address(SUPPORT, 42)
    assert tokens.ticket_from_reply_address(address) == 42
    assert tokens.ticket_from_reply_address(address.replace("t42", "t43")) is None


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Re: Parcel", "Parcel"),
        ("RE: Fwd: AW: WG: Parcel", "Parcel"),
        ("Re[2]: Parcel", "Parcel"),
        ("Odp: PD: Przesyłka", "Przesyłka"),
        ("Ответ: Посылка", "Посылка"),
        ("Vá: Fw: Csomag", "Csomag"),
        ("Parcel: where is it?", "Parcel: where is it?"),
        ("Regarding my order", "Regarding my order"),
    ],
)
def test_reply_prefixes_are_stripped_from_new_ticket_subjects(subject, expected):
    assert strip_reply_prefixes(subject) == expected


@pytest.mark.parametrize(
    ("subject", "numbers"),
    [
        ("Re: [#1042] Parcel", [1042]),
        ("About #1042 again", [1042]),
        ("Ticket 1042", [1042]),
        ("ticket no. 7 and [#8]", [7, 8]),
        ("Order 1042 &#1042;", []),
    ],
)
def test_ticket_numbers_in_subjects(subject, numbers):
    assert subject_ticket_numbers(subject) == numbers
