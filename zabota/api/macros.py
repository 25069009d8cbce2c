"""Macros (canned replies) and their text rendered for a ticket."""

from django.db.models import Q
from django.http import HttpRequest
from ninja import Query, Router

from zabota.api.auth import actor_of
from zabota.api.pagination import Keyset, keyset_page
from zabota.api.schemas.common import errors
from zabota.api.schemas.macros import MacroFilters, MacroList, RenderedMacro
from zabota.commerce.access import access_store
from zabota.tickets.access import access_macro_by_id, access_ticket_by_id, visible_macros
from zabota.tickets.macros import render_macro

router = Router(tags=["macros"])

MACRO_KEYSET = Keyset(("name", "id"))


@router.get("", response={200: MacroList, **errors(400, 404)})
def list_macros(request: HttpRequest, filters: Query[MacroFilters]) -> dict[str, object]:
    """Active macros of the stores the token's user works in, and those of every store."""
    actor = actor_of(request)
    macros = visible_macros(actor).select_related("store").prefetch_related("texts", "add_tags")
    if filters.store:
        store = access_store(actor, filters.store)
        macros = macros.filter(Q(store__isnull=True) | Q(store=store))
    items, next_cursor = keyset_page(
        macros, MACRO_KEYSET, cursor=filters.cursor, limit=filters.limit
    )
    return {"items": items, "next": next_cursor}


@router.get("/{macro_id}/render", response={200: RenderedMacro, **errors(400, 404)})
def render(request: HttpRequest, macro_id: int, ticket_id: int) -> RenderedMacro:
    """The macro's text in the ticket's language (else the store's, else any), with the
    customer's, ticket's, agent's and store's variables filled in."""
    actor = actor_of(request)
    macro = access_macro_by_id(actor, macro_id)
    ticket = access_ticket_by_id(actor, ticket_id)
    return RenderedMacro(
        macro_id=macro.pk, ticket_id=ticket.pk, text=render_macro(macro, ticket, actor)
    )
