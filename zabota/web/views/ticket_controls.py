"""The controls around the conversation: status, priority, assignment, tags and merging.

Each is a small POST that calls one ``check_*`` action and answers with the panels it affects
(``tickets.panels_response``); a refused change comes back as an error toast.
"""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from zabota.tickets import access
from zabota.tickets.actions import (
    check_assign,
    check_change_priority,
    check_change_status,
    check_change_tags,
    check_confirm_solution,
    check_merge_tickets,
    get_or_create_tag,
)
from zabota.tickets.error_codes import TicketError
from zabota.web.forms_tickets import (
    AssignForm,
    MergeForm,
    PriorityForm,
    StatusForm,
    TagAddForm,
    TagRemoveForm,
)
from zabota.web.views.tickets import agent, panels_response, ticket_or_404


def _invalid(request: HttpRequest, ticket_id: int, form: Form) -> HttpResponse:
    errors = [str(e) for field_errors in form.errors.values() for e in field_errors]
    return panels_response(request, ticket_id, error=" ".join(errors))


@login_required
@require_POST
def change_status(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = ticket_or_404(request, ticket_id)
    form = StatusForm(request.POST)
    if not form.is_valid():
        return _invalid(request, ticket_id, form)
    try:
        check_change_status(ticket, status=form.cleaned_data["status"], actor=agent(request))
    except TicketError as exc:
        return panels_response(request, ticket_id, error=exc.message)
    return panels_response(request, ticket_id)


@login_required
@require_POST
def confirm_solution(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """The customer accepted the proposed solution on another channel (phone, chat)."""
    ticket = ticket_or_404(request, ticket_id)
    try:
        check_confirm_solution(ticket, actor=agent(request))
    except TicketError as exc:
        return panels_response(request, ticket_id, error=exc.message)
    return panels_response(request, ticket_id)


@login_required
@require_POST
def change_priority(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = ticket_or_404(request, ticket_id)
    form = PriorityForm(request.POST)
    if not form.is_valid():
        return _invalid(request, ticket_id, form)
    try:
        check_change_priority(ticket, priority=form.cleaned_data["priority"], actor=agent(request))
    except TicketError as exc:
        return panels_response(request, ticket_id, error=exc.message)
    return panels_response(request, ticket_id)


@login_required
@require_POST
def assign(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = ticket_or_404(request, ticket_id)
    form = AssignForm(request.POST)
    if not form.is_valid():
        return _invalid(request, ticket_id, form)
    group_id, agent_id = form.cleaned_data["target"]
    user = agent(request)
    try:
        group = access.access_group_by_id(user, group_id) if group_id else None
        assignee = access.access_agent_by_id(user, agent_id) if agent_id else None
    except TicketError as exc:
        raise Http404(exc.message) from exc
    try:
        check_assign(ticket, assignee=assignee, group=group, actor=user)
    except TicketError as exc:
        return panels_response(request, ticket_id, error=exc.message)
    return panels_response(request, ticket_id)


@login_required
@require_POST
def add_tag(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """Tags are free text: an unknown name creates the store's tag."""
    ticket = ticket_or_404(request, ticket_id)
    form = TagAddForm(request.POST)
    if not form.is_valid():
        return _invalid(request, ticket_id, form)
    try:
        tag = get_or_create_tag(ticket.store, form.cleaned_data["name"])
        check_change_tags(ticket, add=[tag], actor=agent(request))
    except TicketError as exc:
        return panels_response(request, ticket_id, error=exc.message)
    return panels_response(request, ticket_id)


@login_required
@require_POST
def remove_tag(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = ticket_or_404(request, ticket_id)
    form = TagRemoveForm(request.POST)
    if not form.is_valid():
        return _invalid(request, ticket_id, form)
    try:
        tag = access.access_tag_by_id(agent(request), form.cleaned_data["tag_id"])
    except TicketError as exc:
        raise Http404(exc.message) from exc
    try:
        check_change_tags(ticket, remove=[tag], actor=agent(request))
    except TicketError as exc:
        return panels_response(request, ticket_id, error=exc.message)
    return panels_response(request, ticket_id)


@login_required
@require_POST
def merge(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """Two steps: the number of the ticket to keep, then a confirmation showing both subjects.
    Afterwards the agent lands on the surviving ticket."""
    ticket = ticket_or_404(request, ticket_id)
    form = MergeForm(request.POST)
    context = {"ticket": ticket, "form": form}
    if not form.is_valid():
        return _merge_panel(request, context, status=400)
    user = agent(request)
    try:
        target = access.access_ticket_by_number(user, ticket.store_id, form.cleaned_data["number"])
    except TicketError:
        form.add_error("number", _no_such_ticket(form.cleaned_data["number"]))
        return _merge_panel(request, context, status=400)
    context["target"] = target
    if not form.cleaned_data["confirm"]:
        return _merge_panel(request, context)
    try:
        check_merge_tickets(ticket, target, actor=user)
    except TicketError as exc:
        form.add_error(None, exc.message)
        return _merge_panel(request, context, status=400)
    if request.htmx:  # type: ignore[attr-defined]
        return HttpResponseClientRedirect(reverse("web:ticket", args=[target.pk]))
    return redirect("web:ticket", target.pk)


def _no_such_ticket(number: int) -> str:
    return _("There is no ticket #%(number)s in this store that you can see.") % {"number": number}


def _merge_panel(
    request: HttpRequest, context: dict[str, Any], *, status: int = 200
) -> HttpResponse:
    """htmx swaps the panel in place (and only swaps successful answers); without JavaScript
    the step is a page of its own."""
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "web/tickets/_merge.html", context)
    return render(request, "web/tickets/merge.html", context, status=status)
