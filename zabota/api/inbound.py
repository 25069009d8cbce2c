"""Inbound e-mail by webhook: a mail relay POSTs the raw message, signed with the mailbox's secret.

No API token: the signature authenticates. ``X-Zabota-Mailbox`` names the mailbox and
``X-Zabota-Signature: sha256=<hex>`` is the HMAC-SHA256 of the exact body bytes with that
mailbox's webhook secret. The mail is stored before the answer (202), then processed by the worker.
"""

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.errors import Throttled

from zabota.api.error_codes import ApiError, ApiErrorCode
from zabota.api.schemas.common import ErrorOut, errors
from zabota.channels.email.constants import Source
from zabota.channels.email.inbound import store_raw
from zabota.channels.email.mailboxes import verify_webhook
from zabota.core.ratelimit import (
    API_AUTH_FAILURES_PER_IP,
    INBOUND_EMAIL_PER_IP,
    client_ip,
    hit,
    is_limited,
    retry_after,
)

router = Router(tags=["inbound e-mail"])

_CHUNK = 1024 * 1024


class InboundAccepted(Schema):
    id: int
    # True when this mail was stored before (same content by any path): nothing new was queued.
    duplicate: bool


def _read_body(request: HttpRequest) -> bytes:
    """The raw body, read from the stream so that mails over Django's form-data limit pass, and
    refused (413) beyond ``ZABOTA_MAX_EMAIL_BYTES``."""
    limit = settings.ZABOTA_MAX_EMAIL_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        raise ApiError(ApiErrorCode.PAYLOAD_TOO_LARGE, 413, limit=limit)
    chunks: list[bytes] = []
    size = 0
    while chunk := request.read(_CHUNK):
        size += len(chunk)
        if size > limit:
            raise ApiError(ApiErrorCode.PAYLOAD_TOO_LARGE, 413, limit=limit)
        chunks.append(chunk)
    return b"".join(chunks)


@router.post(
    "/email",
    auth=None,
    response={202: InboundAccepted, **errors(400, 413), 401: ErrorOut},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"message/rfc822": {"schema": {"type": "string", "format": "binary"}}},
        },
        "parameters": [
            {
                "in": "header",
                "name": "X-Zabota-Mailbox",
                "required": True,
                "schema": {"type": "string"},
                "description": "Address of the mailbox the mail was delivered to.",
            },
            {
                "in": "header",
                "name": "X-Zabota-Signature",
                "required": True,
                "schema": {"type": "string"},
                "description": "`sha256=` and the hex HMAC-SHA256 of the body with the mailbox's "
                "webhook secret.",
            },
        ],
    },
)
def receive_email(request: HttpRequest) -> Status:
    """Store one raw MIME message for the named mailbox and queue its processing. 202 with the
    stored mail's id; `duplicate` is true when the same mail was already stored (by any path), so
    relays may safely retry. 401 `invalid_signature`, 413 `payload_too_large`, 429 `throttled`."""
    ip = client_ip(request)
    if is_limited(API_AUTH_FAILURES_PER_IP, ip):
        raise Throttled(retry_after(API_AUTH_FAILURES_PER_IP))
    if not hit(INBOUND_EMAIL_PER_IP, ip):
        raise Throttled(retry_after(INBOUND_EMAIL_PER_IP))
    body = _read_body(request)
    mailbox = verify_webhook(
        request.headers.get("X-Zabota-Mailbox", ""),
        body,
        request.headers.get("X-Zabota-Signature", ""),
    )
    if mailbox is None:
        hit(API_AUTH_FAILURES_PER_IP, ip)
        raise ApiError(ApiErrorCode.INVALID_SIGNATURE, 401)
    if not body.strip():
        raise ApiError(ApiErrorCode.BAD_REQUEST, 400, detail=_("the body is empty"))
    inbound, created = store_raw(body, source=Source.WEBHOOK, mailbox=mailbox)
    return Status(202, InboundAccepted(id=inbound.pk, duplicate=not created))
