import secrets

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zabota.channels.email.constants import (
    InboundStatus,
    OutboundKind,
    OutboundStatus,
    Security,
    Source,
)
from zabota.core.fields import EncryptedTextField
from zabota.core.models import TimestampedModel


def new_webhook_secret() -> str:
    return secrets.token_urlsafe(32)


class Mailbox(TimestampedModel):
    """A support address of a store, with how mail reaches it (IMAP) and leaves it (SMTP)."""

    store = models.ForeignKey("commerce.Store", on_delete=models.CASCADE, related_name="mailboxes")
    name = models.CharField(_("name"), max_length=100)
    address = models.EmailField(_("support address"), unique=True)
    aliases = models.JSONField(
        _("other addresses"),
        default=list,
        blank=True,
        help_text=_("Further addresses that deliver to this mailbox, e.g. help@, orders@."),
    )
    from_name = models.CharField(_("sender name"), max_length=100, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    imap_enabled = models.BooleanField(_("poll by IMAP"), default=False)
    imap_host = models.CharField(_("IMAP host"), max_length=255, blank=True)
    imap_port = models.PositiveIntegerField(_("IMAP port"), default=993)
    imap_security = models.CharField(
        _("IMAP security"), max_length=8, choices=Security.choices, default=Security.SSL
    )
    imap_username = models.CharField(_("IMAP user"), max_length=255, blank=True)
    imap_password = EncryptedTextField(_("IMAP password"), blank=True)
    imap_folder = models.CharField(_("IMAP folder"), max_length=255, default="INBOX")
    imap_archive_folder = models.CharField(
        _("move processed mail to"),
        max_length=255,
        blank=True,
        help_text=_("Empty: leave messages in place and mark them as seen."),
    )
    # UID bookkeeping: a message is only acknowledged on the server after it is committed here.
    imap_uidvalidity = models.BigIntegerField(null=True, blank=True, editable=False)
    imap_last_uid = models.BigIntegerField(default=0, editable=False)
    last_poll_at = models.DateTimeField(_("last poll"), null=True, blank=True, editable=False)
    last_poll_error = models.TextField(_("last poll error"), blank=True, editable=False)
    # Set by the worker that polls the mailbox right now (an atomic claim with a lease), so two
    # workers never poll it at once; a crashed worker's claim simply runs out.
    imap_claimed_until = models.DateTimeField(null=True, blank=True, editable=False)

    smtp_enabled = models.BooleanField(_("send by SMTP"), default=False)
    smtp_host = models.CharField(_("SMTP host"), max_length=255, blank=True)
    smtp_port = models.PositiveIntegerField(_("SMTP port"), default=587)
    smtp_security = models.CharField(
        _("SMTP security"), max_length=8, choices=Security.choices, default=Security.STARTTLS
    )
    smtp_username = models.CharField(_("SMTP user"), max_length=255, blank=True)
    smtp_password = EncryptedTextField(_("SMTP password"), blank=True)

    webhook_secret = EncryptedTextField(
        _("webhook secret"),
        default=new_webhook_secret,
        help_text=_("Signs POST /api/v1/inbound/email requests (HMAC-SHA256 of the body)."),
    )
    send_acknowledgement = models.BooleanField(
        _("acknowledge new tickets"),
        default=False,
        help_text=_("Answer a new e-mail ticket with an automatic note carrying its number."),
    )

    class Meta:
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")

    def __str__(self) -> str:
        return f"{self.name} <{self.address}>"

    @property
    def all_addresses(self) -> list[str]:
        return [self.address.casefold(), *(a.casefold() for a in self.aliases)]


class InboundEmail(models.Model):
    """One received e-mail, stored raw before anything else so it can always be replayed.

    ``dedupe_key`` is derived from the Message-ID and the content (not from transport headers), so
    the same mail arriving by IMAP, pipe and webhook is stored once.
    """

    dedupe_key = models.CharField(max_length=64, unique=True)
    message_id_header = models.CharField(_("Message-ID"), max_length=998, blank=True)
    raw = models.BinaryField(_("raw message"))
    size = models.PositiveIntegerField(_("size"))
    source = models.CharField(_("source"), max_length=8, choices=Source.choices)
    mailbox = models.ForeignKey(
        Mailbox, on_delete=models.SET_NULL, null=True, blank=True, related_name="inbound"
    )
    envelope_recipient = models.CharField(_("envelope recipient"), max_length=320, blank=True)
    sender = models.CharField(_("sender"), max_length=320, blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    status = models.CharField(
        _("status"), max_length=12, choices=InboundStatus.choices, default=InboundStatus.RECEIVED
    )
    # How it was routed: new_ticket, reply_token, reply_references, reply_subject, bounce, …
    outcome = models.CharField(_("outcome"), max_length=32, blank=True)
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    message = models.ForeignKey(
        "tickets.Message", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)
    # After a failed attempt: when the worker's sweep tries again (exponential backoff).
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)

    class Meta:
        verbose_name = _("inbound e-mail")
        verbose_name_plural = _("inbound e-mails")
        indexes = [
            models.Index(fields=["status", "received_at"], name="inbound_status_idx"),
            models.Index(fields=["sender", "received_at"], name="inbound_sender_idx"),
            models.Index(fields=["message_id_header"], name="inbound_message_id_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.sender}: {self.subject}"


class OutboundEmail(models.Model):
    """One e-mail we send: composed once (retries send identical bytes), delivered by a task."""

    mailbox = models.ForeignKey(Mailbox, on_delete=models.PROTECT, related_name="outbound")
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    message = models.OneToOneField(
        "tickets.Message",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="outbound_email",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=OutboundKind.choices)
    to_address = models.CharField(_("to"), max_length=320)
    subject = models.CharField(_("subject"), max_length=300)
    message_id_header = models.CharField(_("Message-ID"), max_length=998, unique=True)
    in_reply_to = models.CharField(max_length=998, blank=True)
    references = models.TextField(blank=True)
    raw = models.BinaryField(_("composed message"))
    status = models.CharField(
        _("status"), max_length=10, choices=OutboundStatus.choices, default=OutboundStatus.QUEUED
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbound e-mail")
        verbose_name_plural = _("outbound e-mails")
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbound_due_idx")]

    def __str__(self) -> str:
        return f"{self.to_address}: {self.subject}"
