"""The ticket page: one conversation, its controls, who else is looking, and the sidebar.

Every endpoint authorises through ``tickets.access`` (a ticket the agent may not see is a 404)
and makes one call into the ticket domain. htmx requests get partials back; plain form posts
are redirected to the page, so the page also works without JavaScript (minus presence).
The reply box is in ``ticket_reply``, the header and sidebar controls in ``ticket_controls``.
"""

from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language_info, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from zabota.accounts.models import User
from zabota.commerce.queries import customer_summary
from zabota.tickets import access, queries
from zabota.tickets.actions import do_leave_ticket, do_touch_viewer
from zabota.tickets.constants import Priority, Status
from zabota.tickets.error_codes import TicketError
from zabota.tickets.models import Ticket
from zabota.web.forms_tickets import PresenceForm, ReplyForm
from zabota.web.views.ticket_timeline import describe_event, present_timeline

# Header status menu: (status, label); "solved" is reached only through the customer.
STATUS_ACTIONS = (
    (Status.OPEN, gettext_lazy("Open")),
    (Status.PENDING, gettext_lazy("Pending")),
    (Status.AWAITING_CONFIRMATION, gettext_lazy("Propose solution")),
    (Status.CLOSED, gettext_lazy("Closed")),
)
OTHER_TICKETS_SHOWN = 8


def agent(request: HttpRequest) -> User:
    """The signed-in agent (every view here is behind ``login_required``)."""
    return cast(User, request.user)


def ticket_or_404(request: HttpRequest, ticket_id: int) -> Ticket:
    try:
        return access.access_ticket_by_id(agent(request), ticket_id)
    except TicketError as exc:
        raise Http404(exc.message) from exc


def assign_options(pickers: queries.TicketPickers, ticket: Ticket) -> list[dict[str, Any]]:
    """The assignment picker: per group of the ticket's store the agent may assign to, "nobody
    in particular" and each of its agents; values are "<group id>:<agent id>"."""
    current = f"{ticket.group_id or ''}:{ticket.assignee_id or ''}"
    optgroups: list[dict[str, Any]] = []
    for group in pickers.assign_groups:
        choices = [(f"{group.pk}:", _("%(group)s — anyone") % {"group": group.name})]
        choices += [(f"{group.pk}:{person.pk}", person.name) for person in group.agents]
        optgroups.append(
            {"label": group.name, "choices": [(v, label, v == current) for v, label in choices]}
        )
    if not any(selected for g in optgroups for _v, _l, selected in g["choices"]):
        label = str(ticket.assignee) if ticket.assignee else _("Unassigned")
        optgroups.insert(0, {"label": "", "choices": [(current, label, True)]})
    return optgroups


def language_name(code: str) -> str:
    try:
        return str(get_language_info(code)["name_translated"]) if code else ""
    except KeyError:
        return code


def panels_context(request: HttpRequest, ticket: Ticket) -> dict[str, Any]:
    """Everything the header, timeline and sidebar show; the number of queries does not grow
    with the length of the conversation."""
    user = agent(request)
    pickers = queries.ticket_pickers(user, ticket.store_id)
    may_close = access.can_force_close(user) or ticket.status == Status.SOLVED
    status_actions = [
        (value, label)
        for value, label in STATUS_ACTIONS
        if value != ticket.status and (value != Status.CLOSED or may_close)
    ]
    return {
        "ticket": ticket,
        "timeline": present_timeline(ticket, queries.timeline(ticket)),
        "identities": sorted(ticket.customer.identities.all(), key=lambda i: (i.kind, i.value)),
        "other_tickets": queries.customer_tickets(
            user, ticket.customer_id, exclude_id=ticket.pk, limit=OTHER_TICKETS_SHOWN
        ),
        "ticket_tags": queries.tags_by_ticket([ticket.pk])[ticket.pk],
        "known_tags": pickers.tag_names,
        "assign_groups": assign_options(pickers, ticket),
        "customer_language": language_name(ticket.customer.language),
        "status_actions": status_actions,
        "priorities": Priority.choices,
        "is_merged": ticket.merged_into_id is not None,
        # The customer in the ticket's store: figures, segment badges, last orders.
        "summary": customer_summary(ticket.store, ticket.customer_id),
    }


def reply_context(
    request: HttpRequest, ticket: Ticket, form: ReplyForm | None = None
) -> dict[str, Any]:
    pickers = queries.ticket_pickers(agent(request), ticket.store_id)
    return {
        "reply_form": form or ReplyForm(initial={"seen_version": ticket.version}),
        "macros": pickers.macros,
        "max_attachment_bytes": settings.ZABOTA_MAX_ATTACHMENT_BYTES,
    }


def panels_response(
    request: HttpRequest, ticket_id: int, *, error: str = "", advance_version: bool = True
) -> HttpResponse:
    """After a change: htmx gets the header, timeline and sidebar swapped out of band, plus the
    version the reply form now acknowledges; a plain form post goes back to the page."""
    ticket = ticket_or_404(request, ticket_id)
    if not request.htmx:  # type: ignore[attr-defined]
        if error:
            messages.error(request, error)
        return redirect("web:ticket", ticket.pk)
    context = {**panels_context(request, ticket), "error": error, "advance": advance_version}
    return render(request, "web/tickets/_panels.html", context)


def change_lines(ticket: Ticket, seen_version: int | None) -> list[str]:
    if seen_version is None:
        return []
    return [describe_event(event, ticket) for event in queries.changes_since(ticket, seen_version)]


@login_required
@require_GET
def ticket_page(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = ticket_or_404(request, ticket_id)
    context = {**panels_context(request, ticket), **reply_context(request, ticket)}
    return render(request, "web/tickets/ticket.html", context)


@login_required
@require_GET
def refresh(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """The banner's "show changes": header, timeline and sidebar brought up to date, draft kept."""
    return panels_response(request, ticket_id)


@login_required
@require_POST
def presence(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """Polled by the open page: mark the agent as viewing (and typing), list the others, and say
    whether the ticket changed since the version on screen."""
    ticket = ticket_or_404(request, ticket_id)
    form = PresenceForm(request.POST)
    form.is_valid()
    data = form.cleaned_data
    do_touch_viewer(ticket, user=agent(request), typing=bool(data.get("typing")))
    seen_version = data.get("seen_version")
    context = {
        "ticket": ticket,
        "viewers": queries.other_viewers(ticket, agent(request)),
        "updated": seen_version is not None and ticket.version > seen_version,
    }
    return render(request, "web/tickets/_presence.html", context)


@login_required
@require_POST
def leave(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """Sent with ``navigator.sendBeacon`` when the page is closed: nobody waits for the answer."""
    ticket = ticket_or_404(request, ticket_id)
    do_leave_ticket(ticket, user=agent(request))
    return HttpResponse(status=204)
