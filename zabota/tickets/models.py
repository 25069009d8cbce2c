from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from zabota.core.models import TimestampedModel
from zabota.tickets.constants import (
    ACTIVE_STATUSES,
    Channel,
    EventKind,
    MessageKind,
    Priority,
    Status,
)


class Tag(models.Model):
    store = models.ForeignKey("commerce.Store", on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(_("name"), max_length=64)
    color = models.CharField(_("colour"), max_length=7, default="#64748b")

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["store", "name"], name="tag_unique_name")]

    def __str__(self) -> str:
        return self.name


class Ticket(TimestampedModel):
    store = models.ForeignKey("commerce.Store", on_delete=models.PROTECT, related_name="tickets")
    number = models.PositiveIntegerField(_("number"))
    subject = models.CharField(_("subject"), max_length=300)
    status = models.CharField(
        _("status"), max_length=24, choices=Status.choices, default=Status.NEW
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    language = models.CharField(_("language"), max_length=8, blank=True)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="tickets"
    )
    group = models.ForeignKey(
        "accounts.Group", on_delete=models.SET_NULL, null=True, blank=True, related_name="tickets"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_tickets",
    )
    tags = models.ManyToManyField(Tag, related_name="tickets", blank=True)
    merged_into = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="merged_from"
    )
    # Bumped on every change; the reply form carries the version the agent saw (collisions).
    version = models.PositiveIntegerField(default=1)
    last_activity_at = models.DateTimeField(_("last activity"))
    last_customer_message_at = models.DateTimeField(null=True, blank=True)
    first_reply_at = models.DateTimeField(_("first reply"), null=True, blank=True)
    awaiting_since = models.DateTimeField(null=True, blank=True)
    solved_at = models.DateTimeField(_("solved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    message_count = models.PositiveIntegerField(default=0)
    # First characters of the latest customer-visible message, for inbox rows.
    preview = models.CharField(max_length=160, blank=True)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        constraints = [
            models.UniqueConstraint(fields=["store", "number"], name="ticket_unique_number")
        ]
        indexes = [
            # Inbox views: newest activity first, keyset on (last_activity_at, id).
            models.Index(fields=["-last_activity_at", "-id"], name="ticket_activity_idx"),
            models.Index(fields=["status", "-last_activity_at", "-id"], name="ticket_status_idx"),
            models.Index(
                fields=["group", "status", "-last_activity_at", "-id"], name="ticket_group_idx"
            ),
            models.Index(
                fields=["assignee", "status", "-last_activity_at", "-id"],
                name="ticket_assignee_idx",
            ),
            models.Index(fields=["customer", "-last_activity_at"], name="ticket_customer_idx"),
            models.Index(fields=["-created_at", "-id"], name="ticket_created_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.number} {self.subject}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class Message(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(_("kind"), max_length=16, choices=MessageKind.choices)
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    author_customer = models.ForeignKey(
        "customers.Customer", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    body_text = models.TextField(_("text"))
    # Sanitised on the way in (zabota.core.html.sanitize_html); safe to render.
    body_html = models.TextField(_("HTML"), blank=True)
    # Channel-specific details: e-mail headers, chat visitor id, phone call id …
    channel_meta = models.JSONField(default=dict, blank=True)
    external_id = models.CharField(max_length=255, blank=True)
    # The ticket this message was first posted to, kept when tickets are merged.
    original_ticket_number = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(_("created"))

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        indexes = [
            models.Index(fields=["ticket", "created_at", "id"], name="message_ticket_idx"),
            # Threading: replies name the Message-IDs of earlier messages.
            models.Index(
                fields=["external_id"],
                name="message_external_id_idx",
                condition=~models.Q(external_id=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} on {self.ticket_id}"

    @property
    def is_note(self) -> bool:
        return self.kind == MessageKind.NOTE


def attachment_path(instance: "Attachment", filename: str) -> str:
    return f"attachments/{instance.sha256[:2]}/{instance.sha256}"


class Attachment(models.Model):
    """A file sent with a message. Stored under its hash; served only as a download."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path)
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=127)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    # Content-ID for inline images referenced as cid: in the message HTML.
    content_id = models.CharField(max_length=255, blank=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.filename


class TicketEvent(models.Model):
    """The timeline: one row for every change to a ticket, written in the same transaction."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Who acted when it was not a user: "customer", "system", a rule's name …
    actor_label = models.CharField(max_length=150, blank=True)
    data = models.JSONField(default=dict)
    # The ticket's version after this change.
    version = models.PositiveIntegerField()
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["ticket", "version"], name="ticket_event_idx")]

    def __str__(self) -> str:
        return f"{self.kind} v{self.version}"


class TicketViewer(models.Model):
    """Who has a ticket open right now (refreshed by the ticket page while it is visible)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    seen_at = models.DateTimeField()
    typing = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ticket", "user"], name="ticket_viewer_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} viewing {self.ticket_id}"


class Macro(TimestampedModel):
    """A canned reply with variables; one text per language, optional side effects."""

    store = models.ForeignKey(
        "commerce.Store",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="macros",
        help_text=_("Empty: available in every store."),
    )
    name = models.CharField(_("name"), max_length=120)
    is_active = models.BooleanField(_("active"), default=True)
    set_status = models.CharField(
        _("then set status"), max_length=24, choices=Status.choices, blank=True
    )
    add_tags = models.ManyToManyField(
        Tag, blank=True, related_name="+", verbose_name=_("then add tags")
    )

    class Meta:
        verbose_name = _("macro")
        verbose_name_plural = _("macros")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class MacroText(models.Model):
    macro = models.ForeignKey(Macro, on_delete=models.CASCADE, related_name="texts")
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    body = models.TextField(
        _("text"),
        help_text=_(
            "Variables: {{ customer.first_name }}, {{ customer.name }}, {{ ticket.number }}, "
            "{{ ticket.subject }}, {{ agent.name }}, {{ store.name }}."
        ),
    )

    class Meta:
        verbose_name = _("macro text")
        verbose_name_plural = _("macro texts")
        constraints = [
            models.UniqueConstraint(fields=["macro", "language"], name="macro_text_unique_lang")
        ]

    def __str__(self) -> str:
        return f"{self.macro} [{self.language}]"
