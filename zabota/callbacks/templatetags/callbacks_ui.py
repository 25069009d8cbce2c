"""``{% call_card ticket %}``: the call card on a callback ticket's page.

A tag rather than context from the ticket view, so that the ticket page only needs one include
guarded by the ticket's channel, and the card's own endpoint renders the same card.
"""

from typing import Any, cast

from django import template
from django.http import HttpRequest
from django.utils import timezone

from zabota.accounts.models import User
from zabota.callbacks.access import access_callback_by_ticket
from zabota.callbacks.constants import CALLABLE_STATES, MAX_FAILED_ATTEMPTS, CallOutcome
from zabota.callbacks.models import CallbackRequest
from zabota.callbacks.phone import readable_phone
from zabota.tickets.error_codes import TicketError
from zabota.tickets.models import Ticket

register = template.Library()


def card_context(request: HttpRequest, callback: CallbackRequest) -> dict[str, Any]:
    return {
        "callback": callback,
        "phone": readable_phone(callback.phone),
        "calls": list(callback.calls.select_related("agent")),
        "outcomes": CallOutcome.choices,
        "can_call": callback.state in CALLABLE_STATES and callback.ticket.merged_into_id is None,
        "max_failed": MAX_FAILED_ATTEMPTS,
        "now": timezone.now(),
    }


@register.inclusion_tag("callbacks/_call_card.html", takes_context=True)
def call_card(context: template.Context, ticket: Ticket) -> dict[str, Any]:
    request = context["request"]
    try:
        callback = access_callback_by_ticket(cast(User, request.user), ticket.pk)
    except TicketError:
        return {"callback": None}
    return {**card_context(request, callback), "csrf_token": context.get("csrf_token")}
