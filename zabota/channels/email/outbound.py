"""Agent replies and acknowledgements leave as e-mail: composed once, stored, sent by a task.

Listeners (imported by ``EmailConfig.ready``):
- ``message.sent`` of an e-mail message → the reply composed into one ``OutboundEmail`` (however
  often the event is delivered) and queued for ``smtp.deliver``;
- ``ticket.created`` of a ticket a customer opened by mail → an acknowledgement with the ticket
  number, when the mailbox asks for one, the mail was not itself automatic, and the sender got no
  acknowledgement within the last hour (an auto-responder cannot keep a conversation going).
"""

import logging
import re
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zabota.accounts.models import User
from zabota.channels.email import tokens
from zabota.channels.email.compose import (
    Composed,
    address_of,
    compose_acknowledgement,
    compose_reply,
    last_inbound_email,
)
from zabota.channels.email.constants import OutboundKind, OutboundStatus
from zabota.channels.email.mailboxes import is_own_address, own_addresses
from zabota.channels.email.models import Mailbox, OutboundEmail
from zabota.core import event_types
from zabota.core.events import batch_listener, listener
from zabota.tickets.constants import Channel, MessageKind
from zabota.tickets.models import Message, Ticket

logger = logging.getLogger(__name__)

# At most one acknowledgement per sender in this time: a peer that opens ticket after ticket
# (an auto-responder without RFC 3834 headers, a misconfigured form) gets one, not one each.
ACKNOWLEDGEMENT_INTERVAL = timedelta(hours=1)
# Local parts of addresses that belong to machines; they are never acknowledged.
_MACHINE_SENDER = re.compile(
    r"^(mailer-daemon|postmaster|no-?reply|do-?not-?reply|bounces?|auto-?reply)([+._-].*)?$"
)


class DeliveryErrorCode(models.TextChoices):
    # No e-mail of that message in a ticket the actor can see (shown as 404).
    NOT_FOUND = "not_found", _("Not found.")
    # Sent, queued or retrying on its own: only a failed mail is sent again by hand (a retrying
    # one may be in the middle of an attempt, and another would duplicate it).
    NOT_RETRIABLE = "not_retriable", _("Only an e-mail that failed can be sent again.")
    NO_RECIPIENT = "no_recipient", _("The customer has no e-mail address to send to.")


class DeliveryError(Exception):
    """A refused delivery operation with a stable code and a human message."""

    def __init__(self, code: DeliveryErrorCode) -> None:
        self.code = code
        super().__init__(self.message)

    @property
    def message(self) -> str:
        return str(self.code.label)


def _matches(mailbox: Mailbox, addresses: list[str]) -> bool:
    own = set(mailbox.all_addresses)
    return any(tokens.base_address(address) in own for address in addresses)


def sending_mailbox(ticket: Ticket) -> Mailbox | None:
    """The active SMTP mailbox of the ticket's store that the customer wrote to; without a
    match (a ticket opened by an agent, a mail routed by the catch-all) the store's first one."""
    candidates = list(
        Mailbox.objects.filter(
            store_id=ticket.store_id, is_active=True, smtp_enabled=True
        ).order_by("pk")
    )
    if not candidates:
        return None
    latest = last_inbound_email(ticket)
    if latest is not None:
        meta = latest.channel_meta
        inbound_id = meta.get("inbound_id")
        if inbound_id:
            came_to = set(
                Mailbox.objects.filter(inbound__pk=inbound_id).values_list("pk", flat=True)
            )
            for mailbox in candidates:
                if mailbox.pk in came_to:
                    return mailbox
        written_to = [str(a) for a in [*meta.get("to", []), *meta.get("cc", [])] if a]
        for mailbox in candidates:
            if _matches(mailbox, [address_of(a) for a in written_to]):
                return mailbox
    return candidates[0]


def is_machine_address(address: str) -> bool:
    return bool(_MACHINE_SENDER.match(address.partition("@")[0].casefold()))


def enqueue_delivery(outbound_id: int) -> None:
    """Queue the send; if the queue is unreachable, the worker's sweep finds the row later."""
    from zabota.channels.email.tasks import send_outbound_task

    try:
        send_outbound_task.enqueue(outbound_id)
    except Exception:
        logger.exception("Could not enqueue delivery of outbound e-mail %s", outbound_id)


def _store(
    composed: Composed,
    *,
    mailbox: Mailbox,
    ticket: Ticket,
    message: Message | None,
    kind: str,
) -> OutboundEmail:
    """Save the composed mail and queue it after commit; without a recipient it fails at once
    (the ticket page says why, and "Retry" composes again once the customer has an address)."""
    outbound = OutboundEmail.objects.create(
        mailbox=mailbox,
        ticket=ticket,
        message=message,
        kind=kind,
        to_address=composed.to_address,
        subject=composed.subject[:300],
        message_id_header=composed.message_id,
        in_reply_to=composed.in_reply_to,
        references=" ".join(composed.references),
        raw=composed.raw,
        status=OutboundStatus.QUEUED if composed.to_address else OutboundStatus.FAILED,
    )
    if outbound.status == OutboundStatus.QUEUED:
        transaction.on_commit(lambda: enqueue_delivery(outbound.pk))
    return outbound


def do_queue_reply(message: Message, mailbox: Mailbox) -> OutboundEmail:
    """Compose the agent's reply and queue it; a message is e-mailed once, however often this
    runs (the outbound row is unique per message)."""
    existing = OutboundEmail.objects.filter(message=message).first()
    if existing is not None:
        return existing
    composed = compose_reply(message, mailbox)
    try:
        with transaction.atomic():
            return _store(
                composed,
                mailbox=mailbox,
                ticket=message.ticket,
                message=message,
                kind=OutboundKind.REPLY,
            )
    except IntegrityError:
        # The same event handled twice at the same moment: the other one stored it.
        return OutboundEmail.objects.get(message=message)


def do_queue_acknowledgement(
    ticket: Ticket, mailbox: Mailbox, *, to_address: str, in_reply_to: str
) -> OutboundEmail | None:
    """Queue "we received your message, #N" unless this ticket or this sender already got one
    (the sender: within ``ACKNOWLEDGEMENT_INTERVAL``). Returns None when nothing was queued."""
    with transaction.atomic():
        # Serialise acknowledgements of a mailbox: two tickets opened at the same moment by one
        # sender must not both pass the check below.
        Mailbox.objects.select_for_update().filter(pk=mailbox.pk).first()
        acknowledged = OutboundEmail.objects.filter(kind=OutboundKind.ACKNOWLEDGEMENT)
        if acknowledged.filter(ticket=ticket).exists():
            return None
        since = timezone.now() - ACKNOWLEDGEMENT_INTERVAL
        if acknowledged.filter(to_address=to_address, created_at__gte=since).exists():
            logger.info(
                "Not acknowledging ticket %s: %s was acknowledged lately", ticket.pk, to_address
            )
            return None
        composed = compose_acknowledgement(
            ticket, mailbox, to_address=to_address, in_reply_to=in_reply_to
        )
        return _store(
            composed,
            mailbox=mailbox,
            ticket=ticket,
            message=None,
            kind=OutboundKind.ACKNOWLEDGEMENT,
        )


@listener(event_types.MESSAGE_SENT)
def send_reply_by_email(event_type: str, payload: dict[str, Any]) -> None:
    message = (
        Message.objects.select_related("ticket__store", "ticket__customer", "author_user")
        .filter(pk=payload["message_id"])
        .first()
    )
    if message is None or message.kind != MessageKind.AGENT or message.channel != Channel.EMAIL:
        return
    mailbox = sending_mailbox(message.ticket)
    if mailbox is None:
        logger.warning(
            "Reply %s not e-mailed: store %s has no active mailbox that sends by SMTP",
            message.pk,
            message.ticket.store_id,
        )
        return
    do_queue_reply(message, mailbox)


@batch_listener(event_types.TICKET_CREATED)
def acknowledge_new_ticket(event_type: str, payloads: list[dict[str, Any]]) -> None:
    """Acknowledge the new tickets customers opened by e-mail, if their mailbox says so. One
    query skips the tickets of stores none of whose sending mailboxes acknowledges (the usual
    case), whichever mailbox would answer them."""
    opened_by_customers = [p for p in payloads if p.get("actor_id") is None]
    stores = {p["store_id"] for p in opened_by_customers if p.get("store_id") is not None}
    acknowledging = set(
        Mailbox.objects.filter(
            store_id__in=stores,
            is_active=True,
            smtp_enabled=True,
            send_acknowledgement=True,
        ).values_list("store_id", flat=True)
    )
    for payload in opened_by_customers:
        if payload.get("store_id") is None or payload["store_id"] in acknowledging:
            _acknowledge(payload)


def _acknowledge(payload: dict[str, Any]) -> None:
    ticket = (
        Ticket.objects.select_related("store", "customer").filter(pk=payload["ticket_id"]).first()
    )
    if ticket is None or ticket.channel != Channel.EMAIL:
        return
    first = ticket.messages.order_by("created_at", "id").first()
    if first is None or first.kind != MessageKind.CUSTOMER or first.channel != Channel.EMAIL:
        return
    if first.channel_meta.get("auto"):
        return
    mailbox = sending_mailbox(ticket)
    if mailbox is None or not mailbox.send_acknowledgement:
        return
    to_address = address_of(first.channel_meta.get("from"))
    if not to_address or is_machine_address(to_address):
        return
    if is_own_address(to_address, own_addresses()):
        return  # our own mail coming back: acknowledging it would loop with ourselves
    in_reply_to = str(first.channel_meta.get("message_id") or first.external_id).strip("<>")
    do_queue_acknowledgement(ticket, mailbox, to_address=to_address, in_reply_to=in_reply_to)


def check_retry_delivery(ticket: Ticket, *, message_id: int, actor: User) -> OutboundEmail:
    """An agent asks to send a failed reply of a ticket they see again.

    The caller authorised ``ticket`` (``tickets.access``); the message must belong to it."""
    outbound = (
        OutboundEmail.objects.select_related("mailbox", "message__ticket")
        .filter(message_id=message_id, message__ticket=ticket)
        .first()
    )
    if outbound is None:
        raise DeliveryError(DeliveryErrorCode.NOT_FOUND)
    if outbound.status != OutboundStatus.FAILED:
        raise DeliveryError(DeliveryErrorCode.NOT_RETRIABLE)
    return do_retry_delivery(outbound, actor=actor)


def do_retry_delivery(outbound: OutboundEmail, *, actor: User | None) -> OutboundEmail:
    """Queue a failed mail for an attempt now, with a fresh series of retries.

    A reply that failed for lack of a recipient is composed again first (the customer may have
    an address by now)."""
    with transaction.atomic():
        outbound = OutboundEmail.objects.select_for_update().get(pk=outbound.pk)
        if outbound.status != OutboundStatus.FAILED:
            raise DeliveryError(DeliveryErrorCode.NOT_RETRIABLE)
        if not outbound.to_address and outbound.message is not None:
            composed = compose_reply(outbound.message, outbound.mailbox)
            if not composed.to_address:
                raise DeliveryError(DeliveryErrorCode.NO_RECIPIENT)
            outbound.to_address = composed.to_address
            outbound.subject = composed.subject[:300]
            outbound.message_id_header = composed.message_id
            outbound.in_reply_to = composed.in_reply_to
            outbound.references = " ".join(composed.references)
            outbound.raw = composed.raw
        outbound.status = OutboundStatus.QUEUED
        outbound.attempts = 0
        outbound.next_attempt_at = None
        outbound.save()
        logger.info(
            "Outbound e-mail %s queued again by %s",
            outbound.pk,
            actor.pk if actor is not None else "the system",
        )
        transaction.on_commit(lambda: enqueue_delivery(outbound.pk))
    return outbound
