"""The reply box: replies and internal notes, macros, preview, and collision detection.

The form carries the ticket version the agent was looking at. When the ticket moved on in the
meantime, nothing is posted: the agent is shown what changed (the draft stays where it is)
and sends again with "Send anyway".
"""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import reswap, retarget

from zabota.core.html import text_to_html
from zabota.tickets import access
from zabota.tickets.actions import check_add_note, check_add_reply
from zabota.tickets.error_codes import TicketError, TicketErrorCode
from zabota.tickets.macros import MacroRenderError, render_macro
from zabota.tickets.models import Ticket
from zabota.web.forms_tickets import MacroForm, NoteForm, PreviewForm, ReplyForm
from zabota.web.views.tickets import (
    agent,
    change_lines,
    panels_context,
    reply_context,
    ticket_or_404,
)


def _form_errors(form: Form) -> list[str]:
    return [str(error) for errors in form.errors.values() for error in errors]


def _refused(
    request: HttpRequest,
    ticket: Ticket,
    form: ReplyForm,
    *,
    errors: list[str] | None = None,
    collision: list[str] | None = None,
    mode: str = "reply",
) -> HttpResponse:
    """Nothing was posted. htmx: only the alert above the buttons is replaced, so the draft and
    the chosen files stay in the form. Plain post: the page again, with the draft filled in."""
    alert = {
        "alert_errors": errors or [],
        "collision": collision,
        "current_version": ticket.version,
        "mode": mode,
    }
    if request.htmx:  # type: ignore[attr-defined]
        context: dict[str, Any] = {**alert, "ticket": ticket}
        if collision is not None:
            # Show the newer messages and changes right away, but keep the form's version:
            # only "Send anyway" acknowledges them.
            context.update(panels_context(request, ticket), with_panels=True, advance=False)
        response = render(request, "web/tickets/_reply_alert.html", context)
        return reswap(retarget(response, "#reply-alert"), "innerHTML")
    context = {
        **panels_context(request, ticket),
        **reply_context(request, ticket, form),
        **alert,
    }
    status = 409 if collision is not None else 400
    return render(request, "web/tickets/ticket.html", context, status=status)


def _posted(request: HttpRequest, ticket_id: int, *, mode: str) -> HttpResponse:
    """A fresh, empty reply box carrying the new version, and the panels brought up to date."""
    if not request.htmx:  # type: ignore[attr-defined]
        return redirect("web:ticket", ticket_id)
    ticket = ticket_or_404(request, ticket_id)
    context = {
        **panels_context(request, ticket),
        **reply_context(request, ticket),
        "mode": mode,
        "with_panels": True,
        "advance": False,  # the fresh box carries the version itself
    }
    return render(request, "web/tickets/_reply_posted.html", context)


@login_required
@require_POST
def reply(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = ticket_or_404(request, ticket_id)
    form = ReplyForm(request.POST, request.FILES)
    if not form.is_valid():
        return _refused(request, ticket, form, errors=_form_errors(form))
    data = form.cleaned_data
    macro_id = data["macro_id"]
    if macro_id is not None:
        try:
            macro_id = access.access_macro_by_id(agent(request), macro_id).pk
        except TicketError:
            macro_id = None  # a macro removed meanwhile does not stop the reply
    try:
        check_add_reply(
            ticket,
            body_text=data["body"],
            then_status=data["then_status"],
            attachments=data["attachments"],
            macro_id=macro_id,
            seen_version=data["seen_version"],
            actor=agent(request),
        )
    except TicketError as exc:
        if exc.code == TicketErrorCode.COLLISION:
            lines = change_lines(ticket, data["seen_version"])
            return _refused(request, ticket, form, collision=lines)
        return _refused(request, ticket, form, errors=[exc.message])
    return _posted(request, ticket_id, mode="reply")


@login_required
@require_POST
def note(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = ticket_or_404(request, ticket_id)
    form = NoteForm(request.POST, request.FILES)
    if not form.is_valid():
        draft = ReplyForm(request.POST)
        return _refused(request, ticket, draft, errors=_form_errors(form), mode="note")
    data = form.cleaned_data
    try:
        check_add_note(
            ticket, body_text=data["body"], attachments=data["attachments"], actor=agent(request)
        )
    except TicketError as exc:
        draft = ReplyForm(request.POST)
        return _refused(request, ticket, draft, errors=[exc.message], mode="note")
    return _posted(request, ticket_id, mode="note")


@login_required
@require_POST
def preview(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """The draft exactly as the customer will get it (plain text becomes paragraphs)."""
    ticket_or_404(request, ticket_id)
    form = PreviewForm(request.POST)
    body = form.cleaned_data["body"] if form.is_valid() else ""
    # text_to_html escapes the text; the result is markup we built ourselves.
    html = mark_safe(text_to_html(body))
    return render(request, "web/tickets/_preview.html", {"preview_html": html})


@login_required
@require_GET
def macro(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """The macro's text for this ticket and agent, for the reply box to insert at the cursor."""
    ticket = ticket_or_404(request, ticket_id)
    form = MacroForm(request.GET)
    if not form.is_valid():
        return HttpResponseBadRequest(_("Choose a macro."))
    try:
        chosen = access.access_macro_by_id(agent(request), form.cleaned_data["macro_id"])
    except TicketError as exc:
        raise Http404(exc.message) from exc
    if chosen.store_id not in (None, ticket.store_id):
        raise Http404(_("This macro belongs to another store."))
    try:
        text = render_macro(chosen, ticket, agent(request))
    except MacroRenderError:
        return JsonResponse(
            {"error": _("The macro “%(name)s” has an error in its text.") % {"name": chosen.name}},
            status=422,
        )
    return JsonResponse(
        {"macro_id": chosen.pk, "text": text, "set_status": chosen.set_status or ""}
    )
