"""Nobody posts into someone else's ticket by forging headers, tokens or ticket numbers.

A mail that claims a ticket its sender does not take part in becomes a new ticket for the sender,
with an internal note naming the claimed ticket (so an agent can merge it if it belongs there).
"""

import email

from zabota.channels.email import tokens
from zabota.channels.email.constants import InboundStatus
from zabota.channels.email.tests.inbound_helpers import (
    SUPPORT,
    agent_reply,
    deliver,
    mail,
    message_id_of,
)
from zabota.tickets.constants import MessageKind
from zabota.tickets.models import Message, Ticket

pytest_plugins = ["zabota.channels.email.tests.inbound_fixtures"]

STRANGER = "mallory@attacker.example"


def _snapshot(ticket: Ticket) -> tuple[int, int, int]:
    ticket.refresh_from_db()
    return ticket.messages.count(), ticket.version, ticket.message_count


def _assert_claim_became_new_ticket(inbound, claimed: Ticket) -> None:
    assert (inbound.status, inbound.outcome) == (InboundStatus.PROCESSED, "unverified_reply")
    assert inbound.ticket != claimed
    assert inbound.ticket.customer.identities.get().value == STRANGER
    note = inbound.ticket.messages.get(kind=MessageKind.NOTE)
    assert f"#{claimed.number}" in note.body_text and STRANGER in note.body_text


def test_forged_in_reply_to_pointing_at_another_customers_ticket(world, mailbox):
    """A stranger who knows (or guesses) the Message-ID of Maria's mail cannot answer it."""
    # given
    maria_raw = mail(subject="My address is private")
    maria = deliver(maria_raw)
    before = _snapshot(maria.ticket)
    # when
    forged = deliver(
        mail(
            sender=STRANGER,
            sender_name="Maria Kowalska",
            in_reply_to=message_id_of(maria_raw),
            references=message_id_of(maria_raw),
            subject="Re: My address is private",
            body="Please send everything to my new address.",
        )
    )
    # then
    assert _snapshot(maria.ticket) == before
    _assert_claim_became_new_ticket(forged, maria.ticket)


def test_forged_reply_token_is_ignored(world, mailbox):
    """A reply address with a made-up signature names no ticket: the mail is a plain new
    ticket, and nothing is claimed."""
    # given
    before = _snapshot(world.maria_ticket)
    forged_address = f"support+t{world.maria_ticket.pk}-0123456789abcdef@store.example"
    forged_message_id = f"<zabota.{world.maria_ticket.pk}.abc.0123456789abcdef@store.example>"
    # when
    inbound = deliver(
        mail(sender=STRANGER, to=forged_address, in_reply_to=forged_message_id, subject="Hi")
    )
    # then
    assert _snapshot(world.maria_ticket) == before
    assert (inbound.outcome, inbound.ticket.customer.identities.get().value) == (
        "new_ticket",
        STRANGER,
    )
    assert not inbound.ticket.messages.filter(kind=MessageKind.NOTE).exists()


def test_a_genuine_token_does_not_override_the_participant_check(world, sending_mailbox, smtp_sink):
    """Our own signed reply address and Message-ID, forwarded to or leaked to someone else,
    still do not let that person post into the ticket."""
    # given Maria's ticket and our reply to her, carrying a valid token
    maria = deliver(mail(subject="Refund"))
    agent_reply(maria.ticket, world.anna)
    [sent] = [email.message_from_bytes(raw) for raw in smtp_sink.received]
    before = _snapshot(maria.ticket)
    # when a stranger writes to the reply address, quoting our Message-ID
    forged = deliver(
        mail(
            sender=STRANGER,
            to=sent["Reply-To"],
            in_reply_to=sent["Message-ID"],
            subject=f"Re: {sent['Subject']}",
        )
    )
    # then
    assert _snapshot(maria.ticket) == before
    _assert_claim_became_new_ticket(forged, maria.ticket)
    assert "reply address" in forged.ticket.messages.get(kind=MessageKind.NOTE).body_text


def test_ticket_number_in_the_subject_from_a_stranger(world, mailbox):
    """Ticket numbers are sequential and easy to guess: only the ticket's customer may use one."""
    # given
    before = _snapshot(world.ivan_ticket)
    # when
    forged = deliver(
        mail(sender=STRANGER, subject=f"Re: [#{world.ivan_ticket.number}] Return of a jacket")
    )
    # then
    assert _snapshot(world.ivan_ticket) == before
    _assert_claim_became_new_ticket(forged, world.ivan_ticket)


def test_a_thread_participant_cannot_use_the_subject_number_either(world, mailbox):
    """Someone copied on Maria's thread may answer by reference, but a bare ticket number in a
    subject counts only from the customer's own address."""
    # given
    deliver(mail(subject="Gift", cc="friend@example.pl"))
    ticket = Ticket.objects.get(subject="Gift")
    before = _snapshot(ticket)
    # when
    inbound = deliver(mail(sender="friend@example.pl", subject=f"[#{ticket.number}] hello"))
    # then
    assert _snapshot(ticket) == before
    assert inbound.outcome == "unverified_reply" and inbound.ticket != ticket


def test_customer_of_another_store_cannot_reach_across_stores(world, mailbox):
    """References are only matched within the store the mail was sent to."""
    # given Maria's mail in the demo store and a second store with its own address
    from zabota.commerce.models import Store

    maria_raw = mail(subject="Demo store question")
    maria = deliver(maria_raw)
    Store.objects.create(slug="other", name="Other", email="help@other.example")
    before = _snapshot(maria.ticket)
    # when Maria herself writes to the other store referencing the demo store's message
    inbound = deliver(
        mail(to="help@other.example", in_reply_to=message_id_of(maria_raw), subject="Re: q")
    )
    # then
    assert _snapshot(maria.ticket) == before
    assert inbound.ticket.store.slug == "other" and inbound.outcome == "new_ticket"


def test_forged_mail_never_adds_a_customer_message_anywhere_but_its_own_ticket(world, mailbox):
    """Across all forgeries above, the stranger's messages live only in tickets of the stranger."""
    # given
    attempts = [
        mail(sender=STRANGER, to=tokens.reply_address(SUPPORT, world.maria_ticket.pk)),
        mail(sender=STRANGER, subject=f"#{world.maria_ticket.number}"),
        mail(
            sender=STRANGER,
            in_reply_to=f"<{tokens.message_id('store.example', world.ivan_ticket.pk)}>",
        ),
    ]
    # when
    for raw in attempts:
        deliver(raw)
    # then
    stranger_messages = Message.objects.filter(channel_meta__from=STRANGER)
    assert stranger_messages.count() == 3
    assert all(m.ticket.customer.identities.get().value == STRANGER for m in stranger_messages)
