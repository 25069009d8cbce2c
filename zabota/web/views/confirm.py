"""Public pages of the "Yes, it is solved" / "No, I still have a problem" links (no sign-in).

GET only shows the question with a button: mail scanners and link previews follow links, so
nothing changes until the customer presses it (a POST with the CSRF token).
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.http import require_http_methods

from zabota.core import ratelimit
from zabota.tickets import confirmation
from zabota.tickets.confirmation import Answer, Checked, Outcome

# Forged: a bad request. Everything else was a good link once and is gone for good.
_STATUS = {
    Outcome.FORGED: 400,
    Outcome.EXPIRED: 410,
    Outcome.USED: 410,
    Outcome.NOT_AWAITING: 410,
}


def _page(
    request: HttpRequest, template: str, checked: Checked, status: int = 200, **extra: object
) -> HttpResponse:
    ticket = checked.ticket
    language = confirmation.page_language(ticket)
    context = {
        "ticket": ticket,
        "store_name": ticket.store.name if ticket is not None else "",
        "outcome": checked.outcome.value,
        "answered": checked.answered.value if checked.answered else "",
        "language": language,
        **extra,
    }
    with translation.override(language):
        response = render(request, f"web/confirm/{template}.html", context, status=status)
    response["Content-Language"] = language
    response["X-Robots-Tag"] = "noindex"
    return response


@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, token: str, answer: str) -> HttpResponse:
    if not ratelimit.hit(ratelimit.CONFIRM_LINK_PER_IP, ratelimit.client_ip(request)):
        response = _page(request, "limited", Checked(Outcome.FORGED), status=429)
        response["Retry-After"] = str(ratelimit.retry_after(ratelimit.CONFIRM_LINK_PER_IP))
        return response
    chosen = Answer(answer)
    if request.method == "POST":
        checked = confirmation.do_answer(token, chosen)
        if checked.outcome == Outcome.VALID:
            return _page(request, "done", checked, answer=chosen.value)
    else:
        checked = confirmation.check_token(token)
        if checked.outcome == Outcome.VALID:
            return _page(request, "ask", checked, answer=chosen.value)
    return _page(request, "unavailable", checked, status=_STATUS[checked.outcome])
