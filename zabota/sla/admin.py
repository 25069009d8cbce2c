from django.contrib import admin

from zabota.sla.models import BusinessCalendar, Holiday, WeeklyHours


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
