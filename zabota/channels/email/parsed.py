"""What the parser hands to the pipeline: a decoded e-mail, independent of MIME details.

``parse.parse_email(raw: bytes) -> ParsedEmail`` produces it (zabota/channels/email/parse.py);
routing, classification and ticket creation read only these fields.
"""

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Address:
    """A mailbox from a header; ``email`` is case-folded, ``name`` decoded (RFC 2047)."""

    email: str
    name: str = ""


@dataclass(frozen=True)
class ParsedAttachment:
    filename: str
    content_type: str
    data: bytes
    # Content-ID without angle brackets, for inline images referenced as cid: in the HTML.
    content_id: str = ""
    inline: bool = False


@dataclass(frozen=True)
class OversizedAttachment:
    """An attachment over the size limit: not stored, but reported as a note on the message."""

    filename: str
    content_type: str
    size: int


@dataclass
class ParsedEmail:
    message_id: str  # without angle brackets; "" if absent
    subject: str
    from_: Address | None
    reply_to: list[Address] = field(default_factory=list)
    to: list[Address] = field(default_factory=list)
    cc: list[Address] = field(default_factory=list)
    date: datetime | None = None
    in_reply_to: list[str] = field(default_factory=list)  # message ids without brackets
    references: list[str] = field(default_factory=list)
    # The new text the sender wrote, without quoted history and signature.
    text: str = ""
    # Sanitised HTML (nh3) of the whole body, "" for plain-text mail.
    html: str = ""
    # Quoted reply history and the signature, separated from the new text (shown collapsed).
    quoted: str = ""
    signature: str = ""
    attachments: list[ParsedAttachment] = field(default_factory=list)
    oversized: list[OversizedAttachment] = field(default_factory=list)
    # Lower-cased header name → decoded value, for the loop/noise checks: auto-submitted,
    # precedence, x-autoreply, x-autorespond, x-auto-response-suppress, return-path,
    # list-id, list-unsubscribe, content-type.
    headers: dict[str, str] = field(default_factory=dict)
    # multipart/report delivery-status (RFC 3464) details.
    is_delivery_report: bool = False
    # Message-ID of the message a bounce/DSN reports on, if it can be found.
    reported_message_id: str = ""
    # Problems found while parsing that did not stop it (for diagnostics).
    defects: list[str] = field(default_factory=list)
