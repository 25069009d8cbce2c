"""Admin for mailboxes (IMAP/SMTP settings, "Test connection") and the mail we send."""

import re
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from zabota.channels.email.connection_test import probe_mailbox
from zabota.channels.email.constants import OutboundStatus
from zabota.channels.email.models import Mailbox, OutboundEmail
from zabota.channels.email.outbound import DeliveryError, do_retry_delivery

_SEPARATORS = re.compile(r"[\s,;]+")
PASSWORD_FIELDS = ("imap_password", "smtp_password")


def _validate_addresses(addresses: list[str]) -> None:
    for address in addresses:
        try:
            validate_email(address)
        except ValidationError as exc:
            message = _("“%(value)s” is not an e-mail address.")
            raise ValidationError(message, params={"value": address}) from exc


class AddressListField(forms.CharField):
    """Addresses one per line (or separated by commas) ⇄ a case-folded list."""

    widget = forms.Textarea(attrs={"rows": 2})

    def prepare_value(self, value: Any) -> Any:
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value) or ""
        addresses = list(dict.fromkeys(a.casefold() for a in _SEPARATORS.split(text) if a))
        _validate_addresses(addresses)
        return addresses


class MailboxForm(forms.ModelForm):
    aliases = AddressListField(
        label=_("Other addresses"),
        required=False,
        help_text=_("Further addresses that deliver to this mailbox, one per line."),
    )
    imap_password = forms.CharField(
        label=_("IMAP password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to keep the saved password."),
    )
    clear_imap_password = forms.BooleanField(
        label=_("Remove the saved IMAP password"), required=False
    )
    smtp_password = forms.CharField(
        label=_("SMTP password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to keep the saved password."),
    )
    clear_smtp_password = forms.BooleanField(
        label=_("Remove the saved SMTP password"), required=False
    )

    class Meta:
        model = Mailbox
        # The webhook secret is shown, not edited; UID bookkeeping is the poller's.
        fields = [
            "store",
            "name",
            "address",
            "aliases",
            "from_name",
            "is_active",
            "send_acknowledgement",
            "imap_enabled",
            "imap_host",
            "imap_port",
            "imap_security",
            "imap_username",
            "imap_password",
            "imap_folder",
            "imap_archive_folder",
            "smtp_enabled",
            "smtp_host",
            "smtp_port",
            "smtp_security",
            "smtp_username",
            "smtp_password",
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name in PASSWORD_FIELDS:
            if cleaned.get(f"clear_{name}"):
                cleaned[name] = ""
            elif not cleaned.get(name):
                # Passwords are never shown again; an empty field means "unchanged".
                cleaned[name] = getattr(self.instance, name) or ""
        required = {
            "imap_enabled": ("imap_host", "imap_username", "imap_folder"),
            "smtp_enabled": ("smtp_host",),
        }
        for switch, fields in required.items():
            if cleaned.get(switch):
                for name in fields:
                    if not cleaned.get(name):
                        self.add_error(name, _("Required when this is turned on."))
        address = (cleaned.get("address") or "").casefold()
        if address and address in cleaned.get("aliases", []):
            self.add_error("aliases", _("The support address itself is not an alias."))
        return cleaned


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    form = MailboxForm
    change_form_template = "admin/email/mailbox/change_form.html"
    list_display = [
        "address",
        "name",
        "store",
        "is_active",
        "imap_enabled",
        "smtp_enabled",
        "send_acknowledgement",
        "last_poll_at",
        "poll_state",
    ]
    list_filter = ["store", "is_active", "imap_enabled", "smtp_enabled"]
    list_select_related = ["store"]
    search_fields = ["address", "name", "aliases"]
    readonly_fields = [
        "webhook_secret_shown",
        "last_poll_at",
        "last_poll_error",
        "uidvalidity",
        "last_uid",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "store",
                    "name",
                    "address",
                    "aliases",
                    "from_name",
                    "is_active",
                    "send_acknowledgement",
                ]
            },
        ),
        (
            _("Receiving by IMAP"),
            {
                "fields": [
                    "imap_enabled",
                    ("imap_host", "imap_port", "imap_security"),
                    "imap_username",
                    ("imap_password", "clear_imap_password"),
                    "imap_folder",
                    "imap_archive_folder",
                ]
            },
        ),
        (
            _("Sending by SMTP"),
            {
                "fields": [
                    "smtp_enabled",
                    ("smtp_host", "smtp_port", "smtp_security"),
                    "smtp_username",
                    ("smtp_password", "clear_smtp_password"),
                ]
            },
        ),
        (_("Webhook"), {"fields": ["webhook_secret_shown"]}),
        (
            _("Polling"),
            {"fields": ["last_poll_at", "last_poll_error", "uidvalidity", "last_uid"]},
        ),
    ]

    @admin.display(description=_("webhook secret"))
    def webhook_secret_shown(self, mailbox: Mailbox) -> str:
        return mailbox.webhook_secret or "—"

    @admin.display(description=_("folder UIDVALIDITY"))
    def uidvalidity(self, mailbox: Mailbox) -> str:
        return str(mailbox.imap_uidvalidity) if mailbox.imap_uidvalidity is not None else "—"

    @admin.display(description=_("last UID taken"))
    def last_uid(self, mailbox: Mailbox) -> int:
        return mailbox.imap_last_uid

    @admin.display(description=_("polling"))
    def poll_state(self, mailbox: Mailbox) -> str:
        if not mailbox.imap_enabled:
            return "—"
        if mailbox.last_poll_error:
            return format_html('<span title="{}">✗ {}</span>', mailbox.last_poll_error, _("error"))
        return "✓" if mailbox.last_poll_at else str(_("not yet"))

    def get_urls(self) -> list[URLPattern]:
        test = path(
            "<path:object_id>/test-connection/",
            self.admin_site.admin_view(self.test_connection_view),
            name="email_mailbox_test_connection",
        )
        return [test, *super().get_urls()]

    def test_connection_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Try the saved IMAP and SMTP settings and show every step, up to the one that failed."""
        mailbox = self.get_object(request, unquote(object_id))
        if mailbox is None or not self.has_change_permission(request, mailbox):
            raise Http404
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": mailbox,
            "title": _("Test connection of %(mailbox)s") % {"mailbox": mailbox},
            "reports": probe_mailbox(mailbox),
        }
        return TemplateResponse(request, "admin/email/mailbox/test_connection.html", context)


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "kind",
        "status",
        "to_address",
        "subject",
        "attempts",
        "sent_at",
        "ticket_link",
    ]
    list_filter = ["status", "kind", "mailbox"]
    list_select_related = ["ticket", "mailbox"]
    search_fields = ["to_address", "subject", "message_id_header"]
    date_hierarchy = "created_at"
    exclude = ["raw"]
    readonly_fields = [
        "mailbox",
        "ticket_link",
        "message",
        "kind",
        "to_address",
        "subject",
        "message_id_header",
        "in_reply_to",
        "references",
        "status",
        "attempts",
        "last_error",
        "next_attempt_at",
        "created_at",
        "sent_at",
        "composed",
    ]
    actions = ["send_again"]

    @admin.display(description=_("ticket"))
    def ticket_link(self, outbound: OutboundEmail) -> str:
        url = reverse("web:ticket", args=[outbound.ticket_id])
        return format_html('<a href="{}">#{}</a>', url, outbound.ticket.number)

    @admin.display(description=_("composed message"))
    def composed(self, outbound: OutboundEmail) -> str:
        text = bytes(outbound.raw).decode("ascii", "replace")
        return format_html('<pre style="white-space:pre-wrap;max-height:40em">{}</pre>', text)

    @admin.action(description=_("Send the failed ones again"))
    def send_again(self, request: HttpRequest, queryset: QuerySet[OutboundEmail]) -> None:
        queued, refused = 0, []
        for outbound in queryset.filter(status=OutboundStatus.FAILED):
            try:
                do_retry_delivery(outbound, actor=request.user)  # type: ignore[arg-type]
            except DeliveryError as exc:
                refused.append(f"{outbound.to_address}: {exc.message}")
            else:
                queued += 1
        self.message_user(
            request, _("%(n)d e-mail(s) queued again.") % {"n": queued}, messages.SUCCESS
        )
        if refused:
            self.message_user(request, "; ".join(refused), messages.WARNING)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
