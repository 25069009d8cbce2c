"""Surveys react to events: after a solution the customer confirmed, after a delivery, after a
cancellation. Each listener is idempotent — ``do_invite`` keeps one invitation per (survey,
dedupe key) — so an event delivered twice sends nothing more.

Only a solution confirmed by the customer (their "yes" link or their reply) asks about the
solution: one solved by the timeout or by an agent on their behalf says nothing about whether
the customer is satisfied, and surveying them then feels like spam."""

from datetime import timedelta
from typing import Any

from zabota.commerce.constants import ShipmentStatus
from zabota.commerce.models import Order, Shipment
from zabota.core import event_types
from zabota.core.events import batch_listener
from zabota.surveys.constants import Purpose, SurveyChannel, Trigger
from zabota.surveys.invitations import do_invite
from zabota.surveys.models import Survey
from zabota.surveys.store_settings import settings_for
from zabota.tickets.constants import Status
from zabota.tickets.models import Ticket

# The reasons of TICKET_STATUS_CHANGED that mean "the customer confirmed the solution".
CONFIRMED_BY_CUSTOMER = frozenset({"customer_link", "reply"})


def active_survey(store_id: int, purpose: str) -> Survey | None:
    """The store's active survey for this purpose (the oldest, if several are active)."""
    return (
        Survey.objects.select_related("store")
        .filter(store_id=store_id, purpose=purpose, is_active=True)
        .order_by("created_at", "pk")
        .first()
    )


@batch_listener(event_types.TICKET_STATUS_CHANGED)
def survey_confirmed_solutions(event_type: str, payloads: list[dict[str, Any]]) -> None:
    ids = [
        payload["ticket_id"]
        for payload in payloads
        if payload.get("new") == Status.SOLVED and payload.get("reason") in CONFIRMED_BY_CUSTOMER
    ]
    if not ids:
        return
    tickets = Ticket.objects.select_related("store", "customer").filter(pk__in=ids)
    for ticket in tickets.order_by("pk"):
        survey = active_survey(ticket.store_id, Purpose.POST_RESOLUTION)
        if survey is None:
            continue
        do_invite(
            survey,
            customer=ticket.customer,
            trigger=Trigger.SOLVED,
            dedupe_key=f"ticket:{ticket.pk}:solved",
            ticket=ticket,
        )


@batch_listener(event_types.SHIPMENT_UPDATED)
def survey_deliveries(event_type: str, payloads: list[dict[str, Any]]) -> None:
    """The delivery survey goes ``after_delivery_days`` after the delivery (the carrier's time,
    else now); a late report whose day has already passed sends it at once. One per order,
    however many parcels it had."""
    delivered = [p for p in payloads if p.get("status") == ShipmentStatus.DELIVERED]
    if not delivered:
        return
    shipments = Shipment.objects.select_related("order__store", "order__customer").filter(
        pk__in=[p["shipment_id"] for p in delivered], status=ShipmentStatus.DELIVERED
    )
    for shipment in shipments.order_by("pk"):
        order = shipment.order
        if order.customer is None or order.deleted_at is not None:
            continue
        survey = active_survey(order.store_id, Purpose.AFTER_DELIVERY)
        if survey is None:
            continue
        days = settings_for(order.store).after_delivery_days
        delivered_at = shipment.delivered_at or shipment.updated_at
        do_invite(
            survey,
            customer=order.customer,
            trigger=Trigger.DELIVERED,
            dedupe_key=f"order:{order.pk}:delivered",
            order=order,
            send_after=delivered_at + timedelta(days=days),
        )


@batch_listener(event_types.ORDER_CANCELLED)
def survey_cancellations(event_type: str, payloads: list[dict[str, Any]]) -> None:
    """The exit survey, mailed as an exit link. Trigger "rule": the trigger choices have no
    "cancelled" yet (it would need a migration of the foundation)."""
    orders = Order.objects.select_related("store", "customer").filter(
        pk__in=[payload["order_id"] for payload in payloads]
    )
    for order in orders.order_by("pk"):
        if order.customer is None:
            continue
        survey = active_survey(order.store_id, Purpose.EXIT)
        if survey is None:
            continue
        do_invite(
            survey,
            customer=order.customer,
            trigger=Trigger.CANCELLED,
            dedupe_key=f"order:{order.pk}:cancelled",
            order=order,
            channel=SurveyChannel.EXIT,
        )
