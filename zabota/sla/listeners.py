"""Ticket events move SLA clocks. Times come from the rows (the ticket's creation, the
message's) or from the event itself, so a late dispatch computes the same due times.

Batch listeners: the events of a dispatch are handled together, their clocks locked and
their calendars read once."""

from datetime import datetime
from typing import Any

from django.utils import timezone

from zabota.core import event_types
from zabota.core.events import batch_listener, current_batch
from zabota.sla import actions
from zabota.sla.models import SlaPolicy
from zabota.tickets.constants import ACTIVE_STATUSES
from zabota.tickets.models import Message, Ticket


def _event_times(payloads: list[dict[str, Any]]) -> list[datetime]:
    """When each event happened: its outbox row's time (now outside a dispatch)."""
    events = current_batch()
    if len(events) == len(payloads):
        return [event.created_at for event in events]
    return [timezone.now()] * len(payloads)


def _message_times(payloads: list[dict[str, Any]]) -> list[datetime]:
    sent = dict(
        Message.objects.filter(pk__in={p["message_id"] for p in payloads}).values_list(
            "pk", "created_at"
        )
    )
    return [
        sent.get(payload["message_id"], fallback)
        for payload, fallback in zip(payloads, _event_times(payloads), strict=True)
    ]


@batch_listener(event_types.TICKET_CREATED)
def start_clocks(event_type: str, payloads: list[dict[str, Any]]) -> None:
    ids = {payload["ticket_id"] for payload in payloads}
    created = Ticket.objects.filter(pk__in=ids).values_list("pk", "created_at")
    actions.do_start_slas(sorted(created))


@batch_listener(event_types.MESSAGE_SENT)
def record_replies(event_type: str, payloads: list[dict[str, Any]]) -> None:
    actions.do_record_replies(
        [
            (payload["ticket_id"], at)
            for payload, at in zip(payloads, _message_times(payloads), strict=True)
        ]
    )


@batch_listener(event_types.MESSAGE_RECEIVED)
def record_customer_messages(event_type: str, payloads: list[dict[str, Any]]) -> None:
    actions.do_record_customer_messages(
        [
            (payload["ticket_id"], at)
            for payload, at in zip(payloads, _message_times(payloads), strict=True)
        ]
    )


@batch_listener(event_types.TICKET_STATUS_CHANGED)
def record_statuses(event_type: str, payloads: list[dict[str, Any]]) -> None:
    actions.do_record_statuses(
        [
            (payload["ticket_id"], payload["new"], at)
            for payload, at in zip(payloads, _event_times(payloads), strict=True)
        ]
    )


@batch_listener(event_types.TICKET_PRIORITY_CHANGED, event_types.TICKET_UPDATED)
def rechoose_for_tickets(event_type: str, payloads: list[dict[str, Any]]) -> None:
    """A new priority or another customer may call for another policy."""
    if event_type == event_types.TICKET_UPDATED:
        payloads = [p for p in payloads if "customer" in p.get("fields", [])]
    if payloads:
        actions.do_rechoose_policies([p["ticket_id"] for p in payloads])


@batch_listener(event_types.CUSTOMER_SEGMENT_CHANGED)
def rechoose_for_customers(event_type: str, payloads: list[dict[str, Any]]) -> None:
    """A customer became VIP (or stopped being one): their active tickets in that store. A
    change of segments no active policy of the store looks at (conditions or factors) cannot
    change a policy, and is passed over."""
    watched: dict[int, set[str]] = {}
    for store_id, segments, factors in SlaPolicy.objects.filter(
        store_id__in={p.get("store_id") for p in payloads}, is_active=True
    ).values_list("store_id", "segments", "segment_factors"):
        watched.setdefault(store_id, set()).update(segments or [], (factors or {}).keys())
    wanted = {
        (p["store_id"], p["customer_id"])
        for p in payloads
        if p.get("store_id") in watched
        and (
            "added" not in p
            or watched[p["store_id"]] & {*p.get("added", []), *p.get("removed", [])}
        )
    }
    if not wanted:
        return
    candidates = Ticket.objects.filter(
        store_id__in={store for store, _ in wanted},
        customer_id__in={customer for _, customer in wanted},
        status__in=ACTIVE_STATUSES,
    ).values_list("pk", "store_id", "customer_id")
    ids = [pk for pk, store, customer in candidates if (store, customer) in wanted]
    if ids:
        actions.do_rechoose_policies(ids)
