"""The call card's endpoint: an agent records how a call went.

The view authorises through ``callbacks.access`` (a request the agent may not see is a 404) and
makes one ``check_record_outcome`` call. htmx gets the ticket's header, timeline and sidebar
back out of band (the status and the note changed) together with the card itself; a plain form
post is redirected to the ticket page.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from zabota.callbacks.access import access_callback_by_id
from zabota.callbacks.actions import check_record_outcome
from zabota.callbacks.errors import CallbackError
from zabota.callbacks.forms import OutcomeForm
from zabota.callbacks.models import CallbackRequest
from zabota.callbacks.templatetags.callbacks_ui import card_context
from zabota.tickets.error_codes import TicketError
from zabota.web.views.tickets import agent, panels_context, ticket_or_404


def _respond(request: HttpRequest, callback: CallbackRequest, *, error: str = "") -> HttpResponse:
    if not request.htmx:  # type: ignore[attr-defined]
        if error:
            messages.error(request, error)
        return redirect("web:ticket", callback.ticket_id)
    ticket = ticket_or_404(request, callback.ticket_id)
    callback = access_callback_by_id(agent(request), callback.pk)
    context = {
        **panels_context(request, ticket),
        **card_context(request, callback),
        "error": error,
        "advance": True,
    }
    return render(request, "callbacks/_outcome_response.html", context)


@login_required
@require_POST
def record_outcome(request: HttpRequest, callback_id: int) -> HttpResponse:
    try:
        callback = access_callback_by_id(agent(request), callback_id)
    except TicketError as exc:
        raise Http404(exc.message) from exc
    form = OutcomeForm(request.POST)
    if not form.is_valid():
        errors = [str(e) for field_errors in form.errors.values() for e in field_errors]
        return _respond(request, callback, error=" ".join(errors))
    try:
        check_record_outcome(
            callback,
            outcome=form.cleaned_data["outcome"],
            note=form.cleaned_data["note"],
            actor=agent(request),
        )
    except CallbackError as exc:
        return _respond(request, callback, error=" ".join(exc.errors.values()))
    return _respond(request, callback)
