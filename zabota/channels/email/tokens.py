"""Signed reply addresses and Message-IDs, so replies find their ticket without trusting headers.

- Reply-To: ``support+t<ticket_id>-<sig>@store.example`` (plus-addressing on the mailbox address).
- Message-ID: ``<zabota.<ticket_id>.<nonce>.<sig>@store.example>``.
``sig`` is a truncated HMAC-SHA256 over the ticket id (and nonce) with a key derived from
SECRET_KEY; a forged token does not verify and is ignored by the router.
"""

import hashlib
import hmac
import re
import secrets

from django.conf import settings

_SIG_LEN = 16
_PLUS = re.compile(r"^(?P<local>[^+@]+)\+t(?P<ticket>\d+)-(?P<sig>[0-9a-f]{16})@(?P<domain>.+)$")
_MSGID = re.compile(
    r"^zabota\.(?P<ticket>\d+)\.(?P<nonce>[0-9a-z]+)\.(?P<sig>[0-9a-f]{16})@(?P<domain>.+)$"
)


def _sign(*parts: str) -> str:
    key = hashlib.sha256(b"zabota-email-token:" + settings.SECRET_KEY.encode()).digest()
    return hmac.new(key, ":".join(parts).encode(), hashlib.sha256).hexdigest()[:_SIG_LEN]


def reply_address(mailbox_address: str, ticket_id: int) -> str:
    local, _sep, domain = mailbox_address.partition("@")
    return f"{local}+t{ticket_id}-{_sign('reply', str(ticket_id))}@{domain}"


def ticket_from_reply_address(address: str) -> int | None:
    """The ticket id if ``address`` is a reply address we signed, else None."""
    match = _PLUS.match(address.strip().casefold())
    if not match:
        return None
    expected = _sign("reply", match["ticket"])
    return int(match["ticket"]) if hmac.compare_digest(expected, match["sig"]) else None


def base_address(address: str) -> str:
    """The mailbox address without a plus-suffix: support+t12-abc@x → support@x."""
    local, _sep, domain = address.strip().casefold().partition("@")
    return f"{local.split('+', 1)[0]}@{domain}"


def message_id(domain: str, ticket_id: int) -> str:
    """A new Message-ID (without angle brackets) that identifies the ticket when replied to."""
    nonce = secrets.token_hex(8)
    return f"zabota.{ticket_id}.{nonce}.{_sign('msgid', str(ticket_id), nonce)}@{domain}"


def ticket_from_message_id(value: str) -> int | None:
    match = _MSGID.match(value.strip().strip("<>").casefold())
    if not match:
        return None
    expected = _sign("msgid", match["ticket"], match["nonce"])
    return int(match["ticket"]) if hmac.compare_digest(expected, match["sig"]) else None
