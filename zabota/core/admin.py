from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from zabota.core.models import OutboxEvent, WorkerHeartbeat
from zabota.core.tasks import dispatch_event


@admin.register(OutboxEvent)
class OutboxEventAdmin(admin.ModelAdmin):
    list_display = ["id", "type", "created_at", "dispatched_at", "attempts", "failed"]
    list_filter = ["type", "failed", ("dispatched_at", admin.EmptyFieldListFilter)]
    readonly_fields = [f.name for f in OutboxEvent._meta.fields]
    actions = ["retry"]

    @admin.action(description=_("Retry dispatch"))
    def retry(self, request: HttpRequest, queryset: QuerySet[OutboxEvent]) -> None:
        ids = list(queryset.filter(dispatched_at__isnull=True).values_list("pk", flat=True))
        OutboxEvent.objects.filter(pk__in=ids).update(failed=False, attempts=0)
        for event_id in ids:
            dispatch_event.enqueue(event_id)
        self.message_user(
            request, _("%(n)d event(s) queued again.") % {"n": len(ids)}, messages.SUCCESS
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ["worker_id", "hostname", "pid", "started_at", "seen_at"]
