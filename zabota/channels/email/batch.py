"""The worker's way through waiting mail: claimed in batches, each batch in one transaction.

A batch reads (parses, classifies) all its mails first, looks up at once what their routing could
match (``route.known_threads``), and then goes through them in order:

- a mail that opens a new ticket for a human sender — the common case — waits in a buffer whose
  tickets, customers, first messages, timeline rows and events are written together with a few
  bulk inserts (``tickets.actions.do_create_tickets``);
- a mail whose outcome is a status alone (held, quarantined, ignored) is written with the rest;
- a mail that may answer a ticket, repeats a stored Message-ID, or needs a note goes the way a
  single mail goes (``process.process_row``) in a savepoint of its own, after the buffer has been
  written, so it sees every ticket that earlier mail of the batch opened.

Whatever fails falls back to the finer grain: a buffer that cannot be written is processed mail by
mail, each in a savepoint; a mail that fails is rolled back alone and recorded as failed with its
retry; a batch that cannot commit is processed mail by mail, each in a transaction of its own.
"""

import logging
import time
from dataclasses import dataclass
from typing import Any

from django.db import connections, router, transaction
from django.utils import timezone

from zabota.channels.email.classify import Noise
from zabota.channels.email.constants import InboundStatus
from zabota.channels.email.inbound import inbound_column, queue_processing, raw_mails
from zabota.channels.email.mailboxes import AddressBook
from zabota.channels.email.models import InboundEmail
from zabota.channels.email.process import (
    FINAL_STATUSES,
    OUTCOME_BURST,
    OUTCOME_NO_SENDER,
    Outcome,
    Reading,
    apply_outcome,
    enqueue_retry,
    external_id_of,
    mails_in_burst_window,
    new_ticket_of,
    over_burst_limit,
    process_each,
    process_row,
    read_mail,
    record_failure,
    replayable_transaction,
    sender_name,
)
from zabota.channels.email.route import (
    KnownThreads,
    RouteKind,
    could_answer_a_ticket,
    known_threads,
    receiving_mailbox,
)
from zabota.commerce.models import Store
from zabota.core.events import dispatch_together
from zabota.customers.actions import get_or_create_customers_by_identity
from zabota.customers.constants import IdentityKind
from zabota.tickets.actions import do_create_tickets

logger = logging.getLogger(__name__)

# Mails claimed and committed at once, and how long one task keeps taking batches before other
# queued tasks (outbound mail, event dispatch) get a turn.
BATCH_SIZE = 100
DRAIN_SECONDS = 2.0


def process_received(*, seconds: float = DRAIN_SECONDS, batch_size: int = BATCH_SIZE) -> int:
    """Process the mails waiting in ``received``, oldest first, in batches, for about
    ``seconds``; returns how many were processed.

    The processing task runs this in a worker after its own mail: a burst of mail then costs
    one task run rather than one per mail (``inbound.queue_processing`` adds no task while one
    waits; tasks queued otherwise find their mail processed and return at once). A batch costs
    one transaction and one task for dispatching the events of all its mails. Out of time with
    mail still waiting, it queues a task to go on. Never raises: what an error leaves waits for
    the sweep.
    """
    deadline = time.monotonic() + seconds
    processed = 0
    try:
        while claimed := _claim_received(batch_size):
            processed += process_batch(claimed)
            if time.monotonic() >= deadline:
                _queue_next_waiting()
                break
    except Exception:
        # E.g. the connection broke: the claimed mails not yet processed are still received,
        # and the sweep processes them (or tasks of their own, if queued).
        logger.exception("Processing the waiting inbound e-mails failed")
    return processed


def _queue_next_waiting() -> None:
    """Out of time with mail possibly still waiting: queue the processing of the oldest one, so
    that a new task goes on with it after the tasks queued meanwhile."""
    with transaction.atomic():
        waiting = (
            InboundEmail.objects.filter(status=InboundStatus.RECEIVED, next_attempt_at__isnull=True)
            .order_by("received_at", "pk")
            .values_list("pk", flat=True)
            .first()
        )
        if waiting is not None:
            queue_processing(waiting)


def _claim_received(size: int) -> list[int]:
    """Take up to ``size`` received mails that no other worker is processing and mark them
    (``next_attempt_at``, as the sweep marks what it queues) in a committed transaction before
    processing any. A batch that dies with the process (out of memory, killed) leaves its mails
    marked: no later batch takes them, so a mail that kills the worker cannot kill every batch;
    the sweep (or a task of their own) processes them one by one."""
    with transaction.atomic():
        ids = list(
            InboundEmail.objects.filter(status=InboundStatus.RECEIVED, next_attempt_at__isnull=True)
            .order_by("received_at", "pk")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:size]
        )
        if ids:
            InboundEmail.objects.filter(pk__in=ids).update(next_attempt_at=timezone.now())
    return ids


def process_batch(inbound_ids: list[int]) -> int:
    """Process the mails in one transaction (``_Batch``) and queue one task that dispatches the
    events of all; returns how many were processed. If the batch cannot commit as a whole, each
    mail is processed in a transaction of its own."""
    batch = _Batch()
    with dispatch_together():
        try:
            with replayable_transaction():
                batch.run(inbound_ids)
        except Exception:
            logger.exception("A batch of inbound e-mails failed; processing them one by one")
            return process_each(inbound_ids)
    for inbound_id in batch.failed:
        enqueue_retry(inbound_id)
    return batch.processed


@dataclass(frozen=True)
class _Read:
    """A mail of the batch, parsed and classified, with the mailbox it came to."""

    inbound: InboundEmail
    reading: Reading
    store: Store | None
    to_addresses: list[str]


class _Batch:
    """One batch's way through its mails, inside the caller's transaction (module docstring)."""

    def __init__(self) -> None:
        self.addresses = AddressBook()
        self.processed = 0
        # Recorded as failed; their retries are queued once the batch has committed.
        self.failed: list[int] = []
        # Rows with their outcome set, saved together at the end.
        self.finished: list[InboundEmail] = []
        self.buffer: list[_Read] = []
        self.known = KnownThreads(set(), set(), set())

    def run(self, inbound_ids: list[int]) -> None:
        rows = list(
            InboundEmail.objects.select_for_update()
            .annotate(mails_in_window=mails_in_burst_window())
            .defer("raw")
            .filter(pk__in=inbound_ids)
            .exclude(status__in=FINAL_STATUSES)
            .order_by("received_at", "pk")
        )
        if not rows:
            return
        raws = raw_mails([row.pk for row in rows])
        for row in rows:
            row.raw = raws[row.pk]
        read = [item for row in rows if (item := self._read(row)) is not None]
        self.known = known_threads((item.reading.parsed, item.store) for item in read)
        for item in read:
            try:
                outcome = self._plan(item)
            except Exception as exc:
                self._fail(item.inbound, exc)
                continue
            if outcome is not None:
                self._finish(item.inbound, outcome)
            elif self._opens_a_ticket(item):
                self._buffer(item)
            else:
                self._write_buffer()
                self._one(item.inbound, item.reading)
        self._write_buffer()
        self._save_finished()

    def _read(self, inbound: InboundEmail) -> _Read | None:
        """Parse and classify the mail and find the mailbox it came to; None for a mail that
        is done with already (held, quarantined) or failed."""
        if over_burst_limit(inbound):
            self._finish(inbound, Outcome(InboundStatus.HELD, OUTCOME_BURST))
            return None
        try:
            reading = read_mail(inbound, own=self.addresses.own)
            if isinstance(reading, Outcome):
                self._finish(inbound, reading)
                return None
            mailbox, to_addresses = receiving_mailbox(
                reading.parsed, inbound, reading.delivered_to, self.addresses
            )
        except Exception as exc:
            self._fail(inbound, exc)
            return None
        if mailbox is not None and inbound.mailbox_id is None:
            inbound.mailbox = mailbox
        return _Read(inbound, reading, mailbox.store if mailbox else None, to_addresses)

    def _plan(self, item: _Read) -> Outcome | None:
        """The outcome of a mail that touches no ticket, as ``process`` would decide it; None
        for a mail that opens or may answer a ticket."""
        reading, classification = item.reading, item.reading.classification
        if classification.noise == Noise.LOOP:
            return Outcome(InboundStatus.IGNORED, Noise.LOOP, error=classification.reason)
        if classification.automatic:
            # A bounce or automatic reply becomes a note only on a ticket it names.
            if self._could_answer(item):
                return None
            return Outcome(InboundStatus.IGNORED, classification.noise, error=classification.reason)
        if not reading.sender:
            return Outcome(InboundStatus.IGNORED, OUTCOME_NO_SENDER)
        if item.store is None and not self._could_answer(item):
            return Outcome(InboundStatus.IGNORED, RouteKind.CATCH_ALL)
        return None

    def _opens_a_ticket(self, item: _Read) -> bool:
        """Certainly a plain new ticket: a human's mail to a store address that answers no
        ticket, repeats no stored Message-ID and has no attachment over the limit (a note)."""
        return (
            item.store is not None
            and not item.reading.classification.automatic
            and not item.reading.parsed.oversized
            and not self._could_answer(item)
        )

    def _could_answer(self, item: _Read) -> bool:
        return could_answer_a_ticket(item.reading.parsed, item.to_addresses, item.store, self.known)

    def _buffer(self, item: _Read) -> None:
        self.buffer.append(item)
        # A later mail of the batch that names this one's Message-ID (a reply, the same mail
        # with another footer) must see its ticket: the buffer is written before that mail.
        external_id = external_id_of(item.reading.parsed)
        if external_id:
            self.known.stored.add(external_id)
            self.known.message_ids.add(external_id.strip("<>"))

    def _write_buffer(self) -> None:
        buffer, self.buffer = self.buffer, []
        if not buffer:
            return
        try:
            with transaction.atomic():
                names: dict[str, str] = {}
                for item in buffer:
                    names.setdefault(item.reading.sender, sender_name(item.reading.parsed))
                customers = get_or_create_customers_by_identity(
                    IdentityKind.EMAIL, names, actor=None
                )
                new = []
                for item in buffer:
                    assert item.store is not None  # only mails to a store address are buffered
                    customer = customers[item.reading.sender]
                    new.append(new_ticket_of(item.inbound, item.reading, item.store, customer))
                messages = do_create_tickets(new, actor=None)
        except Exception:
            logger.exception("Opening %s tickets at once failed; one mail at a time", len(buffer))
            for item in buffer:
                self._one(item.inbound, item.reading)
            return
        for item, message in zip(buffer, messages, strict=True):
            ticket = message.ticket
            self.known.numbers.add((ticket.store_id, ticket.number))
            self._finish(
                item.inbound,
                Outcome(InboundStatus.PROCESSED, RouteKind.NEW_TICKET, ticket, message),
            )

    def _one(self, inbound: InboundEmail, reading: Reading) -> None:
        """The single-mail way, in a savepoint of its own."""
        try:
            with transaction.atomic():
                outcome = process_row(inbound, self.addresses, reading)
        except Exception as exc:
            self.addresses = AddressBook()  # what the rollback undid may be cached
            self._fail(inbound, exc)
            return
        self.processed += 1
        if outcome.message is not None and outcome.message.external_id:
            self.known.stored.add(outcome.message.external_id)
            self.known.message_ids.add(outcome.message.external_id.strip("<>"))
        if outcome.ticket is not None:
            self.known.numbers.add((outcome.ticket.store_id, outcome.ticket.number))

    def _save_finished(self) -> None:
        """What ``apply_outcome`` set on the finished rows, with one UPDATE for all of them
        (``save_outcomes``)."""
        save_outcomes(self.finished)

    def _finish(self, inbound: InboundEmail, outcome: Outcome) -> None:
        apply_outcome(inbound, outcome)
        self.finished.append(inbound)
        self.processed += 1

    def _fail(self, inbound: InboundEmail, exc: Exception) -> None:
        record_failure(inbound.pk, exc)
        self.failed.append(inbound.pk)


def save_outcomes(rows: list[InboundEmail]) -> None:
    """Save the fields ``apply_outcome`` set (``OUTCOME_FIELDS``) on many rows with one
    ``UPDATE … FROM (VALUES …)`` (PostgreSQL and SQLite 3.33+). ``bulk_update`` builds a CASE
    per row and field, which costs more than the rest of the batch's statements together; one
    UPDATE per row would cost a round trip each."""
    if not rows:
        return
    opts = InboundEmail._meta
    connection = connections[router.db_for_write(InboundEmail)]
    quote = connection.ops.quote_name
    table, pk = quote(opts.db_table), quote(inbound_column("id"))
    values = ["id", "status", "outcome", "error", "mailbox", "ticket", "message", "processed_at"]
    columns = [quote(inbound_column(name)) for name in values]
    casts = {"mailbox", "ticket", "message"}  # all NULL in a batch would be text, not bigint
    assignments = ", ".join(
        f"{column} = CAST(v.{column} AS bigint)" if name in casts else f"{column} = v.{column}"
        for name, column in zip(values, columns, strict=True)
        if name != "id"
    )
    attempts, next_attempt = (
        quote(inbound_column("attempts")),
        quote(inbound_column("next_attempt_at")),
    )
    placeholders = ", ".join(["(" + ", ".join(["%s"] * len(values)) + ")"] * len(rows))
    sql = (
        f"WITH v ({', '.join(columns)}) AS (VALUES {placeholders}) "  # noqa: S608
        f"UPDATE {table} SET {assignments}, {attempts} = {table}.{attempts} + 1, "
        f"{next_attempt} = NULL FROM v WHERE {table}.{pk} = v.{pk}"
    )
    params: list[Any] = []
    for row in rows:
        for name in values:
            field = opts.get_field(name)
            value = getattr(row, field.attname)  # type: ignore[union-attr]
            params.append(field.get_db_prep_save(value, connection))  # type: ignore[union-attr]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
