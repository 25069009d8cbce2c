"""Test data for the inbound pipeline: authored mails and delivery through the real path.

``deliver`` stores raw bytes with ``store_raw`` and runs the after-commit hooks, so processing
happens exactly as in production: the queued ``process_inbound_task`` (inline in tests) and the
events it publishes.
"""

from collections.abc import Callable
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from django.test import TestCase
from django.utils import timezone

from zabota.channels.email.constants import Source
from zabota.channels.email.inbound import store_raw
from zabota.channels.email.models import InboundEmail, Mailbox, OutboundEmail
from zabota.tickets.actions import do_add_reply

SUPPORT = "support@store.example"


def mail(
    *,
    sender: str = "maria@example.pl",
    sender_name: str = "Maria Kowalska",
    to: str = SUPPORT,
    cc: str = "",
    subject: str = "Where is my parcel?",
    body: str = "Hello, my parcel has not arrived yet.",
    message_id: str | None = None,
    in_reply_to: str = "",
    references: str = "",
    headers: dict[str, str] | None = None,
    attachments: list[tuple[str, str, bytes]] = (),  # type: ignore[assignment]
) -> bytes:
    """An RFC 5322 message as a mail client would send it."""
    message = EmailMessage()
    message["From"] = f"{sender_name} <{sender}>" if sender_name else sender
    message["To"] = to
    if cc:
        message["Cc"] = cc
    message["Subject"] = subject
    message["Date"] = format_datetime(timezone.now())
    message["Message-ID"] = message_id or make_msgid(domain="client.example")
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = references
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    for filename, content_type, data in attachments:
        maintype, _slash, subtype = content_type.partition("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes()


def message_id_of(raw: bytes) -> str:
    """The Message-ID of an authored mail, with angle brackets, for In-Reply-To/References."""
    for line in raw.splitlines():
        if line.lower().startswith(b"message-id:"):
            return line.split(b":", 1)[1].strip().decode()
    raise AssertionError("no Message-ID")


def deliver(
    raw: bytes,
    *,
    source: str = Source.PIPE,
    mailbox: Mailbox | None = None,
    envelope_recipient: str = "",
) -> InboundEmail:
    """Store ``raw`` and run what commit triggers (processing, events); the row afterwards."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        inbound, _created = store_raw(
            raw, source=source, mailbox=mailbox, envelope_recipient=envelope_recipient
        )
    inbound.refresh_from_db()
    return inbound


class SmtpSink:
    """An SMTP server on a loopback port (aiosmtpd) that keeps every mail it receives."""

    def __init__(self) -> None:
        self.received: list[bytes] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.received.append(envelope.original_content or envelope.content)
        return "250 Message accepted"


def agent_reply(ticket, agent, text: str = "We are on it.") -> OutboundEmail:
    """An agent's reply through the real action; the e-mail listener composes and sends it."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        message = do_add_reply(ticket, body_text=text, actor=agent)
    return OutboundEmail.objects.get(message=message)


def poison_ticket_creation(monkeypatch, subject: str) -> Callable[[], None]:
    """Make opening the ticket of the mail with ``subject`` raise, whichever way it is opened:
    alone (``process``) or with the rest of its batch (``batch``). Returns the undo."""
    from zabota.channels.email import batch, process

    single, bulk = process.do_create_ticket, batch.do_create_tickets

    def create_one(**kwargs):
        if kwargs["subject"] == subject:
            raise RuntimeError("constraint went wrong")
        return single(**kwargs)

    def create_many(new, **kwargs):
        if any(item.subject == subject for item in new):
            raise RuntimeError("constraint went wrong")
        return bulk(new, **kwargs)

    monkeypatch.setattr(process, "do_create_ticket", create_one)
    monkeypatch.setattr(batch, "do_create_tickets", create_many)

    def restore() -> None:
        monkeypatch.setattr(process, "do_create_ticket", single)
        monkeypatch.setattr(batch, "do_create_tickets", bulk)

    return restore
