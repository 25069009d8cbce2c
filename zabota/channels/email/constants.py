from django.db import models
from django.utils.translation import gettext_lazy as _


class Security(models.TextChoices):
    # Implicit TLS from the first byte (IMAPS 993, SMTPS 465).
    SSL = "ssl", _("SSL/TLS")
    # Plain connection upgraded with STARTTLS (IMAP 143, submission 587).
    STARTTLS = "starttls", _("STARTTLS")
    # No encryption: only for servers on the same host or a private network.
    NONE = "none", _("None")


class Source(models.TextChoices):
    IMAP = "imap", _("IMAP")
    # `zabota ingest-email` reading stdin (Postfix/Exim pipe).
    PIPE = "pipe", _("MTA pipe")
    # POST /api/v1/inbound/email with an HMAC signature.
    WEBHOOK = "webhook", _("Webhook")


class InboundStatus(models.TextChoices):
    # Stored raw and acknowledged; processing is queued.
    RECEIVED = "received", _("Received")
    # Became a message in a ticket (new or existing).
    PROCESSED = "processed", _("Processed")
    # A bounce or auto-reply attached to the ticket it concerns, as a note; no new ticket.
    ATTACHED = "attached", _("Attached to ticket")
    # Noise with nothing to attach to (auto-replies, bulk mail): kept and logged, no ticket.
    IGNORED = "ignored", _("Ignored")
    # Sender over the burst limit: kept for an admin to release or discard.
    HELD = "held", _("Held for review")
    # Could not be parsed: raw bytes kept with the reason, downloadable, retriable.
    QUARANTINED = "quarantined", _("Quarantined")
    # Processing failed (e.g. database error): will be retried, visible to admins.
    FAILED = "failed", _("Failed")


class OutboundStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    # The last attempt failed; another is scheduled with backoff.
    RETRYING = "retrying", _("Retrying")
    # Gave up after the last attempt, or the server refused permanently (5xx).
    FAILED = "failed", _("Failed")


class OutboundKind(models.TextChoices):
    REPLY = "reply", _("Agent reply")
    # Automatic "we received your message, ticket #N" mail; carries Auto-Submitted: auto-replied.
    ACKNOWLEDGEMENT = "acknowledgement", _("Acknowledgement")
