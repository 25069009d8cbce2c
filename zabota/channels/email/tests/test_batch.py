"""The worker's batches (``batch.process_received``): many mails in one transaction, new tickets
written with bulk inserts, and the same results as processing the mails one by one — customers,
duplicates and replies inside a batch, the burst limit, the participant rule, the timeline, the
events — with a fallback to one mail at a time when the bulk insert fails."""

from django.db import IntegrityError, connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from zabota.channels.email import batch as batch_module
from zabota.channels.email.batch import process_received
from zabota.channels.email.constants import InboundStatus, Source
from zabota.channels.email.inbound import store_raw
from zabota.channels.email.models import InboundEmail
from zabota.channels.email.tests.inbound_helpers import deliver, mail, message_id_of
from zabota.core.models import OutboxEvent
from zabota.customers.models import Customer, CustomerEvent, Identity
from zabota.tickets.constants import EventKind, MessageKind, Status
from zabota.tickets.models import Message, Ticket, TicketEvent

pytest_plugins = ["zabota.channels.email.tests.inbound_fixtures"]


def _store(raw: bytes, mailbox) -> InboundEmail:
    inbound, _created = store_raw(raw, source=Source.IMAP, mailbox=mailbox)
    return inbound


def _statements_for_a_batch_of(count: int, mailbox, prefix: str) -> int:
    for i in range(count):
        _store(mail(sender=f"{prefix}{i}@example.com", subject=f"{prefix} {i}"), mailbox)
    with CaptureQueriesContext(connection) as queries:
        assert process_received() == count
    return len(queries)


def test_a_batch_of_new_tickets_costs_the_same_statements_however_many_mails(world, mailbox):
    """New tickets for new customers are written with one insert per table: a batch of 20
    costs no more statements than a batch of 5 (35 on SQLite, where every transaction of a
    test is a savepoint): claiming, reading the mails, our addresses and what routing could
    match, the customers with their identities, audit rows and events, the tickets with their
    numbers, first messages, timeline rows and events, and the results on the inbound rows."""
    # when
    five = _statements_for_a_batch_of(5, mailbox, "five")
    twenty = _statements_for_a_batch_of(20, mailbox, "twenty")
    # then
    assert five == twenty <= 35
    assert Ticket.objects.filter(subject__startswith="twenty").count() == 20


def test_every_new_ticket_of_a_batch_gets_its_timeline_row_and_events(world, mailbox):
    """What ``do_create_ticket`` writes for one mail, the batch writes for each: a numbered
    ticket in the store's default group, the customer's message with the mail's Message-ID, the
    "created" timeline row, and customer.created, ticket.created and message.received."""
    # given
    stored = [
        _store(mail(sender=f"new{i}@example.com", subject=f"Order {i}"), mailbox) for i in (1, 2)
    ]
    # when
    process_received()
    # then
    rows = {row.pk: row for row in InboundEmail.objects.filter(pk__in=[s.pk for s in stored])}
    numbers = []
    for inbound in stored:
        row = rows[inbound.pk]
        assert (row.status, row.outcome, row.attempts) == (InboundStatus.PROCESSED, "new_ticket", 1)
        ticket, message = row.ticket, row.message
        assert ticket.status == Status.NEW and ticket.group == world.support
        assert ticket.customer.identities.get().value == inbound.sender
        assert message.ticket == ticket and message.kind == MessageKind.CUSTOMER
        assert message.external_id == inbound.message_id_header
        assert message.channel_meta["inbound_id"] == inbound.pk
        event = TicketEvent.objects.get(ticket=ticket)
        assert event.kind == EventKind.CREATED and event.data["message_id"] == message.pk
        published = OutboxEvent.objects.filter(payload__ticket_id=ticket.pk)
        assert sorted(published.values_list("type", flat=True)) == [
            "message.received",
            "ticket.created",
        ]
        assert OutboxEvent.objects.filter(
            type="customer.created", payload__customer_id=ticket.customer_id
        ).exists()
        numbers.append(ticket.number)
    assert numbers[1] == numbers[0] + 1 == world.maria_ticket.number + 3


def test_two_mails_of_a_new_sender_in_one_batch_make_one_customer(world, mailbox):
    """The second mail finds the customer the first one is about to create: one customer with
    one identity and one audit row, two tickets."""
    # given
    for subject in ("Invoice", "Delivery address"):
        _store(mail(sender="nina@example.com", sender_name="Nina Novak", subject=subject), mailbox)
    # when
    assert process_received() == 2
    # then
    customer = Customer.objects.get(identities__value="nina@example.com")
    assert customer.display_name == "Nina Novak" and customer.first_name == "Nina"
    assert Identity.objects.filter(value="nina@example.com").count() == 1
    assert CustomerEvent.objects.filter(customer=customer, kind="created").count() == 1
    assert sorted(Ticket.objects.filter(customer=customer).values_list("subject", flat=True)) == [
        "Delivery address",
        "Invoice",
    ]


def test_a_known_customer_gets_her_new_tickets_in_a_batch(world, mailbox):
    """Maria exists: the batch opens her ticket without creating anyone."""
    # given
    customers = Customer.objects.count()
    _store(mail(sender="maria@example.pl", subject="A new question"), mailbox)
    # when
    process_received()
    # then
    assert Customer.objects.count() == customers
    assert Ticket.objects.get(subject="A new question").customer == world.maria


def test_the_same_mail_twice_in_one_batch_is_one_message(world, mailbox):
    """The same Message-ID with another footer (another dedupe key, so stored twice): the first
    opens a ticket, the second is recorded as its duplicate and adds nothing."""
    # given
    first = _store(mail(message_id="<twice@client.example>", body="Hello\n-- \nSent by A"), mailbox)
    again = _store(mail(message_id="<twice@client.example>", body="Hello\n-- \nSent by B"), mailbox)
    assert first.pk != again.pk
    # when
    assert process_received() == 2
    # then
    first.refresh_from_db()
    again.refresh_from_db()
    assert Message.objects.filter(external_id="twice@client.example").count() == 1
    assert (again.status, again.outcome) == (InboundStatus.PROCESSED, "duplicate")
    assert again.message == first.message and again.ticket == first.ticket


def test_a_reply_in_the_same_batch_lands_in_the_ticket_the_first_mail_opened(world, mailbox):
    """A customer writes and answers her own mail before the worker runs: the answer goes into
    the ticket the first mail opens in the same batch."""
    # given
    question = mail(sender="olga@example.com", subject="Size chart")
    first = _store(question, mailbox)
    answer = _store(
        mail(
            sender="olga@example.com",
            subject="Re: Size chart",
            body="And in blue?",
            references=message_id_of(question),
        ),
        mailbox,
    )
    # when
    assert process_received() == 2
    # then
    first.refresh_from_db()
    answer.refresh_from_db()
    assert answer.outcome == "reply_references" and answer.ticket == first.ticket
    assert list(first.ticket.messages.values_list("body_text", flat=True).order_by("pk")) == [
        "Hello, my parcel has not arrived yet.",
        "And in blue?",
    ]


def test_a_stranger_naming_a_ticket_number_in_a_batch_gets_a_ticket_of_her_own(world, mailbox):
    """The participant rule holds in a batch: a number in the subject from someone who is not
    the ticket's customer opens a new ticket with a note, and the claimed ticket is untouched."""
    # given
    claimed = world.maria_ticket
    messages_before = claimed.messages.count()
    stranger = _store(
        mail(sender="eve@example.com", subject=f"Re: [#{claimed.number}] Parcel"), mailbox
    )
    _store(mail(sender="new@example.com", subject="Something else"), mailbox)
    # when
    assert process_received() == 2
    # then
    stranger.refresh_from_db()
    assert stranger.outcome == "unverified_reply" and stranger.ticket != claimed
    assert stranger.ticket.messages.filter(kind=MessageKind.NOTE).exists()
    assert claimed.messages.count() == messages_before


@override_settings(ZABOTA_EMAIL_BURST_LIMIT=(3, 600))
def test_the_burst_limit_holds_inside_a_batch(world, mailbox):
    """Five mails from one sender in one batch, with a limit of three: the first three open
    tickets, the others are held."""
    # given
    stored = [
        _store(mail(sender="flood@example.com", subject=f"Flood {i}"), mailbox) for i in range(5)
    ]
    # when
    assert process_received() == 5
    # then
    statuses = dict(InboundEmail.objects.values_list("pk", "status"))
    assert [statuses[s.pk] for s in stored] == [InboundStatus.PROCESSED] * 3 + [
        InboundStatus.HELD
    ] * 2
    assert Ticket.objects.filter(subject__startswith="Flood").count() == 3


def test_a_batch_whose_bulk_insert_fails_opens_the_tickets_one_by_one(world, mailbox, monkeypatch):
    """A concurrent writer took an identity between the lookup and the insert (modelled by an
    IntegrityError from the bulk insert): the savepoint rolls the bulk insert back and every
    mail is processed the single-mail way, each in a savepoint of its own."""
    # given
    stored = [
        _store(mail(sender=f"race{i}@example.com", subject=f"Race {i}"), mailbox) for i in (1, 2)
    ]

    def taken(*args, **kwargs):
        raise IntegrityError("duplicate key value violates unique constraint")

    monkeypatch.setattr(batch_module, "do_create_tickets", taken)
    # when
    assert process_received() == 2
    # then
    rows = InboundEmail.objects.filter(pk__in=[s.pk for s in stored])
    assert set(rows.values_list("outcome", flat=True)) == {"new_ticket"}
    assert Ticket.objects.filter(subject__startswith="Race").count() == 2
    assert Message.objects.filter(ticket__subject__startswith="Race").count() == 2


def test_a_mail_processed_meanwhile_is_left_alone_by_its_batch(world, mailbox):
    """A mail that its own task (or the sweep) processed after the batch claimed it is final:
    the batch neither processes nor counts it again."""
    # given
    done = deliver(mail(sender="early@example.com", subject="Early"), mailbox=mailbox)
    waiting = _store(mail(sender="late@example.com", subject="Late"), mailbox)
    # when
    processed = batch_module.process_batch([done.pk, waiting.pk])
    # then
    assert processed == 1
    done.refresh_from_db()
    assert done.attempts == 1
    assert Ticket.objects.filter(subject="Early").count() == 1


def test_a_batch_of_mails_that_open_no_ticket_records_each_outcome(world, mailbox):
    """Mail that touches no ticket is only recorded, each with its own outcome and reason: a
    mail to nobody of ours, our own mail coming back, an out-of-office reply, a mail without a
    sender."""
    # given
    stored = {
        "catch_all": _store(mail(to="someone@elsewhere.example"), None),
        "loop": _store(mail(sender="support@store.example", subject="Loop"), mailbox),
        "auto_reply": _store(
            mail(sender="away@example.com", headers={"Auto-Submitted": "auto-replied"}), mailbox
        ),
        "no_sender": _store(mail(sender="not-an-address", sender_name=""), mailbox),
    }
    tickets = Ticket.objects.count()
    # when
    assert process_received() == 4
    # then
    for outcome, inbound in stored.items():
        inbound.refresh_from_db()
        assert (inbound.status, inbound.outcome) == (InboundStatus.IGNORED, outcome)
        assert inbound.ticket is None and inbound.message is None and inbound.attempts == 1
    assert stored["auto_reply"].error == "Auto-Submitted: auto-replied"
    assert stored["loop"].mailbox == mailbox
    assert Ticket.objects.count() == tickets
