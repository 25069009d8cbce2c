"""Built-in notifications: a ticket assigned to an agent by someone else, and SLA warnings and
breaches. Keyed by the outbox event, so an event delivered twice notifies once."""

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zabota.accounts.models import User
from zabota.core import event_types
from zabota.core.events import current_event, listener
from zabota.notifications.actions import do_notify
from zabota.notifications.constants import Kind
from zabota.tickets.constants import EventKind
from zabota.tickets.models import Ticket, TicketEvent

SLA_TARGET_LABELS = {
    "first_reply": gettext_lazy("first reply"),
    "next_reply": gettext_lazy("next reply"),
    "resolution": gettext_lazy("resolution"),
}


def _event_key(event_type: str, payload: dict[str, Any]) -> str:
    """The dispatched outbox row's id; outside a dispatch (a replay by hand) the payload."""
    event = current_event()
    if event is not None:
        return f"event:{event.pk}"
    return f"{event_type}:" + ",".join(f"{k}={payload[k]}" for k in sorted(payload))


def _ticket_label(ticket: Ticket) -> str:
    return f"#{ticket.number} {ticket.subject}"


@listener(event_types.TICKET_ASSIGNED)
def notify_assignee(event_type: str, payload: dict[str, Any]) -> None:
    """The new assignee, unless they took the ticket themselves."""
    assignee_id = payload.get("assignee_id")
    if not assignee_id or assignee_id == payload.get("actor_id"):
        return
    ticket = Ticket.objects.filter(pk=payload["ticket_id"]).first()
    assignee = User.objects.filter(pk=assignee_id, is_active=True).first()
    if ticket is None or assignee is None or ticket.assignee_id != assignee.pk:
        return  # reassigned again meanwhile: that assignment notifies its own assignee
    actor = User.objects.filter(pk=payload.get("actor_id") or 0).first()
    if actor is not None:
        label = str(actor)
    else:
        # Routing or a rule: their name is on the timeline row of the assignment.
        label = (
            TicketEvent.objects.filter(ticket=ticket, kind=EventKind.ASSIGNED)
            .order_by("-version")
            .values_list("actor_label", flat=True)
            .first()
            or ""
        )
    do_notify(
        [assignee],
        ticket=ticket,
        kind=Kind.ASSIGNED,
        title=_("Ticket %(ticket)s was assigned to you") % {"ticket": _ticket_label(ticket)},
        body=_("Assigned by %s.") % label if label else "",
        actor_label=label,
        dedupe_key=_event_key(event_type, payload),
    )


@listener(event_types.SLA_WARNING, event_types.SLA_BREACHED)
def notify_sla(event_type: str, payload: dict[str, Any]) -> None:
    """The assignee, or the lead of the ticket's group while nobody is assigned."""
    ticket = (
        Ticket.objects.filter(pk=payload["ticket_id"]).select_related("assignee", "group").first()
    )
    if ticket is None:
        return
    recipient = ticket.assignee or (ticket.group.lead if ticket.group else None)
    if recipient is None:
        return
    targets = ", ".join(
        str(SLA_TARGET_LABELS.get(target, target)) for target in payload.get("targets", [])
    )
    breached = event_type == event_types.SLA_BREACHED
    values = {"ticket": _ticket_label(ticket), "targets": targets}
    title = (
        _("SLA breached: %(targets)s — %(ticket)s") % values
        if breached
        else _("SLA due soon: %(targets)s — %(ticket)s") % values
    )
    body = (
        _("The ticket missed its %(targets)s target.") % values
        if breached
        else _("The ticket's %(targets)s target is close to due.") % values
    )
    do_notify(
        [recipient],
        ticket=ticket,
        kind=Kind.SLA_BREACHED if breached else Kind.SLA_WARNING,
        title=title,
        body=body,
        actor_label="SLA",
        dedupe_key=_event_key(event_type, payload),
    )
