from django.contrib import admin

from zabota.routing.models import AgentStatus, CustomerManager, GroupRouting


@admin.register(GroupRouting)
class GroupRoutingAdmin(admin.ModelAdmin[GroupRouting]):
    list_display = ["group", "strategy", "last_assigned"]
    list_select_related = ["group", "last_assigned"]


@admin.register(CustomerManager)
class CustomerManagerAdmin(admin.ModelAdmin[CustomerManager]):
    list_display = ["customer", "store", "user"]
    raw_id_fields = ["customer"]


@admin.register(AgentStatus)
class AgentStatusAdmin(admin.ModelAdmin[AgentStatus]):
    list_display = ["user", "status", "changed_at"]
