"""Permission-checked fetches of callback requests.

A callback is as visible as its ticket (``tickets.access``): whoever may see the ticket may
see the request and record its calls — admins everywhere, leads in their groups, agents their
own tickets and their groups' (unassigned ones where the group allows). Requests an actor may
not see are reported as missing.
"""

from django.db.models import QuerySet

from zabota.accounts.models import User
from zabota.callbacks.models import CallbackRequest
from zabota.tickets.access import visible_tickets
from zabota.tickets.error_codes import TicketError, TicketErrorCode


def visible_callbacks(user: User) -> QuerySet[CallbackRequest]:
    """The requests of the tickets ``user`` may see (a subquery on the ticket visibility)."""
    qs = CallbackRequest.objects.select_related("ticket", "store")
    if user.is_admin:
        return qs
    return qs.filter(ticket__in=visible_tickets(user).values("pk"))


def access_callback_by_id(user: User, callback_id: int) -> CallbackRequest:
    request = visible_callbacks(user).filter(pk=callback_id).first()
    if request is None:
        raise TicketError(TicketErrorCode.NOT_FOUND)
    return request


def access_callback_by_ticket(user: User, ticket_id: int) -> CallbackRequest:
    request = visible_callbacks(user).filter(ticket_id=ticket_id).first()
    if request is None:
        raise TicketError(TicketErrorCode.NOT_FOUND)
    return request
