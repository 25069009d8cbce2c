"""Routing reacts to events: a new ticket is routed, a solved or closed one frees a slot."""

from typing import Any

from zabota.core import event_types
from zabota.core.events import listener
from zabota.routing.actions import do_drain_queue, drain_groups_of
from zabota.routing.constants import Strategy
from zabota.tickets.constants import Status
from zabota.tickets.models import Ticket


@listener(event_types.TICKET_CREATED)
def route_new_ticket(event_type: str, payload: dict[str, Any]) -> None:
    """Only an unassigned ticket in a group with automatic routing; a drain serves the oldest
    queued tickets first, so a new ticket does not overtake those waiting."""
    ticket = Ticket.objects.filter(pk=payload["ticket_id"]).select_related("group__routing").first()
    if ticket is None or ticket.assignee_id is not None or ticket.group is None:
        return
    routing = getattr(ticket.group, "routing", None)
    if routing is None or routing.strategy == Strategy.MANUAL:
        return
    do_drain_queue(ticket.group)


@listener(event_types.TICKET_STATUS_CHANGED)
def refill_after_solution(event_type: str, payload: dict[str, Any]) -> None:
    if payload.get("new") not in (Status.SOLVED, Status.CLOSED):
        return
    """The freed slot may serve any routed group of the assignee, or the ticket's own group
    when the assignee (a personal manager) is not one of its members."""
    ticket = (
        Ticket.objects.filter(pk=payload["ticket_id"]).select_related("assignee", "group").first()
    )
    if ticket is None or ticket.assignee is None:
        return
    drain_groups_of(ticket.assignee)
    group = ticket.group
    if group is not None and not group.members.filter(pk=ticket.assignee.pk).exists():
        do_drain_queue(group)
