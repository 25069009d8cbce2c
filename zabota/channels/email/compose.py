"""The MIME bytes of the mails we send: agent replies and acknowledgements of new tickets.

A mail is composed once and stored (``OutboundEmail.raw``), so every retry sends the same bytes
under the same Message-ID. Text and HTML are rendered from ``templates/email/`` in the customer's
language (else the ticket's, else the store's default).

Threading: the Message-ID is signed (``tokens.message_id``) and the Reply-To is the signed reply
address (``tokens.reply_address``), so the customer's answer finds its ticket whatever their mail
client does with the other headers; In-Reply-To and References name the conversation so far.
"""

import re
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, getaddresses
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import mark_safe

from zabota.channels.email import tokens
from zabota.channels.email.models import Mailbox
from zabota.core.languages import first_supported
from zabota.customers.constants import IdentityKind
from zabota.tickets import confirmation
from zabota.tickets.constants import Channel, MessageKind, Status
from zabota.tickets.models import Message, Ticket

# CRLF line ends for SMTP; 7bit makes non-ASCII parts quoted-printable or base64, so the bytes
# pass every relay, including those without 8BITMIME.
POLICY = SMTP.clone(cte_type="7bit")
# References keeps the first Message-ID of the thread and the latest ones (RFC 5322 §3.6.4).
MAX_REFERENCES = 20
# Prefixes that already mark a subject as a reply (English, German, Polish, Hungarian, Russian).
_REPLY_PREFIX = re.compile(r"^\s*(re|aw|odp|vá|ответ|отв)\s*:", re.IGNORECASE)


@dataclass(frozen=True)
class Composed:
    raw: bytes
    # Message-IDs without angle brackets.
    message_id: str
    in_reply_to: str
    references: list[str]
    to_address: str
    subject: str


def mail_language(ticket: Ticket) -> str:
    """The language the customer reads: theirs if the UI has it, else the ticket's, else the
    store's default."""
    return first_supported(ticket.customer.language, ticket.language, ticket.store.default_language)


def address_of(value: Any) -> str:
    """The bare, case-folded address of a ``channel_meta`` sender ("Name <a@b>" or a@b)."""
    if isinstance(value, dict):
        value = value.get("email", "")
    if not isinstance(value, str) or not value.strip():
        return ""
    pairs = getaddresses([value])
    address = pairs[0][1] if pairs else ""
    return address.strip().casefold() if "@" in address else ""


def _inbound_message_id(message: Message) -> str:
    value = message.channel_meta.get("message_id") or message.external_id
    return str(value).strip().strip("<>") if value else ""


def last_inbound_email(ticket: Ticket) -> Message | None:
    """The customer's latest mail in the ticket: the one a reply answers."""
    return (
        ticket.messages.filter(kind=MessageKind.CUSTOMER, channel=Channel.EMAIL)
        .order_by("-created_at", "-id")
        .first()
    )


def recipient(ticket: Ticket) -> str:
    """Where replies go: the sender of the customer's latest mail, else their e-mail identity."""
    latest = last_inbound_email(ticket)
    if latest is not None:
        address = address_of(latest.channel_meta.get("from"))
        if address:
            return address
    identity = ticket.customer.identities.filter(kind=IdentityKind.EMAIL).order_by("pk").first()
    return identity.value if identity is not None else ""


def thread_ids(ticket: Ticket, *, before: Message | None = None) -> list[str]:
    """Message-IDs of the conversation in time order: the customer's mails and our replies."""
    messages = (
        ticket.messages.filter(kind__in=(MessageKind.CUSTOMER, MessageKind.AGENT))
        .select_related("outbound_email")
        .order_by("created_at", "id")
    )
    ids: list[str] = []
    for message in messages:
        if before is not None and message.pk == before.pk:
            break
        if message.kind == MessageKind.CUSTOMER:
            value = _inbound_message_id(message) if message.channel == Channel.EMAIL else ""
        else:
            outbound = getattr(message, "outbound_email", None)
            value = outbound.message_id_header if outbound is not None else ""
        if value and value not in ids:
            ids.append(value)
    return ids


def references(chain: list[str]) -> list[str]:
    if len(chain) <= MAX_REFERENCES:
        return chain
    return [chain[0], *chain[-(MAX_REFERENCES - 1) :]]


def reply_subject(ticket: Ticket, *, is_reply: bool) -> str:
    """ "Re: <subject> [#<number>]": the number lets a customer's new mail about the same matter
    find the ticket (router, subject rule) and tells the customer what to quote on the phone."""
    subject = " ".join(ticket.subject.split())
    tag = f"[#{ticket.number}]"
    if tag not in subject:
        subject = f"{subject} {tag}"
    if is_reply and not _REPLY_PREFIX.match(subject):
        subject = f"Re: {subject}"
    return subject


def brand(mailbox: Mailbox, ticket: Ticket) -> str:
    return mailbox.from_name.strip() or ticket.store.name


def _new_mail(
    *,
    sender: Address,
    to_address: str,
    subject: str,
    message_id: str,
    in_reply_to: str,
    chain: list[str],
    reply_to: str,
    automatic: bool,
) -> EmailMessage:
    mail = EmailMessage(policy=POLICY)
    mail["From"] = sender
    if to_address:
        mail["To"] = to_address
    mail["Subject"] = subject
    mail["Date"] = format_datetime(timezone.now())
    mail["Message-ID"] = f"<{message_id}>"
    if in_reply_to:
        mail["In-Reply-To"] = f"<{in_reply_to}>"
    if chain:
        mail["References"] = " ".join(f"<{value}>" for value in chain)
    mail["Reply-To"] = reply_to
    if automatic:
        # RFC 3834: no auto-responder may answer this; Exchange also honours the second header.
        mail["Auto-Submitted"] = "auto-replied"
        mail["X-Auto-Response-Suppress"] = "All"
    return mail


def _set_bodies(mail: EmailMessage, template: str, context: dict[str, Any], language: str) -> None:
    with translation.override(language):
        text = render_to_string(f"email/{template}.txt", context)
        html = render_to_string(f"email/{template}.html", context)
    mail.set_content(text)
    mail.add_alternative(html, subtype="html")


def _mailbox_domain(mailbox: Mailbox) -> str:
    return mailbox.address.rpartition("@")[2].casefold()


def _confirm_links(message: Message) -> dict[str, str]:
    """The "yes, solved" / "no" links, for the reply that proposed the solution only: the reply
    that moved the ticket to awaiting_confirmation, which it is still in."""
    ticket = message.ticket
    if ticket.status != Status.AWAITING_CONFIRMATION or ticket.awaiting_since != message.created_at:
        return {}
    return confirmation.links(ticket)


def compose_reply(message: Message, mailbox: Mailbox) -> Composed:
    """An agent's reply as a mail to the customer, answering their latest mail.

    A reply written by no one (an automation) is automatic and carries ``Auto-Submitted``.
    """
    ticket = message.ticket
    language = mail_language(ticket)
    latest = last_inbound_email(ticket)
    chain = thread_ids(ticket, before=message)
    in_reply_to = _inbound_message_id(latest) if latest is not None else ""
    if not in_reply_to and chain:
        in_reply_to = chain[-1]
    agent = message.author_user
    first_name = agent.name.split()[0] if agent is not None and agent.name.strip() else ""
    display = f"{first_name} · {brand(mailbox, ticket)}" if first_name else brand(mailbox, ticket)
    to_address = recipient(ticket)
    subject = reply_subject(ticket, is_reply=bool(chain))
    message_id = tokens.message_id(_mailbox_domain(mailbox), ticket.pk)
    mail = _new_mail(
        sender=Address(display_name=display, addr_spec=mailbox.address),
        to_address=to_address,
        subject=subject,
        message_id=message_id,
        in_reply_to=in_reply_to,
        chain=references(chain),
        reply_to=tokens.reply_address(mailbox.address, ticket.pk),
        automatic=agent is None,
    )
    context = {
        "ticket": ticket,
        "store_name": brand(mailbox, ticket),
        "agent_name": agent.name if agent is not None else "",
        "body_text": message.body_text,
        # Sanitised when the reply was stored (tickets.actions._bodies).
        "body_html": mark_safe(message.body_html),
        "language": language,
        "confirm_links": _confirm_links(message),
    }
    _set_bodies(mail, "reply", context, language)
    for attachment in message.attachments.all():
        with attachment.file.open("rb") as handle:
            data = handle.read()
        maintype, _slash, subtype = attachment.content_type.partition("/")
        if not subtype or maintype == "multipart":
            maintype, subtype = "application", "octet-stream"
        mail.add_attachment(
            data,
            maintype=maintype,
            subtype=subtype,
            filename=attachment.filename,
            cid=f"<{attachment.content_id}>" if attachment.content_id else None,
        )
    # Last: building the MIME tree moves Content-* headers into the parts made so far.
    mail["Content-Language"] = language
    return Composed(
        raw=mail.as_bytes(),
        message_id=message_id,
        in_reply_to=in_reply_to,
        references=references(chain),
        to_address=to_address,
        subject=subject,
    )


def compose_acknowledgement(
    ticket: Ticket, mailbox: Mailbox, *, to_address: str, in_reply_to: str
) -> Composed:
    """ "We have your message, its number is #N": automatic, so no auto-responder answers it."""
    language = mail_language(ticket)
    chain = [in_reply_to] if in_reply_to else []
    subject = reply_subject(ticket, is_reply=True)
    message_id = tokens.message_id(_mailbox_domain(mailbox), ticket.pk)
    mail = _new_mail(
        sender=Address(display_name=brand(mailbox, ticket), addr_spec=mailbox.address),
        to_address=to_address,
        subject=subject,
        message_id=message_id,
        in_reply_to=in_reply_to,
        chain=chain,
        reply_to=tokens.reply_address(mailbox.address, ticket.pk),
        automatic=True,
    )
    context = {"ticket": ticket, "store_name": brand(mailbox, ticket), "language": language}
    _set_bodies(mail, "acknowledgement", context, language)
    mail["Content-Language"] = language
    return Composed(
        raw=mail.as_bytes(),
        message_id=message_id,
        in_reply_to=in_reply_to,
        references=chain,
        to_address=to_address,
        subject=subject,
    )
