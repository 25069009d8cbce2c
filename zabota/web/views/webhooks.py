"""Webhook subscriptions in the agent UI (admins): the list, the form (the signing secret is
shown once, after creation or rotation), "send test event", and each subscription's delivery
log with "retry now"."""

import json
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zabota.accounts.models import User
from zabota.webhooks.access import (
    access_delivery_by_id,
    access_subscription_by_id,
    check_webhooks_access,
)
from zabota.webhooks.actions import (
    check_save_subscription,
    do_retry_delivery,
    do_rotate_secret,
    do_send_test_event,
)
from zabota.webhooks.constants import DELIVERIES_PER_PAGE, EVENT_TYPE_LABELS, DeliveryStatus
from zabota.webhooks.error_codes import WebhookError
from zabota.webhooks.forms import SubscriptionForm
from zabota.webhooks.models import Delivery, Subscription
from zabota.webhooks.queries import deliveries_of, subscription_list

SECTION = "webhooks"


def _admin(request: HttpRequest) -> User:
    user = cast(User, request.user)
    try:
        check_webhooks_access(user)
    except WebhookError as exc:
        raise PermissionDenied(exc.message) from exc
    return user


def _subscription(request: HttpRequest, subscription_id: int) -> Subscription:
    try:
        return access_subscription_by_id(cast(User, request.user), subscription_id)
    except WebhookError as exc:
        raise PermissionDenied(exc.message) from exc
    except Subscription.DoesNotExist as exc:
        raise Http404("subscription") from exc


@login_required
@require_GET
def webhooks(request: HttpRequest) -> HttpResponse:
    _admin(request)
    return render(
        request,
        "web/webhooks/list.html",
        {
            "subscriptions": subscription_list(),
            "labels": EVENT_TYPE_LABELS,
            "statuses": DeliveryStatus.choices,
            "section": SECTION,
        },
    )


def _form_page(
    request: HttpRequest,
    form: SubscriptionForm,
    subscription: Subscription,
    *,
    new_secret: str = "",
    status: int = 200,
) -> HttpResponse:
    # The secret is rendered into this one response only: never into a message (a cookie or
    # the session) nor into the edit page.
    context: dict[str, Any] = {
        "form": form,
        "subscription": subscription,
        "new_secret": new_secret,
        "section": SECTION,
    }
    return render(request, "web/webhooks/form.html", context, status=status)


def _filled_form(subscription: Subscription) -> SubscriptionForm:
    """The form with the subscription's values; a new one starts active, with no type chosen."""
    return SubscriptionForm(
        initial={
            "name": subscription.name,
            "store": subscription.store_id,
            "url": subscription.url,
            "event_types": subscription.event_types,
            "is_active": subscription.is_active,
            "allow_private_network": subscription.allow_private_network,
        }
    )


@login_required
@require_http_methods(["GET", "POST"])
def webhook_form(request: HttpRequest, subscription_id: int | None = None) -> HttpResponse:
    """GET shows the form; POST saves through ``check_save_subscription`` (SSRF guard) or shows
    the form again with the errors. A new subscription's secret is shown in the answer."""
    user = _admin(request)
    subscription = (
        _subscription(request, subscription_id) if subscription_id is not None else Subscription()
    )
    if request.method == "GET":
        return _form_page(request, _filled_form(subscription), subscription)
    form = SubscriptionForm(request.POST)
    if form.is_valid():
        created = subscription.pk is None
        data = form.cleaned_data
        try:
            subscription = check_save_subscription(
                subscription,
                name=data["name"],
                store=data["store"],
                url=data["url"],
                event_types=data["event_types"],
                is_active=data["is_active"],
                allow_private_network=data["allow_private_network"],
                actor=user,
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            if created:
                messages.success(request, _("Subscription “%s” created.") % subscription.name)
                return _form_page(
                    request,
                    _filled_form(subscription),
                    subscription,
                    new_secret=subscription.secret,
                )
            messages.success(request, _("Subscription “%s” saved.") % subscription.name)
            return redirect("web:webhooks")
    return _form_page(request, form, subscription, status=400)


@login_required
@require_POST
def webhook_rotate(request: HttpRequest, subscription_id: int) -> HttpResponse:
    """A new signing secret, shown in this answer only; the old one stops being used."""
    user = _admin(request)
    subscription = _subscription(request, subscription_id)
    secret = do_rotate_secret(subscription, actor=user)
    messages.success(request, _("The signing secret was rotated."))
    return _form_page(request, _filled_form(subscription), subscription, new_secret=secret)


@login_required
@require_POST
def webhook_test(request: HttpRequest, subscription_id: int) -> HttpResponse:
    user = _admin(request)
    subscription = _subscription(request, subscription_id)
    do_send_test_event(subscription, actor=user)
    messages.success(request, _("Test event queued; its delivery is at the top of the log."))
    return redirect("web:webhook_deliveries", subscription_id=subscription.pk)


@login_required
@require_GET
def webhook_deliveries(request: HttpRequest, subscription_id: int) -> HttpResponse:
    """The subscription's deliveries, newest first, optionally of one ``status``."""
    _admin(request)
    subscription = _subscription(request, subscription_id)
    status = request.GET.get("status", "")
    if status not in DeliveryStatus.values:
        status = ""
    page = Paginator(deliveries_of(subscription, status=status), DELIVERIES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    rows = [(delivery, _request_body(delivery)) for delivery in page.object_list]
    context = {
        "subscription": subscription,
        "page": page,
        "rows": rows,
        "status": status,
        "statuses": DeliveryStatus.choices,
        "section": SECTION,
    }
    return render(request, "web/webhooks/deliveries.html", context)


def _request_body(delivery: Delivery) -> str:
    """The body sent, indented to be read (the bytes sent are compact, ``encode_body``)."""
    return json.dumps(delivery.payload, indent=2, sort_keys=True, ensure_ascii=False)


@login_required
@require_POST
def webhook_retry(request: HttpRequest, subscription_id: int, delivery_id: int) -> HttpResponse:
    user = _admin(request)
    subscription = _subscription(request, subscription_id)
    try:
        delivery = access_delivery_by_id(user, subscription, delivery_id)
    except Delivery.DoesNotExist as exc:
        raise Http404("delivery") from exc
    try:
        do_retry_delivery(delivery, actor=user)
    except WebhookError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Delivery %s queued again.") % delivery.pk)
    return redirect("web:webhook_deliveries", subscription_id=subscription.pk)
