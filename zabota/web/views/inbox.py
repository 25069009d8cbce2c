"""The inbox: views, filters, sort, keyset pagination ("Load more") and bulk changes."""

from collections.abc import Callable
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from zabota.accounts.models import User
from zabota.commerce.constants import Segment
from zabota.commerce.queries import SEGMENT_ORDER, segments_by_ticket
from zabota.tickets.access import access_agent_by_id, access_tickets_by_ids
from zabota.tickets.actions import (
    check_assign,
    check_change_priority,
    check_change_status,
    check_change_tags,
    get_or_create_tag,
)
from zabota.tickets.constants import Channel, Priority, Status
from zabota.tickets.error_codes import TicketError
from zabota.tickets.models import Ticket
from zabota.tickets.queries import InvalidCursor, inbox_page, team_lists
from zabota.web.forms import BULK_STATUSES, SORT_CHOICES, BulkForm, inbox_filter_from
from zabota.web.templatetags.web_ui import INBOX_VIEWS

PAGE_SIZE = 50
# htmx targets of the inbox page: the whole list (filters changed) or the "Load more" slot.
LIST_TARGET = "inbox-list"
MORE_TARGET = "load-more"
VIEW_HINTS = {
    "mine": gettext_lazy("Active tickets assigned to you."),
    "unassigned": gettext_lazy("Active tickets nobody has taken yet."),
    "open": gettext_lazy("New and open tickets: the team owes the customer an answer."),
    "awaiting": gettext_lazy("Solutions proposed and waiting for the customer's confirmation."),
    "all": gettext_lazy("Every ticket you can see, solved and closed ones included."),
}


def _fragment_target(request: HttpRequest) -> str:
    """The id htmx will swap the response into, or "" when the request needs a whole page
    (a normal visit, a boosted link, or htmx restoring history after a cache miss)."""
    details = getattr(request, "htmx", None)
    if not details or details.history_restore_request or details.boosted:
        return ""
    return details.target or ""


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)
    inbox_filter = inbox_filter_from(request.GET)
    try:
        page = inbox_page(user, inbox_filter, cursor=request.GET.get("cursor", ""), limit=PAGE_SIZE)
    except InvalidCursor as exc:
        raise BadRequest("invalid cursor") from exc
    context: dict[str, Any] = {
        "page": page,
        "filter": inbox_filter,
        "page_size": PAGE_SIZE,
        # The customers' segment badges, for the whole page in one query.
        "segments": segments_by_ticket([ticket.pk for ticket in page.items]),
    }
    target = _fragment_target(request)
    if target == MORE_TARGET:
        response = render(request, "web/inbox/_rows.html", context)
    elif target == LIST_TARGET:
        # The header's ticket count comes along as an out-of-band swap.
        response = render(request, "web/inbox/_list.html", {**context, "oob": True})
    else:
        # The filter bar's groups, agents and tags; the sidebar reuses them.
        options = team_lists(user)
        context.update(
            options=options,
            view_label=dict((slug, label) for slug, label, _icon in INBOX_VIEWS)[inbox_filter.view],
            view_hint=VIEW_HINTS[inbox_filter.view],
            active_tag=next((t for t in options.tags if t.pk == inbox_filter.tag_id), None),
            active_group=next((g for g in options.groups if g.pk == inbox_filter.group_id), None),
            segment_choices=[(str(s), Segment(s).label) for s in SEGMENT_ORDER],
            statuses=Status.choices,
            bulk_statuses=BULK_STATUSES,
            priorities=Priority.choices,
            channels=Channel.choices,
            sorts=SORT_CHOICES,
            bulk_actions=BulkForm.ACTIONS,
        )
        response = render(request, "web/inbox/inbox.html", context)
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


def _bulk_change(user: User, data: dict[str, Any]) -> Callable[[Ticket], object]:
    """The check_* call one bulk action makes on each ticket."""
    action = data["action"]
    if action == BulkForm.ASSIGN_ME:
        return lambda ticket: check_assign(ticket, assignee=user, group=None, actor=user)
    if action == BulkForm.ASSIGN:
        agent = access_agent_by_id(user, data["agent"])
        return lambda ticket: check_assign(ticket, assignee=agent, group=None, actor=user)
    if action == BulkForm.STATUS:
        return lambda ticket: check_change_status(ticket, status=data["status"], actor=user)
    if action == BulkForm.PRIORITY:
        return lambda ticket: check_change_priority(ticket, priority=data["priority"], actor=user)
    return lambda ticket: check_change_tags(
        ticket, add=[get_or_create_tag(ticket.store, data["tag"])], actor=user
    )


def _next_url(request: HttpRequest, candidate: str) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("web:inbox")


@login_required
@require_POST
def bulk(request: HttpRequest) -> HttpResponse:
    """Apply one change to every selected ticket the agent can see; report each refusal."""
    user = cast(User, request.user)
    form = BulkForm(request.POST)
    next_url = _next_url(request, request.POST.get("next", ""))
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(str(error) for error in errors))
        return redirect(next_url)
    ids = form.cleaned_data["ticket"]
    tickets = sorted(access_tickets_by_ids(user, ids), key=lambda t: (t.store_id, t.number))
    try:
        change = _bulk_change(user, form.cleaned_data)
    except TicketError as exc:
        messages.error(request, exc.message)
        return redirect(next_url)
    changed, failures = 0, []
    for ticket in tickets:
        try:
            change(ticket)
        except TicketError as exc:
            failures.append(
                _("#%(number)s: %(error)s") % {"number": ticket.number, "error": exc.message}
            )
        else:
            changed += 1
    if changed:
        messages.success(
            request,
            ngettext("%(count)s ticket updated.", "%(count)s tickets updated.", changed)
            % {"count": changed},
        )
    if failures:
        messages.error(request, "\n".join(failures))
    missing = len(set(ids)) - len(tickets)
    if missing:
        messages.warning(
            request,
            ngettext(
                "%(count)s ticket was not found.", "%(count)s tickets were not found.", missing
            )
            % {"count": missing},
        )
    return redirect(next_url)
