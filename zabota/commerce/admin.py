import json

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from zabota.commerce import admin_orders  # noqa: F401  (orders, rates, segment settings)
from zabota.commerce.constants import DeliveryStatus
from zabota.commerce.models import Store, WebhookDelivery
from zabota.commerce.webhooks import MAX_ATTEMPTS, process_delivery


@admin.register(Store)
class StoreAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "email", "time_zone", "default_language", "currency"]
    prepopulated_fields = {"slug": ["name"]}


class RetriesFilter(admin.SimpleListFilter):
    """Failed deliveries the automatic retries gave up on: they wait for an admin."""

    title = _("automatic retries")
    parameter_name = "retries"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("exhausted", str(_("exhausted (failed for good)")))]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]
    ) -> QuerySet[WebhookDelivery]:
        if self.value() == "exhausted":
            return queryset.filter(status=DeliveryStatus.FAILED, attempts__gte=MAX_ATTEMPTS)
        return queryset


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """Deliveries as the platforms sent them, read-only (the raw body is the evidence). Failed
    ones are retried automatically until ``MAX_ATTEMPTS``; after that, or any time, "Process
    again" runs the selected ones once more."""

    list_display = [
        "id",
        "created_at",
        "store",
        "source",
        "topic",
        "status",
        "order_ref",
        "attempts",
        "processed_at",
    ]
    list_filter = ["status", RetriesFilter, "source", "store", "topic"]
    search_fields = ["delivery_id", "order_ref", "topic"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-pk"]
    fields = readonly_fields = (
        "store",
        "source",
        "topic",
        "delivery_id",
        "order_ref",
        "status",
        "attempts",
        "error",
        "created_at",
        "processed_at",
        "pretty_body",
    )
    actions = ["process_again"]

    @admin.display(description=_("body"))
    def pretty_body(self, obj: WebhookDelivery) -> str:
        raw = bytes(obj.body)
        try:
            text = json.dumps(json.loads(raw), indent=2, ensure_ascii=False, sort_keys=True)
        except ValueError:
            text = raw.decode("utf-8", "replace")
        return format_html('<pre style="white-space: pre-wrap">{}</pre>', text)

    @admin.action(description=_("Process again"))
    def process_again(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        outcomes: dict[str, int] = {}
        for pk in queryset.order_by("created_at", "pk").values_list("pk", flat=True):
            delivery = process_delivery(pk, again=True)
            label = str(delivery.get_status_display())
            outcomes[label] = outcomes.get(label, 0) + 1
        summary = ", ".join(f"{label}: {n}" for label, n in sorted(outcomes.items()))
        failed = WebhookDelivery.objects.filter(
            pk__in=queryset.values("pk"), status=DeliveryStatus.FAILED
        ).exists()
        self.message_user(
            request,
            _("Processed again — %(summary)s.") % {"summary": summary},
            messages.WARNING if failed else messages.SUCCESS,
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
