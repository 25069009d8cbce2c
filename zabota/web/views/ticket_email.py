"""E-mail delivery from the ticket page: sending a reply whose delivery failed again."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_POST

from zabota.channels.email.outbound import DeliveryError, DeliveryErrorCode, check_retry_delivery
from zabota.web.views.tickets import agent, panels_response, ticket_or_404


@login_required
@require_POST
def retry(request: HttpRequest, ticket_id: int, message_id: int) -> HttpResponse:
    """Queue the failed e-mail of one reply again; the timeline then shows it as queued."""
    ticket = ticket_or_404(request, ticket_id)
    try:
        check_retry_delivery(ticket, message_id=message_id, actor=agent(request))
    except DeliveryError as exc:
        if exc.code == DeliveryErrorCode.NOT_FOUND:
            raise Http404(exc.message) from exc
        return panels_response(request, ticket_id, error=exc.message)
    return panels_response(request, ticket_id)
