"""Ticket events move SLA clocks. Times come from the rows (the ticket's creation, the
message's) or from the event itself, so a late dispatch computes the same due times."""

from datetime import datetime
from typing import Any

from django.utils import timezone

from zabota.core import event_types
from zabota.core.events import current_event, listener
from zabota.sla import actions
from zabota.tickets.models import Message, Ticket


def _event_time() -> datetime:
    event = current_event()
    return event.created_at if event is not None else timezone.now()


@listener(event_types.TICKET_CREATED)
def start_clock(event_type: str, payload: dict[str, Any]) -> None:
    created_at = (
        Ticket.objects.filter(pk=payload["ticket_id"]).values_list("created_at", flat=True).first()
    )
    if created_at is not None:
        actions.do_start_sla(payload["ticket_id"], at=created_at)


def _message_time(payload: dict[str, Any]) -> datetime:
    sent = Message.objects.filter(pk=payload["message_id"]).values_list("created_at", flat=True)
    return sent.first() or _event_time()


@listener(event_types.MESSAGE_SENT)
def record_reply(event_type: str, payload: dict[str, Any]) -> None:
    actions.do_record_reply(payload["ticket_id"], at=_message_time(payload))


@listener(event_types.MESSAGE_RECEIVED)
def record_customer_message(event_type: str, payload: dict[str, Any]) -> None:
    actions.do_record_customer_message(payload["ticket_id"], at=_message_time(payload))


@listener(event_types.TICKET_STATUS_CHANGED)
def record_status(event_type: str, payload: dict[str, Any]) -> None:
    actions.do_record_status(payload["ticket_id"], status=payload["new"], at=_event_time())
