"""Admin for webhook subscriptions (secret shown once, "send test event") and the delivery log."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from zabota.core.event_types import EVENT_TYPES
from zabota.webhooks.actions import (
    clean_subscription,
    do_retry_delivery,
    do_rotate_secret,
    do_send_test_event,
)
from zabota.webhooks.constants import ALL_EVENTS
from zabota.webhooks.error_codes import WebhookError
from zabota.webhooks.models import Delivery, Subscription
from zabota.webhooks.transport import encode_body

EVENT_CHOICES = [(ALL_EVENTS, _("All events")), *((t, t) for t in sorted(EVENT_TYPES))]


class SubscriptionForm(forms.ModelForm):
    event_types = forms.MultipleChoiceField(
        label=_("Event types"), choices=EVENT_CHOICES, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Subscription
        fields = ["name", "store", "url", "event_types", "is_active", "allow_private_network"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        url = cleaned.get("url")
        if url and "event_types" in cleaned:
            try:
                cleaned["event_types"] = clean_subscription(
                    url=url,
                    allow_private_network=bool(cleaned.get("allow_private_network")),
                    event_types=cleaned["event_types"],
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    for error in errors:
                        self.add_error(field, error)
        return cleaned


def _secrets_page(
    model_admin: admin.ModelAdmin, request: HttpRequest, subscriptions: list[Subscription]
) -> TemplateResponse:
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": _("Signing secret"),
        "subscriptions": subscriptions,
    }
    return TemplateResponse(request, "admin/webhooks/subscription/secrets.html", context)


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    form = SubscriptionForm
    list_display = [
        "name",
        "store",
        "url",
        "events",
        "is_active",
        "allow_private_network",
        "created_by",
        "created_at",
    ]
    list_filter = ["is_active", "store", "allow_private_network"]
    list_select_related = ["store", "created_by"]
    search_fields = ["name", "url"]
    readonly_fields = ["secret_note", "created_by", "created_at"]
    actions = ["send_test_event", "rotate_secret"]

    @admin.display(description=_("events"))
    def events(self, subscription: Subscription) -> str:
        return ", ".join(subscription.event_types)

    @admin.display(description=_("signing secret"))
    def secret_note(self, subscription: Subscription) -> str:
        return str(_("Shown once when created; rotate it from the list to get a new one."))

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def response_add(
        self, request: HttpRequest, obj: Subscription, post_url_continue: str | None = None
    ) -> HttpResponse:
        # The secret is rendered into this one response only: not into a message (stored in a
        # cookie or the session), not into the change form.
        super().response_add(request, obj, post_url_continue)
        return _secrets_page(self, request, [obj])

    @admin.action(description=_("Send a test event"))
    def send_test_event(self, request: HttpRequest, queryset: QuerySet[Subscription]) -> None:
        for subscription in queryset:
            do_send_test_event(subscription, actor=request.user)  # type: ignore[arg-type]
        self.message_user(
            request,
            _("%(n)d test event(s) queued; see the delivery log.") % {"n": len(queryset)},
            messages.SUCCESS,
        )

    @admin.action(description=_("Rotate the signing secret"))
    def rotate_secret(
        self, request: HttpRequest, queryset: QuerySet[Subscription]
    ) -> TemplateResponse:
        subscriptions = list(queryset)
        for subscription in subscriptions:
            do_rotate_secret(subscription, actor=request.user)  # type: ignore[arg-type]
            self.log_change(request, subscription, [{"changed": {"fields": ["secret"]}}])
        return _secrets_page(self, request, subscriptions)


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "event_type",
        "subscription",
        "status",
        "attempts",
        "response_status",
        "duration_ms",
        "next_attempt_at",
    ]
    list_filter = ["status", "subscription", "event_type"]
    list_select_related = ["subscription"]
    search_fields = ["error", "response_excerpt"]
    date_hierarchy = "created_at"
    exclude = ["payload"]
    readonly_fields = [
        "subscription",
        "event",
        "event_type",
        "status",
        "attempts",
        "next_attempt_at",
        "response_status",
        "duration_ms",
        "error",
        "response_shown",
        "request_body",
        "created_at",
        "updated_at",
        "delivered_at",
    ]
    actions = ["retry"]

    @admin.display(description=_("request body"))
    def request_body(self, delivery: Delivery) -> str:
        body = encode_body(delivery.payload).decode()
        return format_html('<pre style="white-space:pre-wrap;max-height:40em">{}</pre>', body)

    @admin.display(description=_("response body (first 2 KB)"))
    def response_shown(self, delivery: Delivery) -> str:
        return format_html(
            '<pre style="white-space:pre-wrap;max-height:40em">{}</pre>',
            delivery.response_excerpt or "—",
        )

    @admin.action(description=_("Retry the failed ones"))
    def retry(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        queued, refused = 0, 0
        for delivery in queryset:
            try:
                do_retry_delivery(delivery, actor=request.user)  # type: ignore[arg-type]
            except WebhookError:
                refused += 1
            else:
                queued += 1
        self.message_user(
            request, _("%(n)d delivery(ies) queued again.") % {"n": queued}, messages.SUCCESS
        )
        if refused:
            self.message_user(
                request,
                _("%(n)d delivery(ies) were not failed and were left alone.") % {"n": refused},
                messages.WARNING,
            )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
