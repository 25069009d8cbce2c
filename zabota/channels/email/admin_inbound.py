"""Admin for received mail: what happened to each one, the raw bytes, retry, held senders."""

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from zabota.channels.email.constants import InboundStatus
from zabota.channels.email.models import InboundEmail
from zabota.channels.email.process import (
    do_discard_held,
    do_release_held,
    do_retry,
    held_from,
    held_senders,
)


@admin.register(InboundEmail)
class InboundEmailAdmin(admin.ModelAdmin):
    list_display = [
        "received_at",
        "status",
        "outcome",
        "sender",
        "subject",
        "source",
        "mailbox",
        "ticket_link",
        "attempts",
    ]
    list_filter = ["status", "outcome", "source", "mailbox"]
    list_select_related = ["mailbox", "ticket"]
    search_fields = ["sender", "subject", "message_id_header"]
    date_hierarchy = "received_at"
    ordering = ["-received_at", "-pk"]
    exclude = ["raw"]
    readonly_fields = [
        "received_at",
        "status",
        "outcome",
        "error",
        "attempts",
        "next_attempt_at",
        "processed_at",
        "sender",
        "subject",
        "message_id_header",
        "source",
        "mailbox",
        "envelope_recipient",
        "size",
        "dedupe_key",
        "ticket_link",
        "message",
        "raw_download",
    ]
    actions = ["retry", "release", "discard"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[InboundEmail]:
        # The raw bytes can be megabytes per row: only the download reads them.
        return super().get_queryset(request).defer("raw")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # Read-only: a mail's fate changes through the actions, never by editing fields.
        return False

    @admin.display(description=_("ticket"), ordering="ticket__number")
    def ticket_link(self, inbound: InboundEmail) -> str:
        if inbound.ticket is None:
            return "—"
        url = reverse("web:ticket", args=[inbound.ticket_id])
        return format_html('<a href="{}">#{}</a>', url, inbound.ticket.number)

    @admin.display(description=_("raw message"))
    def raw_download(self, inbound: InboundEmail) -> str:
        url = reverse("admin:email_inboundemail_raw", args=[inbound.pk])
        return format_html('<a href="{}">{}</a> ({} bytes)', url, _("Download .eml"), inbound.size)

    # -- actions ---------------------------------------------------------------------------

    @admin.action(description=_("Retry quarantined or failed mails"))
    def retry(self, request: HttpRequest, queryset: QuerySet[InboundEmail]) -> None:
        count = do_retry(list(queryset.values_list("pk", flat=True)))
        self.message_user(
            request, _("%(n)d mail(s) queued for processing.") % {"n": count}, messages.SUCCESS
        )

    @admin.action(description=_("Release held mails (process them)"))
    def release(self, request: HttpRequest, queryset: QuerySet[InboundEmail]) -> None:
        count = do_release_held(list(queryset.values_list("pk", flat=True)))
        self.message_user(
            request, _("%(n)d held mail(s) released.") % {"n": count}, messages.SUCCESS
        )

    @admin.action(description=_("Discard held mails (keep, never process)"))
    def discard(self, request: HttpRequest, queryset: QuerySet[InboundEmail]) -> None:
        count = do_discard_held(list(queryset.values_list("pk", flat=True)))
        self.message_user(
            request, _("%(n)d held mail(s) discarded.") % {"n": count}, messages.SUCCESS
        )

    # -- extra pages -----------------------------------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        extra = [
            path(
                "<int:inbound_id>/raw/",
                self.admin_site.admin_view(self.raw_view),
                name="email_inboundemail_raw",
            ),
            path(
                "held-senders/",
                self.admin_site.admin_view(self.held_senders_view),
                name="email_inboundemail_held",
            ),
            path(
                "held-senders/decide/",
                self.admin_site.admin_view(require_POST(self.held_decide_view)),
                name="email_inboundemail_held_decide",
            ),
        ]
        return extra + super().get_urls()

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        held = InboundEmail.objects.filter(status=InboundStatus.HELD).count()
        return super().changelist_view(request, {**(extra_context or {}), "held_count": held})

    def raw_view(self, request: HttpRequest, inbound_id: int) -> HttpResponse:
        """The stored bytes exactly as received, as a download (never rendered inline)."""
        if not self.has_view_permission(request):
            return HttpResponse(status=404)
        inbound = get_object_or_404(InboundEmail, pk=inbound_id)
        response = HttpResponse(bytes(inbound.raw), content_type="message/rfc822")
        response["Content-Disposition"] = f'attachment; filename="inbound-{inbound.pk}.eml"'
        response["X-Content-Type-Options"] = "nosniff"
        return response

    def held_senders_view(self, request: HttpRequest) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Held senders"),
            "senders": held_senders(),
        }
        return TemplateResponse(request, "admin/email/inboundemail/held_senders.html", context)

    def held_decide_view(self, request: HttpRequest) -> HttpResponse:
        sender = request.POST.get("sender", "")
        ids = held_from(sender)
        if request.POST.get("decision") == "release":
            count = do_release_held(ids)
            text = _("%(n)d mail(s) from %(sender)s released.")
        else:
            count = do_discard_held(ids)
            text = _("%(n)d mail(s) from %(sender)s discarded.")
        self.message_user(request, text % {"n": count, "sender": sender}, messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:email_inboundemail_held"))
