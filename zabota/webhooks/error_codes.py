from django.db import models
from django.utils.translation import gettext_lazy as _


class WebhookErrorCode(models.TextChoices):
    # Only a failed delivery can be retried: a pending one is still being tried, a succeeded
    # one must not be sent twice.
    NOT_RETRIABLE = "not_retriable", _("Only failed deliveries can be retried.")


class WebhookError(Exception):
    def __init__(self, code: WebhookErrorCode) -> None:
        super().__init__(code.label)
        self.code = code
        self.message = str(code.label)
