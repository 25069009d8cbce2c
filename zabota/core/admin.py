import json

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from django_tasks_db.admin import DBTaskResultAdmin

from zabota.core.failed_tasks import do_retry_failed_task, failed_tasks
from zabota.core.models import FailedTask, JobLease, OutboxEvent, WorkerHeartbeat
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


@admin.register(JobLease)
class JobLeaseAdmin(admin.ModelAdmin):
    list_display = ["name", "holder", "expires_at"]
    readonly_fields = ["name", "holder", "expires_at"]


@admin.register(FailedTask)
class FailedTaskAdmin(DBTaskResultAdmin):
    """The database backend's own task-result admin, narrowed to failures, with a retry."""

    list_display: tuple[str, ...] = (  # type: ignore[assignment]
        "task_path",
        "arguments",
        "error",
        "attempts",
        "enqueued_at",
        "finished_at",
        "retried",
    )
    list_filter = (  # type: ignore[assignment]
        ("retry", admin.EmptyFieldListFilter),
        "queue_name",
    )
    ordering = ["-finished_at"]
    search_fields = ["task_path", "exception_class_path"]
    actions = ["retry_selected"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[FailedTask]:
        return failed_tasks()

    def get_urls(self) -> list[URLPattern]:
        retry = self.admin_site.admin_view(require_POST(self.retry_view))
        return [
            path("<path:object_id>/retry/", retry, name="core_failedtask_retry"),
            *super().get_urls(),
        ]

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("core.change_failedtask")

    @admin.display(description=_("arguments"))
    def arguments(self, obj: FailedTask) -> str:
        return Truncator(json.dumps(obj.args_kwargs, ensure_ascii=False)).chars(80)

    @admin.display(description=_("error"))
    def error(self, obj: FailedTask) -> str:
        last_line = obj.traceback.strip().rsplit("\n", 1)[-1] if obj.traceback else ""
        return Truncator(last_line or obj.exception_class_path).chars(120)

    @admin.display(description=_("attempts"))
    def attempts(self, obj: FailedTask) -> int:
        return len(obj.worker_ids)

    @admin.display(description=_("retried"))
    def retried(self, obj: FailedTask) -> str:
        if hasattr(obj, "retry"):
            retried_at = date_format(localtime(obj.retry.created_at), "SHORT_DATETIME_FORMAT")
            return format_html("{} {}", _("retried at"), retried_at)
        # The change list is one form: the button posts it (with its CSRF token) to the retry URL.
        return format_html(
            '<button type="submit" class="button" formaction="{}" formmethod="post">{}</button>',
            reverse("admin:core_failedtask_retry", args=[obj.pk]),
            _("Retry"),
        )

    @admin.action(description=_("Retry the selected tasks"), permissions=["retry"])
    def retry_selected(self, request: HttpRequest, queryset: QuerySet[FailedTask]) -> None:
        retried = [
            pk
            for pk in queryset.values_list("pk", flat=True)
            if do_retry_failed_task(pk, actor=request.user)
        ]
        self.message_user(
            request, _("%(n)d task(s) queued again.") % {"n": len(retried)}, messages.SUCCESS
        )

    def retry_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if not self.has_retry_permission(request):
            return HttpResponse(status=403)
        result = get_object_or_404(self.get_queryset(request), pk=object_id)
        if do_retry_failed_task(result.pk, actor=request.user):
            self.message_user(request, _("The task was queued again."), messages.SUCCESS)
        else:
            self.message_user(request, _("This task was already retried."), messages.WARNING)
        return HttpResponseRedirect(reverse("admin:core_failedtask_changelist"))
