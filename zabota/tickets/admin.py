from django.contrib import admin

from zabota.tickets.models import Macro, MacroText, Tag


class MacroTextInline(admin.StackedInline):
    model = MacroText
    extra = 1


@admin.register(Macro)
class MacroAdmin(admin.ModelAdmin):
    list_display = ["name", "store", "is_active", "set_status"]
    list_filter = ["store", "is_active"]
    filter_horizontal = ["add_tags"]
    inlines = [MacroTextInline]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "store", "color"]
    list_filter = ["store"]
    search_fields = ["name"]
