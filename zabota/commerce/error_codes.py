from django.db import models
from django.utils.translation import gettext_lazy as _

from zabota.core.errors import DomainError


class CommerceErrorCode(models.TextChoices):
    # No such order, or it belongs to a store the actor does not work in (404).
    NOT_FOUND = "not_found", _("Not found.")
    # Pushing orders is for admins and the leads of the store (403).
    PERMISSION_DENIED = "permission_denied", _("Only leads and admins push orders.")
    # Webhook URL names a store slug that does not exist (401).
    UNKNOWN_STORE = "unknown_store", _("No store “%(store)s”: check the webhook URL.")
    # The store exists but has no secret for this platform, so nothing can be verified (401).
    WEBHOOK_NOT_CONFIGURED = (
        "webhook_not_configured",
        _("The store has no %(platform)s webhook secret: enter it in the store settings."),
    )
    # The signature header is missing or is not the HMAC-SHA256 of the body with the secret (401).
    INVALID_SIGNATURE = "invalid_signature", _("The request signature is not valid.")
    # Signed, but the body is not a JSON object (400); nothing was stored.
    MALFORMED_PAYLOAD = "malformed_payload", _("The body is not a JSON object: %(detail)s")
    # Store settings (segment thresholds, exchange rates) are changed by admins only (403).
    SETTINGS_DENIED = "settings_denied", _("Only admins change store settings.")
    # A segment threshold out of range, e.g. a return rate above 100 % (400).
    INVALID_SETTING = "invalid_setting", _("%(field)s: %(detail)s")
    # An exchange rate that is not positive, or for the store's own or an unknown currency (400).
    INVALID_RATE = "invalid_rate", _("Invalid exchange rate: %(detail)s")


class CommerceError(DomainError):
    code: CommerceErrorCode
