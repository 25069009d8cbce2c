from django.contrib import admin

from zabota.sla.models import BusinessCalendar, Holiday, SlaPolicy, TicketSla, WeeklyHours


class WeeklyHoursInline(admin.TabularInline):
    model = WeeklyHours
    extra = 0


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 0


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = ["name", "store", "time_zone", "is_default"]
    list_filter = ["store", "is_default"]
    list_select_related = ["store"]
    search_fields = ["name"]
    inlines = [WeeklyHoursInline, HolidayInline]


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "store",
        "position",
        "is_active",
        "first_reply_within",
        "next_reply_within",
        "resolution_within",
        "calendar",
    ]
    list_editable = ["position", "is_active"]
    list_filter = ["store", "is_active"]
    list_select_related = ["store", "calendar"]
    search_fields = ["name"]
    ordering = ["store", "position", "pk"]


@admin.register(TicketSla)
class TicketSlaAdmin(admin.ModelAdmin):
    """Read-only: clocks are moved by ticket events and the sweep, never by hand."""

    list_display = ["ticket", "policy", "state", "next_due", "paused_at"]
    list_filter = ["state"]
    list_select_related = ["ticket", "policy"]
    raw_id_fields = ["ticket"]

    def has_add_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False
