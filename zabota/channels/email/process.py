"""Turn a stored inbound mail into its result: a message in a ticket, a note, or a logged no-op.

``process_inbound`` is idempotent: a mail in a final status is returned untouched, and all of the
work for one mail happens in one transaction (in the worker's batches, ``batch.py``: its batch's
transaction, or a savepoint of its own in it), so a crash leaves it ``received``/``failed`` and a
retry starts from scratch. Steps: burst limit → parse (unparsable: quarantined) → classify
(loop/noise) → route (reply, new ticket, catch-all) → act.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache, partial
from typing import Any

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import Count, Max, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from zabota.channels.email.classify import (
    Classification,
    Noise,
    classify,
    delivery_failure,
)
from zabota.channels.email.constants import InboundStatus, OutboundStatus
from zabota.channels.email.inbound import (
    clean_text,
    enqueue_processing,
    routing_headers,
)
from zabota.channels.email.mailboxes import AddressBook
from zabota.channels.email.models import InboundEmail, OutboundEmail
from zabota.channels.email.parse import ParseError, parse_email
from zabota.channels.email.parsed import ParsedEmail
from zabota.channels.email.route import (
    Route,
    RouteKind,
    route_mail,
    strip_reply_prefixes,
    surviving_ticket,
)
from zabota.commerce.models import Store
from zabota.customers.actions import get_or_create_customer_by_identity
from zabota.customers.constants import IdentityKind
from zabota.customers.models import Customer
from zabota.customers.normalize import InvalidIdentity, normalize_email
from zabota.tickets.actions import (
    NewAttachment,
    NewTicket,
    do_add_customer_message,
    do_add_note,
    do_create_ticket,
)
from zabota.tickets.constants import Channel
from zabota.tickets.models import Message, Ticket

logger = logging.getLogger(__name__)

# Statuses that end processing; anything else (received, failed) may be processed (again).
FINAL_STATUSES = (
    InboundStatus.PROCESSED,
    InboundStatus.ATTACHED,
    InboundStatus.IGNORED,
    InboundStatus.HELD,
    InboundStatus.QUARANTINED,
)
# After this many failed attempts a mail stays failed until an admin retries it.
MAX_ATTEMPTS = 6
# Who wrote the internal notes the pipeline adds (shown on the timeline).
NOTE_AUTHOR = "Email"
# Outcome of a held mail an admin released: processed without the burst check.
RELEASED = "released"
# Outcomes that are not a route or a classification.
OUTCOME_BURST = "burst"
OUTCOME_PARSE_ERROR = "parse_error"
OUTCOME_NO_SENDER = "no_sender"
OUTCOME_DUPLICATE = "duplicate"
OUTCOME_UNVERIFIED = "unverified_reply"
OUTCOME_DISCARDED = "discarded"
# Longest automatic-reply text kept in a note.
AUTO_REPLY_EXCERPT = 2000


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff after the n-th failed attempt: 1, 2, 4 … minutes, at most an hour."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 60))


def process_inbound(inbound_id: int) -> InboundEmail:
    """Process one stored mail (idempotent). A failure is recorded on the row (status failed,
    error, attempts, next attempt) and re-raised, so the task can retry it."""
    status = InboundEmail.objects.filter(pk=inbound_id).values_list("status", flat=True).get()
    if status in FINAL_STATUSES:
        return InboundEmail.objects.get(pk=inbound_id)
    inbound, _worked = _process_locked(inbound_id, AddressBook())
    return inbound


def process_queued(inbound_id: int) -> str:
    """``process_inbound`` as the processing task runs it; returns the mail's status. A failed
    mail whose next attempt is not due yet is left alone: it failed in a batch of
    ``process_received`` while a task of its own was still queued, and its retry is queued for
    when it is due."""
    status, next_attempt_at = (
        InboundEmail.objects.filter(pk=inbound_id).values_list("status", "next_attempt_at").get()
    )
    if status in FINAL_STATUSES:
        return status
    if status == InboundStatus.FAILED and next_attempt_at and next_attempt_at > timezone.now():
        return status
    inbound, _worked = _process_locked(inbound_id, AddressBook())
    return inbound.status


@contextmanager
def replayable_transaction() -> Iterator[None]:
    """A transaction whose every write can be recomputed from the stored raw mail.

    On PostgreSQL its commit does not wait for the WAL flush (``synchronous_commit off``): a
    crash of the database server may forget the last few hundred milliseconds of processing,
    which then leaves those mails ``received`` for the sweep to process again — never loses one,
    since ``store_raw`` commits the raw mail durably first (docs/email.md, "Durability"). Only
    a transaction opened here is relaxed, never a caller's that this one is nested in."""
    connection = transaction.get_connection()
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        yield


def _process_locked(inbound_id: int, addresses: AddressBook) -> tuple[InboundEmail, bool]:
    """Lock the row and process it unless it is final; returns it and whether it was processed.
    A failure is recorded on the row and re-raised."""
    try:
        with replayable_transaction():
            inbound = (
                InboundEmail.objects.select_for_update()
                .annotate(mails_in_window=mails_in_burst_window())
                .get(pk=inbound_id)
            )
            if inbound.status in FINAL_STATUSES:
                return inbound, False
            process_row(inbound, addresses)
    except InboundEmail.DoesNotExist:
        raise  # deleted by an admin meanwhile: nothing to record it on
    except Exception as exc:
        record_failure(inbound_id, exc)
        raise
    return inbound, True


def mails_in_burst_window() -> Coalesce:
    """How many mails the row's sender sent within the burst window up to the row itself,
    counted in the query that locks the row (``ZABOTA_EMAIL_BURST_LIMIT``)."""
    _max_messages, window_seconds = settings.ZABOTA_EMAIL_BURST_LIMIT
    return _mails_within(window_seconds)


@cache
def _mails_within(window_seconds: int) -> Coalesce:
    # Built once per window: composing a subquery costs about as much as running it.
    earlier = (
        InboundEmail.objects.filter(
            Q(received_at__lt=OuterRef("received_at"))
            | Q(received_at=OuterRef("received_at"), pk__lte=OuterRef("pk")),
            sender=OuterRef("sender"),
            received_at__gt=OuterRef("received_at") - timedelta(seconds=window_seconds),
        )
        .order_by()
        .values("sender")
        .annotate(mails=Count("pk"))
        .values("mails")
    )
    return Coalesce(Subquery(earlier), 0)


def process_each(inbound_ids: list[int]) -> int:
    """Process the mails one by one, each in a transaction of its own; a mail that fails is
    recorded as failed and its retry queued. Returns how many were processed. A batch falls
    back to this when it cannot commit as a whole (``batch.process_batch``)."""
    processed = 0
    addresses = AddressBook()
    for inbound_id in inbound_ids:
        try:
            _inbound, worked = _process_locked(inbound_id, addresses)
        except InboundEmail.DoesNotExist:
            continue
        except Exception:
            addresses = AddressBook()  # what the rollback undid may be cached
            enqueue_retry(inbound_id)
            continue
        processed += worked
    return processed


def enqueue_retry(inbound_id: int) -> None:
    """Queue the next attempt of a failed mail for when it is due, on backends that can defer
    a task; otherwise (and if queueing fails) the worker's sweep queues it then."""
    from zabota.channels.email.tasks import process_inbound_task

    if not process_inbound_task.get_backend().supports_defer:
        return
    try:
        next_attempt_at = (
            InboundEmail.objects.filter(pk=inbound_id)
            .values_list("next_attempt_at", flat=True)
            .first()
        )
        if next_attempt_at is not None:
            process_inbound_task.using(run_after=next_attempt_at).enqueue(inbound_id)
    except Exception:
        logger.exception("Could not queue the retry of inbound e-mail %s", inbound_id)


def record_failure(inbound_id: int, exc: Exception) -> None:
    logger.exception("Processing inbound e-mail %s failed", inbound_id)
    try:
        with transaction.atomic():
            inbound = (
                InboundEmail.objects.select_for_update()
                .only("attempts", "status", "error", "next_attempt_at")
                .get(pk=inbound_id)
            )
            inbound.attempts += 1
            inbound.status = InboundStatus.FAILED
            inbound.error = clean_text(f"{type(exc).__name__}: {exc}")[:5000]
            inbound.next_attempt_at = (
                timezone.now() + retry_delay(inbound.attempts)
                if inbound.attempts < MAX_ATTEMPTS
                else None
            )
            inbound.save(update_fields=["attempts", "status", "error", "next_attempt_at"])
    except DatabaseError:
        # The database is what failed: the row stays as it was and the sweep finds it.
        logger.exception("Could not record the failure of inbound e-mail %s", inbound_id)


def _clean_list(values: list[str]) -> list[str]:
    return [clean_text(v) for v in values if v]


@dataclass(frozen=True)
class Outcome:
    status: str
    outcome: str
    ticket: Ticket | None = None
    message: Message | None = None
    error: str = ""


# The fields of an inbound row that processing sets (``apply_outcome``).
OUTCOME_FIELDS = [
    "status",
    "outcome",
    "error",
    "ticket",
    "message",
    "attempts",
    "next_attempt_at",
    "processed_at",
    "mailbox",
]


def apply_outcome(inbound: InboundEmail, result: Outcome) -> None:
    """Set the result of an attempt on the row (``OUTCOME_FIELDS``); the caller saves it."""
    inbound.status = result.status
    inbound.outcome = result.outcome
    inbound.error = clean_text(result.error)[:5000]
    inbound.ticket = result.ticket
    inbound.message = result.message
    inbound.attempts += 1
    inbound.next_attempt_at = None
    inbound.processed_at = timezone.now()


def over_burst_limit(inbound: InboundEmail) -> bool:
    """Whether the row is over its sender's burst limit; the query that locked it annotated
    ``mails_in_window`` (``mails_in_burst_window``). A released row never is."""
    if not inbound.sender or inbound.outcome == RELEASED:
        return False
    max_messages, _window_seconds = settings.ZABOTA_EMAIL_BURST_LIMIT
    return inbound.mails_in_window > max_messages  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Reading:
    """What processing reads from the raw mail itself, before it looks anything up."""

    parsed: ParsedEmail
    # The normalised address to answer ("" if there is none).
    sender: str
    classification: Classification
    # Delivered-To / X-Original-To.
    delivered_to: tuple[str, ...]


def read_mail(inbound: InboundEmail, *, own: set[str]) -> Reading | Outcome:
    """Parse and classify the stored mail; an ``Outcome`` (quarantined) if it cannot be
    parsed. ``own``: our addresses (``mailboxes.own_addresses``)."""
    raw = bytes(inbound.raw)
    try:
        parsed = parse_email(raw)
    except ParseError as exc:
        return Outcome(InboundStatus.QUARANTINED, OUTCOME_PARSE_ERROR, error=str(exc))
    except Exception as exc:  # a parser bug on these bytes: retrying would fail the same way
        logger.exception("Parser crashed on inbound e-mail %s", inbound.pk)
        reason = f"Parser error: {type(exc).__name__}: {exc}"
        return Outcome(InboundStatus.QUARANTINED, OUTCOME_PARSE_ERROR, error=reason)
    delivered_to, from_candidates = routing_headers(raw)
    return Reading(
        parsed=parsed,
        sender=_sender(parsed, from_candidates),
        classification=classify(parsed, own=own),
        delivered_to=delivered_to,
    )


def _sender(parsed: ParsedEmail, from_candidates: tuple[str, ...]) -> str:
    """The normalised address to answer: From, else the first Reply-To, else any address in a
    malformed From header; "" if there is none."""
    addresses = [a.email for a in (parsed.from_, *parsed.reply_to) if a is not None]
    for address in [*addresses, *from_candidates]:
        try:
            return normalize_email(clean_text(address))
        except InvalidIdentity:
            continue
    return ""


def process_row(
    inbound: InboundEmail, addresses: AddressBook, reading: Reading | None = None
) -> Outcome:
    """Process one locked, non-final row inside the caller's transaction and save the result
    on it; ``reading``: the mail already parsed and classified."""
    return _Processing(inbound, addresses, reading).run()


class _Processing:
    """One mail's way through the steps; ``run`` saves the result on the inbound row."""

    def __init__(
        self, inbound: InboundEmail, addresses: AddressBook, reading: Reading | None = None
    ) -> None:
        self.inbound = inbound
        self.addresses = addresses
        # Parsed and classified already (a batch reads every mail before it acts on any).
        self.reading = reading

    def run(self) -> Outcome:
        result = self._decide()
        apply_outcome(self.inbound, result)
        self.inbound.save(update_fields=OUTCOME_FIELDS)
        return result

    # -- the steps -------------------------------------------------------------------------

    def _decide(self) -> Outcome:
        if over_burst_limit(self.inbound):
            return Outcome(InboundStatus.HELD, OUTCOME_BURST)
        reading = self.reading or read_mail(self.inbound, own=self.addresses.own)
        if isinstance(reading, Outcome):
            return reading
        parsed, sender, classification = reading.parsed, reading.sender, reading.classification
        route = route_mail(
            parsed,
            inbound=self.inbound,
            delivered_to=reading.delivered_to,
            sender=sender,
            addresses=self.addresses,
        )
        if route.mailbox is not None and self.inbound.mailbox_id is None:
            self.inbound.mailbox = route.mailbox
        if classification.noise == Noise.LOOP:
            return Outcome(InboundStatus.IGNORED, Noise.LOOP, error=classification.reason)
        if classification.noise == Noise.BOUNCE:
            return self._bounce(parsed, route, classification)
        if classification.automatic:
            return self._automatic(parsed, route, classification, sender)
        if not sender:
            return Outcome(InboundStatus.IGNORED, OUTCOME_NO_SENDER)
        if route.store is None:
            return Outcome(InboundStatus.IGNORED, RouteKind.CATCH_ALL)
        duplicate = self._stored_message(parsed, route.store)
        if duplicate is not None:
            return Outcome(InboundStatus.PROCESSED, OUTCOME_DUPLICATE, duplicate.ticket, duplicate)
        if route.ticket is not None:
            return self._reply(reading, route)
        return self._new_ticket(reading, route)

    @staticmethod
    def _stored_message(parsed: ParsedEmail, store: Store) -> Message | None:
        if not parsed.message_id:
            return None
        # Matched by the indexed Message-ID alone and checked for the store afterwards: it names
        # one message or none, and a join condition on the store lets PostgreSQL walk all of
        # the store's tickets instead (it does, on statistics from before a burst of tickets).
        same_id = Message.objects.filter(external_id=external_id_of(parsed))
        if not same_id.exists():
            return None
        return next(
            (
                m
                for m in same_id.select_related("ticket").order_by("pk")
                if m.ticket.store_id == store.pk
            ),
            None,
        )

    # -- acting ----------------------------------------------------------------------------

    def _reply(self, reading: Reading, route: Route) -> Outcome:
        assert route.ticket is not None
        parsed = reading.parsed
        message = do_add_customer_message(
            route.ticket,
            body_text=self.text(parsed),
            body_html=clean_text(parsed.html),
            channel=Channel.EMAIL,
            attachments=self.attachments(parsed),
            channel_meta=_meta(self.inbound, reading),
            external_id=external_id_of(parsed),
            at=self.inbound.received_at,
        )
        ticket = message.ticket
        self._note_oversized(ticket, parsed)
        return Outcome(InboundStatus.PROCESSED, route.kind, ticket, message)

    def _new_ticket(self, reading: Reading, route: Route) -> Outcome:
        store = route.store
        assert store is not None
        parsed, sender = reading.parsed, reading.sender
        customer, _created = get_or_create_customer_by_identity(
            IdentityKind.EMAIL, sender, display_name=sender_name(parsed), actor=None
        )
        new = new_ticket_of(self.inbound, reading, store, customer)
        ticket = do_create_ticket(
            store=new.store,
            customer=new.customer,
            subject=new.subject,
            body_text=new.body_text,
            body_html=new.body_html,
            channel=new.channel,
            language=new.language,
            attachments=new.attachments,
            channel_meta=new.channel_meta,
            external_id=new.external_id,
            actor=None,
            at=new.at,
        )
        message = ticket.messages.get()
        if route.claimed is not None:
            with translation.override(store.default_language or None):
                note = _(
                    "This e-mail claims to answer ticket #%(number)s (%(how)s), but its sender "
                    "%(sender)s is not a participant of that ticket, so it was opened as a new "
                    "ticket. If it belongs there, merge it into #%(number)s."
                ) % {
                    "number": route.claimed.number,
                    "how": _claim_label(route.claimed_by),
                    "sender": sender,
                }
            do_add_note(ticket, body_text=note, actor=None, actor_label=NOTE_AUTHOR)
        self._note_oversized(ticket, parsed)
        outcome = OUTCOME_UNVERIFIED if route.claimed is not None else RouteKind.NEW_TICKET
        return Outcome(InboundStatus.PROCESSED, outcome, ticket, message)

    def _automatic(
        self, parsed: ParsedEmail, route: Route, classification: Classification, sender: str
    ) -> Outcome:
        """Auto-replies and bulk mail never open or reopen a ticket; one that answers a ticket
        (from a participant) becomes an internal note there."""
        if route.ticket is None:
            return Outcome(InboundStatus.IGNORED, classification.noise, error=classification.reason)
        ticket = route.ticket
        with translation.override(ticket.store.default_language or None):
            heading = _("Automatic reply from %(sender)s (%(reason)s): %(subject)s") % {
                "sender": sender or _("unknown sender"),
                "reason": classification.reason,
                "subject": clean_text(parsed.subject),
            }
        excerpt = self.text(parsed)[:AUTO_REPLY_EXCERPT]
        note = do_add_note(
            ticket,
            body_text=f"{heading}\n\n{excerpt}".strip(),
            actor=None,
            actor_label=NOTE_AUTHOR,
            at=self.inbound.received_at,
        )
        return Outcome(
            InboundStatus.ATTACHED, classification.noise, ticket, note, error=classification.reason
        )

    def _bounce(self, parsed: ParsedEmail, route: Route, classification: Classification) -> Outcome:
        """A bounce of one of our mails: a note on its ticket, and that mail marked failed."""
        outbound = self._reported_outbound(parsed, route.store)
        ticket = surviving_ticket(outbound.ticket) if outbound is not None else route.ticket
        if ticket is None:
            return Outcome(InboundStatus.IGNORED, Noise.BOUNCE, error=classification.reason)
        failure = delivery_failure(bytes(self.inbound.raw), parsed)
        recipient = (outbound.to_address if outbound else "") or failure.recipient
        details = failure.summary() or clean_text(parsed.subject)
        with translation.override(ticket.store.default_language or None):
            if failure.action == "delayed":
                text = _("Delivery to %(recipient)s is delayed: %(details)s")
            else:
                text = _("Delivery failed to %(recipient)s: %(details)s")
            text %= {"recipient": recipient or _("unknown recipient"), "details": details}
        note = do_add_note(
            ticket, body_text=text, actor=None, actor_label=NOTE_AUTHOR, at=self.inbound.received_at
        )
        if outbound is not None and failure.action != "delayed":
            OutboundEmail.objects.filter(pk=outbound.pk).update(
                status=OutboundStatus.FAILED,
                last_error=clean_text(f"Bounced: {details}")[:5000],
                next_attempt_at=None,
            )
        return Outcome(InboundStatus.ATTACHED, Noise.BOUNCE, ticket, note, error=details)

    @staticmethod
    def _reported_outbound(parsed: ParsedEmail, store: Store | None) -> OutboundEmail | None:
        ids = [parsed.reported_message_id, *parsed.in_reply_to, *parsed.references]
        ids = [i.strip().strip("<>") for i in ids if i and i.strip().strip("<>")]
        if not ids:
            return None
        outbound = OutboundEmail.objects.select_related("ticket", "ticket__store").filter(
            message_id_header__in=[*ids, *(f"<{i}>" for i in ids)]
        )
        if store is not None:
            outbound = outbound.filter(ticket__store=store)
        return outbound.order_by("-pk").first()

    # -- pieces ----------------------------------------------------------------------------

    @staticmethod
    def text(parsed: ParsedEmail) -> str:
        text = parsed.text.strip() or ("" if parsed.html else parsed.quoted.strip())
        return clean_text(text)

    @staticmethod
    def attachments(parsed: ParsedEmail) -> list[NewAttachment]:
        return [
            NewAttachment(
                filename=clean_text(item.filename)[:255],
                content_type=clean_text(item.content_type)[:127],
                data=item.data,
                content_id=clean_text(item.content_id)[:255],
            )
            for item in parsed.attachments
        ]

    def _note_oversized(self, ticket: Ticket, parsed: ParsedEmail) -> None:
        if not parsed.oversized:
            return
        with translation.override(ticket.store.default_language or None):
            lines = [
                _(
                    "Attachments over the size limit were not stored in the ticket; the original "
                    "e-mail (inbound #%(id)s) keeps them:"
                )
                % {"id": self.inbound.pk},
                *(
                    f"- {clean_text(item.filename) or _('(no name)')} "
                    f"({item.content_type}, {item.size} bytes)"
                    for item in parsed.oversized
                ),
            ]
        do_add_note(
            ticket,
            body_text="\n".join(lines),
            actor=None,
            actor_label=NOTE_AUTHOR,
            at=self.inbound.received_at,
        )


def sender_name(parsed: ParsedEmail) -> str:
    """The display name of the From address, as a new customer gets it."""
    return clean_text(parsed.from_.name if parsed.from_ else "")[:200]


def external_id_of(parsed: ParsedEmail) -> str:
    """The Message-ID as the mail's message stores it (``Message.external_id``)."""
    return clean_text(parsed.message_id)[:255]


def new_ticket_of(
    inbound: InboundEmail, reading: Reading, store: Store, customer: Customer
) -> NewTicket:
    """The ticket a mail opens for its sender ``customer``: subject without reply prefixes,
    the text and HTML, attachments, the customer's language or else the store's, channel_meta."""
    parsed = reading.parsed
    return NewTicket(
        store=store,
        customer=customer,
        subject=strip_reply_prefixes(clean_text(parsed.subject)),
        body_text=_Processing.text(parsed),
        body_html=clean_text(parsed.html),
        channel=Channel.EMAIL,
        language=customer.language or store.default_language,
        attachments=_Processing.attachments(parsed),
        channel_meta=_meta(inbound, reading),
        external_id=external_id_of(parsed),
        at=inbound.received_at,
    )


def _meta(inbound: InboundEmail, reading: Reading) -> dict[str, Any]:
    parsed = reading.parsed
    return {
        "inbound_id": inbound.pk,
        "message_id": clean_text(parsed.message_id),
        "from": reading.sender,
        "from_name": clean_text(parsed.from_.name if parsed.from_ else ""),
        "reply_to": _clean_list([a.email for a in parsed.reply_to]),
        "to": _clean_list([a.email for a in parsed.to]),
        "cc": _clean_list([a.email for a in parsed.cc]),
        "subject": clean_text(parsed.subject),
        "quoted": clean_text(parsed.quoted),
        "signature": clean_text(parsed.signature),
        "oversized": [
            {"filename": clean_text(item.filename), "size": item.size} for item in parsed.oversized
        ],
        "auto": reading.classification.automatic,
    }


def _claim_label(kind: RouteKind | None) -> str:
    labels = {
        RouteKind.REPLY_TOKEN: _("reply address"),
        RouteKind.REPLY_REFERENCES: _("In-Reply-To/References"),
        RouteKind.REPLY_SUBJECT: _("ticket number in the subject"),
    }
    return labels.get(kind, "") if kind is not None else ""


# -- admin actions and the sweep ---------------------------------------------------------------


def do_retry(inbound_ids: list[int]) -> int:
    """Queue quarantined and failed mails again (e.g. after an upgrade fixed the parser)."""
    retriable = InboundEmail.objects.filter(
        pk__in=inbound_ids, status__in=[InboundStatus.QUARANTINED, InboundStatus.FAILED]
    )
    return _requeue(retriable, outcome=None)


def do_release_held(inbound_ids: list[int]) -> int:
    """Process held mails without the burst check."""
    held = InboundEmail.objects.filter(pk__in=inbound_ids, status=InboundStatus.HELD)
    return _requeue(held, outcome=RELEASED)


@dataclass(frozen=True)
class HeldSender:
    sender: str
    count: int
    newest: datetime


def held_senders() -> list[HeldSender]:
    """Senders with mail held by the burst limit, most recent first."""
    rows = (
        InboundEmail.objects.filter(status=InboundStatus.HELD)
        .values("sender")
        .annotate(count=Count("pk"), newest=Max("received_at"))
        .order_by("-newest")
    )
    return [HeldSender(r["sender"], r["count"], r["newest"]) for r in rows]


def held_from(sender: str) -> list[int]:
    return list(
        InboundEmail.objects.filter(status=InboundStatus.HELD, sender=sender).values_list(
            "pk", flat=True
        )
    )


def do_discard_held(inbound_ids: list[int]) -> int:
    """Keep held mails (raw) but never process them: status ignored, outcome discarded."""
    return InboundEmail.objects.filter(pk__in=inbound_ids, status=InboundStatus.HELD).update(
        status=InboundStatus.IGNORED, outcome=OUTCOME_DISCARDED, processed_at=timezone.now()
    )


def _requeue(queryset: Any, *, outcome: str | None) -> int:
    with transaction.atomic():
        ids = list(queryset.select_for_update().values_list("pk", flat=True))
        fields: dict[str, Any] = {
            "status": InboundStatus.RECEIVED,
            "error": "",
            "attempts": 0,
            "next_attempt_at": None,
        }
        if outcome is not None:
            fields["outcome"] = outcome
        InboundEmail.objects.filter(pk__in=ids).update(**fields)
        for inbound_id in ids:
            transaction.on_commit(partial(enqueue_processing, inbound_id))
    return len(ids)


# A mail whose task has not run this long after it was due is presumed to have lost its task.
STALE_AFTER = timedelta(minutes=2)


def due_for_processing(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Mails whose processing task was lost: received, or failed with a retry left, and still
    waiting ``STALE_AFTER`` after they were due."""
    now = now or timezone.now()
    due = (
        InboundEmail.objects.filter(
            Q(status=InboundStatus.RECEIVED)
            | Q(
                status=InboundStatus.FAILED,
                attempts__lt=MAX_ATTEMPTS,
                next_attempt_at__isnull=False,
            )
        )
        .alias(due_at=Coalesce("next_attempt_at", "received_at"))
        .filter(due_at__lte=now - STALE_AFTER)
    )
    return list(due.order_by("received_at").values_list("pk", flat=True)[:limit])


def sweep_inbound() -> int:
    """Worker housekeeping: queue every mail whose task was lost; return how many."""
    now = timezone.now()
    ids = due_for_processing(now=now)
    # Marked as due now, so that the next sweeps leave them alone while their task is pending.
    InboundEmail.objects.filter(pk__in=ids).update(next_attempt_at=now)
    for inbound_id in ids:
        enqueue_processing(inbound_id)
    return len(ids)
