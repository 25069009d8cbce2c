"""Routing in the agent UI: the availability control in the sidebar and the leads' workload."""

from typing import cast

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods

from zabota.accounts.models import User
from zabota.routing.actions import availability_of, check_set_availability
from zabota.routing.constants import Availability
from zabota.routing.error_codes import RoutingError
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


@login_required
@require_GET
def workload(request: HttpRequest) -> HttpResponse:
    """Leads see their groups, admins all: each agent's availability and load, each queue."""
    try:
        groups = workload_rows(cast(User, request.user))
    except RoutingError as exc:
        raise PermissionDenied(exc.message) from exc
    return render(
        request,
        "web/routing/workload.html",
        {"groups": groups, "labels": dict(Availability.choices)},
    )
