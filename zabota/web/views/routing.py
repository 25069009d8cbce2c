"""Routing in the agent UI: the availability control in the sidebar; the leads' workload with
each group's strategy and each member's capacity and languages; a customer's personal managers."""

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zabota.accounts.models import User
from zabota.commerce.access import visible_stores
from zabota.customers.access import access_customer_by_id
from zabota.customers.error_codes import CustomerError
from zabota.customers.models import Customer
from zabota.routing.access import access_agent_for_profile, access_group_for_routing
from zabota.routing.actions import (
    availability_of,
    check_set_agent_profile,
    check_set_availability,
    check_set_customer_manager,
    check_set_strategy,
)
from zabota.routing.constants import Availability, Strategy
from zabota.routing.error_codes import RoutingError, RoutingErrorCode
from zabota.routing.queries import customer_managers, key_clients
from zabota.routing.queries import workload as workload_rows

AVAILABILITY_COLORS: dict[str, str] = {
    Availability.ONLINE: "#16a34a",
    Availability.AWAY: "#d97706",
    Availability.OFFLINE: "#9ca3af",
}


def _control(request: HttpRequest, status: str, *, code: int = 200) -> HttpResponse:
    context = {
        "status": status,
        "color": AVAILABILITY_COLORS.get(status, AVAILABILITY_COLORS[Availability.OFFLINE]),
        "choices": Availability.choices,
    }
    return render(request, "web/routing/_availability.html", context, status=code)


@login_required
@require_http_methods(["GET", "POST"])
def availability(request: HttpRequest) -> HttpResponse:
    """The sidebar control (loaded by htmx, as the sidebar's HTML is cached); POST ``availability``
    sets the signed-in agent's availability and answers with the control."""
    user = cast(User, request.user)
    if request.method == "POST":
        try:
            row = check_set_availability(
                user, status=request.POST.get("availability", ""), actor=user
            )
        except RoutingError:
            return _control(request, availability_of(user), code=400)
        return _control(request, row.status)
    return _control(request, availability_of(user))


def _workload_page(
    request: HttpRequest, *, notice: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    user = cast(User, request.user)
    try:
        groups = workload_rows(user)
    except RoutingError as exc:
        raise PermissionDenied(exc.message) from exc
    context: dict[str, Any] = {
        "groups": groups,
        "labels": dict(Availability.choices),
        "strategies": Strategy.choices,
        "managers": key_clients(user),
        "notice": notice or {},
    }
    return render(request, "web/routing/workload.html", context, status=status)


@login_required
@require_GET
def workload(request: HttpRequest) -> HttpResponse:
    """Leads see their groups, admins all: each agent's availability and load, each queue,
    the settings they may change, and the personal managers' key clients."""
    return _workload_page(request)


def _after_change(request: HttpRequest, kind: str, pk: int, error: str | None) -> HttpResponse:
    """htmx swaps the workload (loads and queues may have moved with the drain) and swaps 2xx
    answers only, so a refusal comes back as 200 with the message beside the field; a plain
    form post gets the page back (400 on a refusal) or a redirect to it."""
    notice = {"kind": kind, "id": pk, "error": error or "", "saved": "" if error else _("Saved")}
    if request.htmx:  # type: ignore[attr-defined]
        return _workload_page(request, notice=notice)
    if error:
        return _workload_page(request, notice=notice, status=400)
    messages.success(request, _("Saved."))
    return redirect("web:workload")


@login_required
@require_POST
def group_strategy(request: HttpRequest, group_id: int) -> HttpResponse:
    """POST ``strategy``: the group's routing; an automatic one assigns the queue at once."""
    user = cast(User, request.user)
    try:
        group = access_group_for_routing(user, group_id)
    except RoutingError as exc:
        raise PermissionDenied(exc.message) from exc
    try:
        check_set_strategy(group, strategy=request.POST.get("strategy", ""), actor=user)
    except RoutingError as exc:
        return _after_change(request, "group", group.pk, exc.message)
    return _after_change(request, "group", group.pk, None)


@login_required
@require_POST
def agent_profile(request: HttpRequest, agent_id: int) -> HttpResponse:
    """POST ``capacity`` and ``languages`` (comma-separated codes) of a member of the actor's
    groups; more room assigns queued tickets at once."""
    user = cast(User, request.user)
    try:
        agent = access_agent_for_profile(user, agent_id)
    except RoutingError as exc:
        raise PermissionDenied(exc.message) from exc
    try:
        check_set_agent_profile(
            agent,
            capacity=request.POST.get("capacity", ""),
            languages=request.POST.get("languages", ""),
            actor=user,
        )
    except RoutingError as exc:
        return _after_change(request, "agent", agent.pk, exc.message)
    return _after_change(request, "agent", agent.pk, None)


def _managers_card(
    request: HttpRequest, person: Customer, *, error: str = "", status: int = 200
) -> HttpResponse:
    context = {
        "customer": person,
        "rows": customer_managers(cast(User, request.user), person),
        "error": error,
    }
    return render(request, "web/routing/_manager.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def customer_manager(request: HttpRequest, customer_id: int) -> HttpResponse:
    """The customer's personal manager per store (a card for the customer page); POST ``store``
    and ``manager`` (a user id, empty to remove) for admins and the store's leads."""
    user = cast(User, request.user)
    try:
        person = access_customer_by_id(user, customer_id)
    except CustomerError as exc:
        raise Http404(exc.message) from exc
    if request.method == "GET":
        return _managers_card(request, person)
    store_id = _int(request.POST.get("store"))
    store = visible_stores(user).filter(pk=store_id).first() if store_id else None
    if store is None:
        raise PermissionDenied(_("You may not change this customer's personal manager."))
    try:
        check_set_customer_manager(
            person, store, manager_id=_int(request.POST.get("manager")), actor=user
        )
    except RoutingError as exc:
        if exc.code == RoutingErrorCode.MANAGER_NOT_ALLOWED:
            raise PermissionDenied(exc.message) from exc
        # htmx swaps 2xx answers only: a refusal is shown in the card.
        status = 200 if request.htmx else 400  # type: ignore[attr-defined]
        return _managers_card(request, person, error=exc.message, status=status)
    return _managers_card(request, person)


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None
