"""How a ticket's history reads on the page: messages with their files, one line per change.

Message HTML was sanitised when it came in (``zabota.core.html.sanitize_html``); the only thing
done to it here is pointing ``cid:`` image sources at the attachment download URL, and only for
raster images. Everything else a message carries is offered as a download link.
"""

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from zabota.tickets.constants import Channel, EventKind, MessageKind, Priority, Status
from zabota.tickets.models import Attachment, Message, Ticket, TicketEvent
from zabota.tickets.queries import Timeline

# Sanitised HTML always quotes attribute values with double quotes.
_CID_SRC = re.compile(r'src="cid:([^"]*)"')
# Images a browser renders without running anything; SVG is a document and stays a download.
INLINE_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})

# Icon (web/partials/icon.html) of each kind of change row.
EVENT_ICONS = {
    EventKind.CREATED: "inbox",
    EventKind.MESSAGE: "mail",
    EventKind.REPLY: "mail",
    EventKind.NOTE: "chat",
    EventKind.STATUS: "circle",
    EventKind.PRIORITY: "layers",
    EventKind.ASSIGNED: "user",
    EventKind.TAGS: "tag",
    EventKind.MERGED_IN: "merge",
    EventKind.MERGED_INTO: "merge",
    EventKind.CUSTOMER: "users",
    EventKind.SUBJECT: "settings",
}


@dataclass(frozen=True)
class MessageEntry:
    message: Message
    author: str
    body_html: SafeString
    # Files shown as download links (inline images already appear in the body).
    files: list[Attachment] = field(default_factory=list)
    # The number of the ticket the message was first posted to, when it came from a merge.
    merged_from: int | None = None

    entry_type = "message"

    @property
    def kind(self) -> str:
        return self.message.kind


@dataclass(frozen=True)
class EventEntry:
    event: TicketEvent
    text: str
    icon: str

    entry_type = "event"


def _label(choices: Any, value: Any) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


def _cid_key(value: str) -> str:
    return unquote(html.unescape(value)).strip().strip("<>").lower()


def render_body(message: Message, attachments: Iterable[Attachment]) -> tuple[SafeString, set[int]]:
    """The message's stored (sanitised) HTML with ``cid:`` images pointed at their downloads;
    also the ids of the attachments that now show inline."""
    by_cid = {
        _cid_key(a.content_id): a
        for a in attachments
        if a.content_id and a.content_type.lower() in INLINE_IMAGE_TYPES
    }
    inline: set[int] = set()

    def replace(match: re.Match[str]) -> str:
        attachment = by_cid.get(_cid_key(match.group(1)))
        if attachment is None:
            return match.group(0)
        inline.add(attachment.pk)
        return 'src="{}"'.format(escape(reverse("web:attachment", args=[attachment.pk])))

    body = _CID_SRC.sub(replace, message.body_html) if by_cid else message.body_html
    # Safe because body_html was sanitised on the way in and only src values were replaced.
    return mark_safe(body), inline


def message_author(message: Message, ticket: Ticket) -> str:
    if message.kind == MessageKind.CUSTOMER:
        customer = message.author_customer or ticket.customer
        return customer.name
    if message.author_user is not None:
        return str(message.author_user)
    return str(message.channel_meta.get("by") or _("System"))


def present_message(
    message: Message, ticket: Ticket, attachments: list[Attachment]
) -> MessageEntry:
    body, inline = render_body(message, attachments)
    original = message.original_ticket_number
    return MessageEntry(
        message=message,
        author=message_author(message, ticket),
        body_html=body,
        files=[a for a in attachments if a.pk not in inline],
        merged_from=original if original and original != ticket.number else None,
    )


def actor_name(event: TicketEvent, ticket: Ticket) -> str:
    if event.actor is not None:
        return str(event.actor)
    if event.actor_label == "customer":
        return ticket.customer.name
    if event.actor_label in ("", "system"):
        return _("Zabota")
    return event.actor_label


def _status_text(event: TicketEvent, who: str) -> str:
    data = event.data
    params = {
        "who": who,
        "old": _label(Status, data.get("old")),
        "new": _label(Status, data.get("new")),
    }
    reason = data.get("reason", "")
    if reason == "timeout":
        return _("Status: %(old)s → %(new)s (the customer did not object in time)") % params
    if reason == "agent_on_behalf":
        return _("%(who)s recorded the customer's confirmation: %(old)s → %(new)s") % params
    if reason in ("reply", "link", "customer_link") and data.get("new") == Status.SOLVED:
        return _("The customer confirmed the solution: %(old)s → %(new)s") % params
    if reason == "customer_link":
        return _("The customer said the problem is not solved: %(old)s → %(new)s") % params
    if reason == "auto_close":
        return _("Closed automatically: %(old)s → %(new)s") % params
    if reason == "merged":
        return _("Status: %(old)s → %(new)s (merged)") % params
    return _("%(who)s changed status: %(old)s → %(new)s") % params


def _assigned_text(event: TicketEvent, who: str) -> str:
    data = event.data
    params = {
        "who": who,
        "assignee": data.get("assignee_name", ""),
        "group": data.get("group_name", ""),
    }
    new_assignee = data.get("new_assignee")
    if new_assignee is not None and new_assignee == event.actor_id:
        return _("%(who)s took the ticket") % params
    if params["assignee"] and params["group"]:
        return _("%(who)s assigned to %(assignee)s (%(group)s)") % params
    if params["assignee"]:
        return _("%(who)s assigned to %(assignee)s") % params
    if params["group"]:
        return _("%(who)s moved the ticket to %(group)s, unassigned") % params
    return _("%(who)s unassigned the ticket") % params


def _tags_text(event: TicketEvent, who: str) -> str:
    added = ", ".join(event.data.get("added", []))
    removed = ", ".join(event.data.get("removed", []))
    params = {"who": who, "added": added, "removed": removed}
    if added and removed:
        return _("%(who)s added tags %(added)s and removed %(removed)s") % params
    if added:
        return _("%(who)s added tags: %(added)s") % params
    return _("%(who)s removed tags: %(removed)s") % params


def _sla_text(data: dict) -> str:
    names = {
        "first_reply": _("first reply"),
        "next_reply": _("next reply"),
        "resolution": _("resolution"),
    }
    targets = ", ".join(str(names.get(target, target)) for target in data.get("targets", []))
    if data.get("sla") == "breached":
        return _("SLA breached: %(targets)s") % {"targets": targets}
    return _("SLA warning: %(targets)s due soon") % {"targets": targets}


def describe_event(event: TicketEvent, ticket: Ticket) -> str:
    """One line of plain text (the template escapes it) for a timeline row or a change list."""
    who = actor_name(event, ticket)
    data = event.data
    kind = event.kind
    if kind == EventKind.CREATED:
        channel = _label(Channel, data.get("channel", ticket.channel))
        return _("%(who)s opened the ticket via %(channel)s") % {"who": who, "channel": channel}
    if kind == EventKind.MESSAGE:
        if data.get("reopened_from"):
            return _("%(who)s wrote and the ticket reopened") % {"who": who}
        return _("%(who)s wrote") % {"who": who}
    if kind == EventKind.REPLY:
        return _("%(who)s replied") % {"who": who}
    if kind == EventKind.NOTE:
        return _("%(who)s added an internal note") % {"who": who}
    if kind == EventKind.STATUS:
        return _status_text(event, who)
    if kind == EventKind.PRIORITY:
        return _("%(who)s changed priority: %(old)s → %(new)s") % {
            "who": who,
            "old": _label(Priority, data.get("old")),
            "new": _label(Priority, data.get("new")),
        }
    if kind == EventKind.ASSIGNED:
        return _assigned_text(event, who)
    if kind == EventKind.TAGS:
        return _tags_text(event, who)
    if kind == EventKind.MERGED_IN:
        return _("%(who)s merged ticket #%(number)s into this one") % {
            "who": who,
            "number": data.get("number", "?"),
        }
    if kind == EventKind.MERGED_INTO:
        return _("%(who)s merged this ticket into #%(number)s") % {
            "who": who,
            "number": data.get("number", "?"),
        }
    if kind == EventKind.CUSTOMER:
        return _("%(who)s moved the ticket to another customer record") % {"who": who}
    if kind == EventKind.SUBJECT:
        if data.get("new"):
            return _("%(who)s changed the subject to “%(subject)s”") % {
                "who": who,
                "subject": data["new"],
            }
        return _("%(who)s changed the subject") % {"who": who}
    if kind == EventKind.SLA:
        return _sla_text(data)
    return f"{who}: {_label(EventKind, kind)}"


def present_event(event: TicketEvent, ticket: Ticket) -> EventEntry:
    return EventEntry(
        event=event,
        text=describe_event(event, ticket),
        icon=EVENT_ICONS.get(event.kind, "circle"),  # type: ignore[call-overload]
    )


def present_timeline(ticket: Ticket, timeline: Timeline) -> list[MessageEntry | EventEntry]:
    """The entries of ``tickets.queries.timeline``, ready to show.

    The "created" row is left out: the first message and the details panel already say it."""
    return [
        present_message(item, ticket, timeline.files.get(item.pk, []))
        if isinstance(item, Message)
        else present_event(item, ticket)
        for item in timeline.entries
        if isinstance(item, Message) or item.kind != EventKind.CREATED
    ]
