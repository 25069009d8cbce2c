from django.contrib import admin

from zabota.commerce.models import Store


@admin.register(Store)
class StoreAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "email", "time_zone", "default_language", "currency"]
    prepopulated_fields = {"slug": ["name"]}
