"""Where an inbound mail goes, in declared order: (a) a reply to an existing ticket, (b) a new
ticket for a store address, (c) the catch-all log.

Replies are recognised by (1) a reply token we signed (in a recipient address or a Message-ID we
generated), (2) In-Reply-To/References naming a Message-ID stored in the store, (3) a ticket number
in the subject. A recognised reply is accepted only from a participant of that ticket; otherwise
the ticket is only *claimed*, and the mail becomes a new ticket that names the claim
(docs/email.md, "Who may answer a ticket").
"""

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum

from zabota.channels.email import tokens
from zabota.channels.email.inbound import clean_text
from zabota.channels.email.mailboxes import AddressBook, is_own_address
from zabota.channels.email.models import InboundEmail, Mailbox, OutboundEmail
from zabota.channels.email.parsed import ParsedEmail
from zabota.commerce.models import Store
from zabota.customers.constants import IdentityKind
from zabota.customers.models import Identity
from zabota.tickets.constants import Channel
from zabota.tickets.models import Message, Ticket


class RouteKind(StrEnum):
    """How a mail was routed; the value is recorded as the inbound outcome."""

    # A signed reply address or one of our Message-IDs.
    REPLY_TOKEN = "reply_token"  # noqa: S105 - a route name, not a credential
    # In-Reply-To/References naming a stored message of the store.
    REPLY_REFERENCES = "reply_references"
    # "[#1042]", "#1042" or "Ticket 1042" in the subject, from the ticket's customer.
    REPLY_SUBJECT = "reply_subject"
    # Addressed to a store address and answering nothing (or nothing the sender may answer).
    NEW_TICKET = "new_ticket"
    # Addressed to no address of ours.
    CATCH_ALL = "catch_all"


@dataclass(frozen=True)
class Route:
    kind: RouteKind
    store: Store | None = None
    mailbox: Mailbox | None = None
    # The ticket a reply belongs to; its sender is a participant.
    ticket: Ticket | None = None
    # A ticket the mail claims to answer although its sender may not (a new ticket is opened).
    claimed: Ticket | None = None
    claimed_by: RouteKind | None = None


_SUBJECT_NUMBER = re.compile(
    r"\[#(?P<bracketed>\d{1,9})\]"
    r"|(?<![\w&])#(?P<hash>\d{1,9})\b"
    r"|\bticket\s*(?:no\.?|nr\.?|number)?\s*#?\s*(?P<word>\d{1,9})\b",
    re.IGNORECASE,
)


# Reply and forward prefixes of the languages our customers write in, repeated or counted:
# "Re: Fwd: AW: …", "Re[2]:", "Odp:", "PD:", "Ответ:", "Vá:", "WG:", "Fw:".
_REPLY_PREFIXES = re.compile(
    r"^(?:\s*(?:re|fwd?|aw|wg|odp|pd|vá|továbbítás|ответ|отв|пересл|fw|tr|sv|vs)"
    r"\s*(?:\[\d+\]|\(\d+\))?\s*[:：]\s*)+",
    re.IGNORECASE,
)


def strip_reply_prefixes(subject: str) -> str:
    """``Re: AW: Fwd: Parcel`` → ``Parcel``."""
    return _REPLY_PREFIXES.sub("", subject).strip()


def subject_ticket_numbers(subject: str) -> list[int]:
    """Ticket numbers named in a subject, in order: ``Re: [#1042] Parcel`` → ``[1042]``."""
    return [int(next(n for n in m.groups() if n)) for m in _SUBJECT_NUMBER.finditer(subject)]


def recipients(
    parsed: ParsedEmail, inbound: InboundEmail, delivered_to: Iterable[str]
) -> list[str]:
    """Every address the mail was delivered or addressed to, most authoritative first."""
    seen: dict[str, None] = {}
    for address in (
        inbound.envelope_recipient,
        *delivered_to,
        *(a.email for a in parsed.to),
        *(a.email for a in parsed.cc),
    ):
        address = address.strip().strip("<>").casefold()
        if "@" in address:
            seen.setdefault(address, None)
    return list(seen)


def surviving_ticket(ticket: Ticket) -> Ticket:
    """Follow merges to the ticket that now holds the conversation."""
    hops = 0
    while ticket.merged_into_id is not None and hops < 20:
        ticket = Ticket.objects.select_related("store", "customer").get(pk=ticket.merged_into_id)
        hops += 1
    return ticket


def _message_ids(parsed: ParsedEmail) -> list[str]:
    """In-Reply-To first, then References from the newest, without duplicates."""
    ids: dict[str, None] = {}
    for value in (*parsed.in_reply_to, *reversed(parsed.references)):
        value = value.strip().strip("<>")
        if value:
            ids.setdefault(value, None)
    return list(ids)


def _by_token(parsed: ParsedEmail, to_addresses: list[str], store: Store | None) -> Ticket | None:
    candidates = [tokens.ticket_from_reply_address(a) for a in to_addresses]
    candidates += [tokens.ticket_from_message_id(m) for m in _message_ids(parsed)]
    for ticket_id in candidates:
        if ticket_id is None:
            continue
        ticket = Ticket.objects.select_related("store", "customer").filter(pk=ticket_id).first()
        if ticket is not None and (store is None or ticket.store_id == store.pk):
            return ticket
    return None


def _by_references(parsed: ParsedEmail, store: Store) -> Ticket | None:
    ids = _message_ids(parsed)[:100]
    if not ids:
        return None
    # Stored with or without angle brackets depending on who wrote them.
    variants = [*ids, *(f"<{i}>" for i in ids)]
    found: dict[str, int] = {}
    # The store is checked here, not joined in SQL: the ids are indexed and name few rows, while
    # a join on the store may make PostgreSQL walk the store's tickets (statistics lag behind
    # a burst of new tickets).
    stored = Message.objects.filter(external_id__in=[v[:255] for v in variants]).values_list(
        "external_id", "ticket_id", "ticket__store_id"
    )
    sent = OutboundEmail.objects.filter(message_id_header__in=variants).values_list(
        "message_id_header", "ticket_id", "ticket__store_id"
    )
    for message_id, ticket_id, store_id in [*stored, *sent]:
        if store_id == store.pk:
            found.setdefault(message_id.strip("<>"), ticket_id)
    for message_id in ids:
        match = found.get(message_id) or found.get(message_id[:255])
        if match is not None:
            return Ticket.objects.select_related("store", "customer").get(pk=match)
    return None


def _by_subject(subject: str, store: Store) -> Ticket | None:
    for number in subject_ticket_numbers(subject)[:5]:
        ticket = (
            Ticket.objects.select_related("store", "customer")
            .filter(store=store, number=number)
            .first()
        )
        if ticket is not None:
            return ticket
    return None


def customer_emails(ticket: Ticket) -> set[str]:
    return set(
        Identity.objects.filter(
            customer_id=ticket.customer_id, kind=IdentityKind.EMAIL
        ).values_list("value", flat=True)
    )


def _thread_addresses(ticket: Ticket) -> Iterator[str]:
    metas = Message.objects.filter(ticket=ticket, channel=Channel.EMAIL).values_list(
        "channel_meta", flat=True
    )
    for meta in metas:
        if not isinstance(meta, dict):
            continue
        sender = meta.get("from")
        if isinstance(sender, str):
            yield sender
        for key in ("to", "cc"):
            values = meta.get(key)
            if isinstance(values, list):
                yield from (v for v in values if isinstance(v, str))
    yield from OutboundEmail.objects.filter(ticket=ticket).values_list("to_address", flat=True)


def participants(ticket: Ticket, *, own: set[str]) -> set[str]:
    """Who may answer ``ticket`` by e-mail: its customer's e-mail identities and everyone who
    took part in its e-mail thread (From/To/Cc), except our own addresses."""
    addresses = customer_emails(ticket) | {a.strip().casefold() for a in _thread_addresses(ticket)}
    return {a for a in addresses if a and not is_own_address(a, own)}


def _mailbox_for(addresses: list[str], book: AddressBook) -> Mailbox | None:
    for address in addresses:
        mailbox = book.mailbox_for_address(address)
        if mailbox is not None:
            return mailbox
    return None


def receiving_mailbox(
    parsed: ParsedEmail, inbound: InboundEmail, delivered_to: Iterable[str], addresses: AddressBook
) -> tuple[Mailbox | None, list[str]]:
    """The mailbox the mail came through, else the first of ours among its recipients; and the
    recipients (``recipients``)."""
    to_addresses = recipients(parsed, inbound, delivered_to)
    mailbox = addresses.mailbox(inbound.mailbox_id) if inbound.mailbox_id is not None else None
    return mailbox or _mailbox_for(to_addresses, addresses), to_addresses


@dataclass(frozen=True)
class KnownThreads:
    """What the reply steps of a whole batch of mails could match, looked up at once
    (``known_threads``): Message-IDs stored or sent in any store, as stored, and the ticket
    numbers (store id, number) that exist. A batch adds what it creates itself."""

    # Message.external_id and OutboundEmail.message_id_header values, exactly as stored.
    stored: set[str]
    # The same without angle brackets, as the reference step compares them.
    message_ids: set[str]
    numbers: set[tuple[int, int]]


def _identifying_ids(parsed: ParsedEmail) -> list[str]:
    """Every Message-ID a reply step, the duplicate check or a bounce's lookup may compare."""
    ids = _message_ids(parsed)
    for value in (parsed.message_id, parsed.reported_message_id):
        if value and value.strip().strip("<>"):
            ids.append(value.strip().strip("<>"))
    return ids


def known_threads(mails: Iterable[tuple[ParsedEmail, Store | None]]) -> KnownThreads:
    """Look up, with three queries, everything the reply steps could find for these mails
    (``could_answer_a_ticket``)."""
    variants: set[str] = set()
    stored_ids: set[str] = set()
    numbers: set[int] = set()
    stores: set[int] = set()
    for parsed, store in mails:
        ids = _identifying_ids(parsed)
        variants.update(ids)
        variants.update(f"<{i}>" for i in ids)
        if parsed.message_id:
            stored_ids.add(clean_text(parsed.message_id)[:255])
        if store is not None:
            stores.add(store.pk)
            numbers.update(subject_ticket_numbers(parsed.subject)[:5])
    stored_ids.update(v[:255] for v in variants)
    found: set[str] = set()
    for chunk in _chunks(sorted(stored_ids)):
        found.update(
            Message.objects.filter(external_id__in=chunk).values_list("external_id", flat=True)
        )
    for chunk in _chunks(sorted(variants)):
        found.update(
            OutboundEmail.objects.filter(message_id_header__in=chunk).values_list(
                "message_id_header", flat=True
            )
        )
    existing: set[tuple[int, int]] = set()
    if stores and numbers:
        existing = set(
            Ticket.objects.filter(store_id__in=stores, number__in=numbers).values_list(
                "store_id", "number"
            )
        )
    return KnownThreads(found, {v.strip("<>") for v in found}, existing)


def _chunks(values: list[str], size: int = 500) -> Iterator[list[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def could_answer_a_ticket(
    parsed: ParsedEmail, to_addresses: list[str], store: Store | None, known: KnownThreads
) -> bool:
    """Whether ``route_mail`` could find a ticket for the mail, a bounce could name one of our
    outbound mails, or the mail repeats a stored Message-ID — judged from ``known`` without a
    query. False means certainly not: the mail opens a new ticket (or is ignored); True means
    perhaps, and ``route_mail`` decides."""
    tokens_found = [tokens.ticket_from_reply_address(a) for a in to_addresses]
    tokens_found += [tokens.ticket_from_message_id(m) for m in _message_ids(parsed)]
    if any(ticket_id is not None for ticket_id in tokens_found):
        return True
    if parsed.message_id and clean_text(parsed.message_id)[:255] in known.stored:
        return True
    if any(
        i in known.message_ids or i[:255] in known.message_ids for i in _identifying_ids(parsed)
    ):
        return True
    return store is not None and any(
        (store.pk, number) in known.numbers for number in subject_ticket_numbers(parsed.subject)[:5]
    )


def route_mail(
    parsed: ParsedEmail,
    *,
    inbound: InboundEmail,
    delivered_to: Iterable[str],
    sender: str,
    addresses: AddressBook,
) -> Route:
    """Decide where ``parsed`` goes. ``sender``: the normalised From address ("" if none)."""
    mailbox, to_addresses = receiving_mailbox(parsed, inbound, delivered_to, addresses)
    store = mailbox.store if mailbox is not None else None

    steps = (
        (RouteKind.REPLY_TOKEN, lambda: _by_token(parsed, to_addresses, store)),
        (RouteKind.REPLY_REFERENCES, lambda: _by_references(parsed, store) if store else None),
        (RouteKind.REPLY_SUBJECT, lambda: _by_subject(parsed.subject, store) if store else None),
    )
    for kind, find in steps:
        found = find()
        if found is None:
            continue
        ticket = surviving_ticket(found)
        if kind == RouteKind.REPLY_SUBJECT:
            # A number in a subject is easy to guess: only the customer's own address counts.
            allowed = customer_emails(ticket)
        else:
            allowed = participants(ticket, own=addresses.own)
        if sender and sender in allowed:
            return Route(kind, store=ticket.store, mailbox=mailbox, ticket=ticket)
        return Route(
            RouteKind.NEW_TICKET,
            store=ticket.store,
            mailbox=mailbox,
            claimed=ticket,
            claimed_by=kind,
        )
    if store is not None:
        return Route(RouteKind.NEW_TICKET, store=store, mailbox=mailbox)
    return Route(RouteKind.CATCH_ALL)
