"""Admin for orders and what hangs off them, exchange rates and segment thresholds. Orders are
read-only here: they belong to the store's platform and change through imports and webhooks."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from zabota.commerce.models import (
    CustomerStats,
    ExchangeRate,
    Order,
    OrderLine,
    Refund,
    Return,
    SegmentSettings,
    Shipment,
)


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class LineInline(_ReadOnlyInline):
    model = OrderLine
    fields = ["sku", "title", "variant", "quantity", "price", "total"]


class ShipmentInline(_ReadOnlyInline):
    model = Shipment
    fields = ["carrier", "tracking_number", "tracking_url", "status", "shipped_at", "delivered_at"]


class RefundInline(_ReadOnlyInline):
    model = Refund
    fields = ["external_id", "amount", "reason", "refunded_at"]


class ReturnInline(_ReadOnlyInline):
    model = Return
    fields = ["external_id", "status", "reason", "requested_at", "received_at"]


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = [
        "number",
        "store",
        "customer",
        "status",
        "financial_status",
        "fulfillment_status",
        "total",
        "currency",
        "placed_at",
    ]
    list_filter = ["store", "source", "status", "financial_status", "fulfillment_status"]
    search_fields = ["number", "external_id", "email", "phone"]
    date_hierarchy = "placed_at"
    list_select_related = ["store", "customer"]
    raw_id_fields = ["customer"]
    inlines = [LineInline, ShipmentInline, RefundInline, ReturnInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ExchangeRate)
class ExchangeRateAdmin(admin.ModelAdmin):
    list_display = ["store", "currency", "rate", "valid_from"]
    list_filter = ["store", "currency"]


@admin.register(SegmentSettings)
class SegmentSettingsAdmin(admin.ModelAdmin):
    list_display = ["store", "vip_threshold", "repeat_min_orders", "dormant_days"]


@admin.register(CustomerStats)
class CustomerStatsAdmin(admin.ModelAdmin):
    list_display = [
        "customer",
        "store",
        "lifetime_value",
        "order_count",
        "last_order_at",
        "return_rate",
    ]
    list_filter = ["store"]
    search_fields = ["customer__display_name"]
    list_select_related = ["customer", "store"]
    raw_id_fields = ["customer"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
