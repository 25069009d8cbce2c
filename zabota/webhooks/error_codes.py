from django.db import models
from django.utils.translation import gettext_lazy as _


class WebhookErrorCode(models.TextChoices):
    # Only a failed delivery can be retried: a pending one is still being tried, a succeeded
    # one must not be sent twice.
    NOT_RETRIABLE = "not_retriable", _("Only failed deliveries can be retried.")
    # Webhook subscriptions and their delivery logs are for admins.
    NOT_ALLOWED = "not_allowed", _("Only admins manage webhooks.")


class WebhookError(Exception):
    def __init__(self, code: WebhookErrorCode) -> None:
        super().__init__(code.label)
        self.code = code
        self.message = str(code.label)
