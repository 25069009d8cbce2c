from django.contrib import admin

from zabota.customers.models import Customer, CustomerEvent, Identity


class IdentityInline(admin.TabularInline):
    model = Identity
    extra = 0


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["display_name", "language", "created_at", "merged_into"]
    search_fields = ["display_name", "identities__value"]
    inlines = [IdentityInline]
    readonly_fields = ["merged_into"]


@admin.register(CustomerEvent)
class CustomerEventAdmin(admin.ModelAdmin):
    list_display = ["customer", "kind", "actor", "created_at"]
    readonly_fields = ["customer", "kind", "actor", "data", "created_at"]
