"""Error codes of the REST API and the HTTP status each domain error is answered with.

Every error body is ``{"code": "<stable code>", "message": "<human text>"}`` (validation errors add
``"details"``). Codes are part of the API contract: integrations branch on them, so a value never
changes once released; messages are translated and may change.
"""

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from zabota.commerce.error_codes import CommerceErrorCode
from zabota.core.errors import DomainError
from zabota.customers.error_codes import CustomerErrorCode
from zabota.tickets.error_codes import TicketErrorCode


class ApiErrorCode(models.TextChoices):
    # No token, an unknown or revoked one, or its user is deactivated (401).
    UNAUTHORIZED = (
        "unauthorized",
        _("Authentication required: send “Authorization: Bearer <token>”."),
    )
    # The request does not match the schema; "details" lists every problem (422).
    VALIDATION_ERROR = "validation_error", _("The request is not valid.")
    # No such object or route, or the token's user may not see it (404).
    NOT_FOUND = "not_found", _("Not found.")
    # The actor may see the object but not do this to it (403).
    PERMISSION_DENIED = "permission_denied", _("You are not allowed to do this.")
    # The pagination cursor was not issued by this list with this sort order (400).
    INVALID_CURSOR = "invalid_cursor", _("The cursor is not valid for this list.")
    # The token's user works in no store, so the store must be named explicitly (400).
    STORE_REQUIRED = "store_required", _("Name the store: you do not work in any store.")
    # The macro's text has a template syntax error; an admin must fix the macro (400).
    MACRO_INVALID = "macro_invalid", _("The macro cannot be rendered: %(detail)s")
    # Malformed request that is not a schema violation (400).
    BAD_REQUEST = "bad_request", _("Bad request: %(detail)s")
    # Too many requests; retry later (429).
    THROTTLED = "throttled", _("Too many requests.")
    # A bug on our side; the server log has the traceback (500).
    SERVER_ERROR = "server_error", _("Internal server error.")
    # POST /inbound/email: the mailbox is unknown or X-Zabota-Signature is not the HMAC-SHA256
    # of the body with that mailbox's webhook secret (401).
    INVALID_SIGNATURE = "invalid_signature", _("The request signature is not valid.")
    # The request body is larger than the server accepts (413).
    PAYLOAD_TOO_LARGE = (
        "payload_too_large",
        _("The request is too large (at most %(limit)s bytes)."),
    )


class ApiError(DomainError):
    """An error the API layer itself raises (not a domain refusal)."""

    code: ApiErrorCode

    def __init__(self, code: ApiErrorCode, status: int, **params: Any) -> None:
        self.status = status
        super().__init__(code, **params)


# Refusals that depend on the ticket's current state: retrying after a change may succeed.
_TICKET_CONFLICTS = {
    TicketErrorCode.MERGED,
    TicketErrorCode.NOT_AWAITING_CONFIRMATION,
    TicketErrorCode.COLLISION,
}
# Refusals because of who the actor is, not because of what was sent.
_TICKET_FORBIDDEN = {
    TicketErrorCode.PERMISSION_DENIED,
    TicketErrorCode.CLOSE_NOT_ALLOWED,
    TicketErrorCode.ASSIGN_NOT_ALLOWED,
}


def ticket_error_status(code: TicketErrorCode) -> int:
    if code == TicketErrorCode.NOT_FOUND:
        return 404
    if code in _TICKET_FORBIDDEN:
        return 403
    if code in _TICKET_CONFLICTS:
        return 409
    return 400


def customer_error_status(code: CustomerErrorCode) -> int:
    if code == CustomerErrorCode.NOT_FOUND:
        return 404
    if code == CustomerErrorCode.PERMISSION_DENIED:
        return 403
    if code in (CustomerErrorCode.IDENTITY_TAKEN, CustomerErrorCode.ALREADY_MERGED):
        return 409
    return 400


# Webhook refusals before anything is stored: the caller did not prove it is the platform.
_COMMERCE_UNAUTHORIZED = {
    CommerceErrorCode.UNKNOWN_STORE,
    CommerceErrorCode.WEBHOOK_NOT_CONFIGURED,
    CommerceErrorCode.INVALID_SIGNATURE,
}


def commerce_error_status(code: CommerceErrorCode) -> int:
    if code == CommerceErrorCode.NOT_FOUND:
        return 404
    if code in (CommerceErrorCode.PERMISSION_DENIED, CommerceErrorCode.SETTINGS_DENIED):
        return 403
    if code in _COMMERCE_UNAUTHORIZED:
        return 401
    return 400
