"""Routing reacts to events: new tickets are routed, solved or closed ones free slots.

Batch listeners: the events of a dispatch drain each group concerned once."""

from typing import Any

from zabota.accounts.models import Group
from zabota.core import event_types
from zabota.core.events import batch_listener
from zabota.routing.actions import do_drain_queue, routed_groups
from zabota.tickets.constants import Status
from zabota.tickets.models import Ticket


@batch_listener(event_types.TICKET_CREATED)
def route_new_tickets(event_type: str, payloads: list[dict[str, Any]]) -> None:
    """Only unassigned tickets in groups with automatic routing; a drain serves the oldest
    queued tickets first, so a new ticket does not overtake those waiting."""
    group_ids = Ticket.objects.filter(
        pk__in={p["ticket_id"] for p in payloads}, assignee__isnull=True, group__isnull=False
    ).values_list("group_id", flat=True)
    for group in routed_groups().filter(pk__in=set(group_ids)).order_by("pk"):
        do_drain_queue(group)


@batch_listener(event_types.TICKET_STATUS_CHANGED)
def refill_after_solutions(event_type: str, payloads: list[dict[str, Any]]) -> None:
    """A freed slot may serve any routed group of the assignee, or the ticket's own group when
    the assignee (a personal manager) is not one of its members."""
    solved = {p["ticket_id"] for p in payloads if p.get("new") in (Status.SOLVED, Status.CLOSED)}
    if not solved:
        return
    rows = list(
        Ticket.objects.filter(pk__in=solved, assignee__isnull=False).values_list(
            "assignee_id", "group_id"
        )
    )
    if not rows:
        return
    assignees = {assignee for assignee, _ in rows}
    members = set(
        Group.members.through.objects.filter(user_id__in=assignees).values_list(
            "user_id", "group_id"
        )
    )
    wanted = {group for _, group in members}
    wanted |= {group for assignee, group in rows if group and (assignee, group) not in members}
    # A routed group of one assignee is drained once, however many of its tickets were solved.
    for group in routed_groups().filter(pk__in=wanted).order_by("pk"):
        do_drain_queue(group)
