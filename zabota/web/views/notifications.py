"""The agent's notifications: the list (newest first, unread highlighted), opening one (marks it
read), "mark all read", the e-mail preference, and the sidebar's bell."""

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zabota.accounts.models import User
from zabota.notifications.access import access_notification_by_id
from zabota.notifications.actions import do_mark_read, do_set_email_preference
from zabota.notifications.constants import Kind
from zabota.notifications.models import Notification
from zabota.notifications.queries import recent, unread_count, wants_email

MARK_ALL_READ = "mark_all_read"
EMAIL = "email"


def _list(request: HttpRequest, user: User) -> HttpResponse:
    context = {
        "notifications": recent(user),
        "unread": unread_count(user),
        "wants_email": wants_email(user),
        "kinds": dict(Kind.choices),
    }
    return render(request, "web/notifications/list.html", context)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def notifications(request: HttpRequest) -> HttpResponse:
    """POST ``action`` is ``mark_all_read`` or ``email`` (with the ``email`` checkbox)."""
    user = cast(User, request.user)
    action = request.POST.get("action") if request.method == "POST" else None
    if action == MARK_ALL_READ:
        do_mark_read(user, "all")
        return redirect("web:notifications")
    if action == EMAIL:
        on = request.POST.get("email") == "on"
        do_set_email_preference(user, email=on)
        messages.success(
            request,
            _("Notifications will also be e-mailed to you.")
            if on
            else _("Notifications will no longer be e-mailed to you."),
        )
        return redirect("web:notifications")
    return _list(request, user)


@login_required
@require_POST
def open_notification(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Mark the notification read and go to its ticket (or back to the list if it has none)."""
    user = cast(User, request.user)
    try:
        notification = access_notification_by_id(user, notification_id)
    except Notification.DoesNotExist as exc:
        raise Http404 from exc
    do_mark_read(user, [notification.pk])
    if notification.ticket_id is None:
        return redirect("web:notifications")
    return redirect("web:ticket", notification.ticket_id)


@never_cache
@login_required
@require_GET
def bell(request: HttpRequest) -> HttpResponse:
    """The sidebar's bell, loaded apart by htmx as the sidebar's HTML is cached."""
    user = cast(User, request.user)
    return render(
        request, "web/notifications/_bell.html", {"unread_notifications": unread_count(user)}
    )
