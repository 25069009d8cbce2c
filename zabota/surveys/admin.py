"""Admin for public survey submissions not yet made into responses: how many wait, which
failed and why, and a retry once the cause is fixed."""

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from zabota.surveys.models import Submission
from zabota.surveys.submissions import MAX_ATTEMPTS, backlog, do_retry_submissions


class _StateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("waiting", _("Waiting")),
            ("failed", _("Failed")),
            ("processed", _("Processed")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Submission]) -> Any:
        value = self.value()
        if value == "waiting":
            return queryset.filter(processed_at__isnull=True, attempts__lt=MAX_ATTEMPTS)
        if value == "failed":
            return queryset.filter(processed_at__isnull=True, attempts__gte=MAX_ATTEMPTS)
        if value == "processed":
            return queryset.filter(processed_at__isnull=False)
        return queryset


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = [
        "received_at",
        "survey",
        "channel",
        "source",
        "processed_at",
        "attempts",
        "last_error",
    ]
    list_filter = [_StateFilter, "channel"]
    list_select_related = ["survey"]
    search_fields = ["submission_key"]
    readonly_fields = [field.name for field in Submission._meta.fields]
    date_hierarchy = "received_at"
    actions = ["retry"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> Any:
        counts = backlog()
        if counts.waiting or counts.failed:
            self.message_user(
                request,
                _("%(waiting)s waiting, %(failed)s failed.")
                % {"waiting": counts.waiting, "failed": counts.failed},
                messages.WARNING if counts.failed else messages.INFO,
            )
        return super().changelist_view(request, extra_context)

    @admin.action(description=_("Retry the selected submissions"))
    def retry(self, request: HttpRequest, queryset: QuerySet[Submission]) -> None:
        count = do_retry_submissions(list(queryset.values_list("pk", flat=True)))
        self.message_user(
            request,
            ngettext(
                "%(count)s submission queued again.", "%(count)s submissions queued again.", count
            )
            % {"count": count},
        )
