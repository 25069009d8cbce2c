"""Search across tickets (subject and messages, or "#1042") and customers."""

from typing import Any, cast

from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from zabota.accounts.models import User
from zabota.commerce.queries import segments_by_customer
from zabota.customers.access import access_customer_by_id
from zabota.customers.error_codes import CustomerError
from zabota.tickets.access import can_merge_customers
from zabota.tickets.search import search_customers, search_tickets

MAX_QUERY = 200
TICKETS_SHOWN = 50
CUSTOMERS_SHOWN = 20
# The customer page's merge box asks for candidates with this htmx target.
MERGE_TARGET = "merge-candidates"
MERGE_CANDIDATES_SHOWN = 8


@login_required
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)
    query = request.GET.get("q", "").strip()[:MAX_QUERY]
    htmx = getattr(request, "htmx", None)
    if htmx and htmx.target == MERGE_TARGET:
        return _merge_candidates(request, user, query)
    context: dict[str, Any] = {"query": query, "tickets": [], "customers": []}
    if query:
        context["tickets"] = list(search_tickets(user, query, limit=TICKETS_SHOWN))
        context["customers"] = list(search_customers(user, query, limit=CUSTOMERS_SHOWN))
        context["customer_badges"] = segments_by_customer(
            user, [c.pk for c in context["customers"]]
        )
    response = render(request, "web/search/search.html", context)
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


def _merge_candidates(request: HttpRequest, user: User, query: str) -> HttpResponse:
    """Customers that could be merged into ``?into=<id>`` (leads and admins only)."""
    into = request.GET.get("into", "")
    if not into.isdigit() or not can_merge_customers(user):
        raise BadRequest("merge candidates need a target the user may merge into")
    try:
        target = access_customer_by_id(user, int(into))
    except CustomerError as exc:
        raise BadRequest("unknown merge target") from exc
    candidates = (
        [
            c
            for c in search_customers(user, query, limit=MERGE_CANDIDATES_SHOWN + 1)
            if c.pk != target.pk
        ]
        if query
        else []
    )
    response = render(
        request,
        "web/customers/_merge_candidates.html",
        {"query": query, "target": target, "candidates": candidates[:MERGE_CANDIDATES_SHOWN]},
    )
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response
