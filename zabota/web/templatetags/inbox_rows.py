"""The inbox's ticket rows, built in Python and cached per ticket.

``{% load inbox_rows %}{% inbox_rows page %}`` renders the rows of one inbox page.

As a template ``{% include %}`` per row, the 50 rows were two thirds of the page's CPU time:
a dozen variable lookups each, ``get_*_display`` translating the same labels again for every
row, two ``{% url %}`` and an icon include per row. Here the labels, URL patterns and icons are
worked out once per page, every value is escaped exactly as the template's autoescaping did, and
each row's HTML is cached under a key derived from everything the row shows: the ticket's
version (bumped by every change to it: status, priority, tags, assignee, messages …), the
customer's and assignee's names, the customer's segment badges, the tags' names
and colours, the language and the time zone.
A changed ticket therefore gets a new key and is built again; nothing has to be deleted, and
the entries of old versions simply age out of the cache. All the page's rows come with one
``cache.get_many`` and the rebuilt ones go back with one ``cache.set_many``.

The relative time ("5 min") changes by itself, so it is the one part rendered outside the
cached HTML, fresh on every request.
"""

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from django import template
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext

from zabota.commerce.constants import Segment
from zabota.commerce.queries import Badge
from zabota.sla.constants import TargetState
from zabota.tickets.constants import Channel, Priority, Status
from zabota.tickets.models import Ticket
from zabota.tickets.queries import Choice, Page
from zabota.web.templatetags.commerce_ui import render_badges
from zabota.web.templatetags.web_ui import avatar, icon, safe_color, short_ago

register = template.Library()

# Keys change whenever what a row shows changes, so an entry never goes stale; the timeout only
# keeps rows of tickets nobody looks at any more from occupying the cache.
ROW_CACHE_SECONDS = 6 * 60 * 60
ROW_KEY_PREFIX = "zabota:inbox-row:v3:"
# The segments a row has room for, next to the customer's name (the page lists them all).
ROW_SEGMENTS = frozenset({Segment.VIP, Segment.AT_RISK})
# Stands in for the id while a URL is reversed once per page (an int that no real id reaches).
_ID_PLACEHOLDER = 987654321987654321


def _url_pattern(view_name: str) -> tuple[str, str]:
    """The URL of ``view_name`` for any id as (before the id, after the id)."""
    before, after = reverse(view_name, args=[_ID_PLACEHOLDER]).split(str(_ID_PLACEHOLDER))
    return before, after


@dataclass(frozen=True)
class PageLabels:
    """What every row of a page shares: translated labels, URL patterns, language, time zone."""

    language: str
    time_zone: str
    status: dict[str, str]
    priority: dict[int, str]
    channel: dict[str, str]
    select_ticket: str
    unassigned: str
    ticket_url: tuple[str, str]
    customer_url: tuple[str, str]

    @classmethod
    def current(cls) -> "PageLabels":
        return cls(
            language=get_language() or "",
            time_zone=timezone.get_current_timezone_name(),
            status={value: str(label) for value, label in Status.choices},
            priority={value: str(label) for value, label in Priority.choices},
            channel={value: str(label) for value, label in Channel.choices},
            # The msgids of the template this replaces, so existing translations apply.
            select_ticket=gettext("Select ticket #%(number)s"),
            unassigned=gettext("Unassigned"),
            ticket_url=_url_pattern("web:ticket"),
            customer_url=_url_pattern("web:customer"),
        )


def row_badges(badges: Sequence[Badge]) -> list[Badge]:
    return [badge for badge in badges if badge.code in ROW_SEGMENTS]


def row_cache_key(
    ticket: Ticket, tags: Sequence[Choice], labels: PageLabels, badges: Sequence[Badge] = ()
) -> str:
    """A key that changes with anything the cached part of the row shows.

    ``updated_at`` is there besides ``version`` so that a key can never be shared by two
    different tickets that happened to get the same id (a test database, a restored backup)."""
    customer = ticket.customer
    assignee = ticket.assignee
    tag_text = "\x1f".join(f"{tag.pk}\x1e{tag.name}\x1e{tag.color}" for tag in tags)
    material = "\x1d".join(
        (
            labels.language,
            labels.time_zone,
            str(ticket.pk),
            str(ticket.version),
            ticket.updated_at.isoformat(),
            str(ticket.customer_id),
            customer.name,
            str(ticket.assignee_id or ""),
            str(assignee) if assignee is not None else "",
            tag_text,
            " ".join(f"{badge.code}\x1e{badge.label}" for badge in row_badges(badges)),
            _sla_key(ticket),
        )
    )
    return ROW_KEY_PREFIX + hashlib.blake2b(material.encode(), digest_size=16).hexdigest()


def render_row_head(
    ticket: Ticket, tags: Sequence[Choice], labels: PageLabels, badges: Sequence[Badge] = ()
) -> str:
    """The row's HTML up to the relative time: every value escaped, as autoescaping did."""
    pk = ticket.pk
    status = escape(ticket.status)
    channel_label = escape(labels.channel.get(ticket.channel, ticket.channel))
    customer = ticket.customer
    assignee = ticket.assignee
    chips = "".join(
        f'<span class="chip" style="--chip: {escape(safe_color(tag.color))}">'
        f"{escape(tag.name)}</span>"
        for tag in tags
    )
    assignee_html: str
    if assignee is not None:
        assignee_html = avatar(assignee, "sm")
    else:
        assignee_html = (
            '<span class="avatar avatar-sm avatar-empty" '
            f'title="{escape(labels.unassigned)}"></span>'
        )
    local_time = timezone.localtime(ticket.last_activity_at)
    select_label = labels.select_ticket % {"number": ticket.number}
    return (
        f'<div class="ticket-row status-{status}" id="ticket-{pk}" data-ticket="{pk}">\n'
        f'  <input type="checkbox" name="ticket" value="{pk}" form="bulk-form" data-ticket-select\n'
        f'         aria-label="{escape(select_label)}">\n'
        '  <div class="ticket-number">\n'
        f"    <span>#{ticket.number}</span>\n"
        f'    <span class="channel" title="{channel_label}">{icon(ticket.channel)}'
        f'<span class="channel-name">{channel_label}</span></span>\n'
        "  </div>\n"
        '  <div class="ticket-main">\n'
        f'    <a class="ticket-subject" href="{escape(_url(labels.ticket_url, pk))}">'
        f"{escape(ticket.subject)}</a>\n"
        f'    <div class="ticket-preview">{escape(ticket.preview)}</div>\n'
        "  </div>\n"
        '  <div class="ticket-customer">\n'
        f"    {avatar(customer, 'sm')}\n"
        f'    <a class="truncate" href="{escape(_url(labels.customer_url, ticket.customer_id))}">'
        f"{escape(customer.name)}</a>{render_badges(row_badges(badges), small=True)}\n"
        "  </div>\n"
        '  <div class="ticket-tags">\n'
        f"    {chips}\n"
        "  </div>\n"
        '  <div class="ticket-status">\n'
        f'    <span class="pill status-{status}">'
        f"{escape(labels.status.get(ticket.status, ticket.status))}</span>\n"
        f'    <span class="prio prio-{ticket.priority}">'
        f"{escape(labels.priority.get(ticket.priority, ticket.priority))}</span>\n"
        f"{_sla_badge(ticket)}"
        "  </div>\n"
        '  <div class="ticket-assignee">\n'
        f"    {assignee_html}\n"
        "  </div>\n"
        f'  <time class="ticket-time" datetime="{escape(local_time.isoformat())}" '
        f'title="{escape(date_format(local_time, "DATETIME_FORMAT"))}">'
    )


def _sla_key(ticket: Ticket) -> str:
    sla = getattr(ticket, "sla", None)  # no clock: the reverse one-to-one raises AttributeError
    if sla is None or not sla.state:
        return ""
    due = sla.next_due.isoformat() if sla.next_due else ""
    return f"{sla.state}\x1e{due}\x1e{sla.paused_at is not None}"


def _sla_badge(ticket: Ticket) -> str:
    """The SLA state as a pill, the due time in its title: no relative time, which would go
    stale in the cached row (the ticket page shows "due in …")."""
    sla = getattr(ticket, "sla", None)
    if sla is None or not sla.state:
        return ""
    if sla.state == TargetState.BREACHED:
        text = gettext("SLA breached")
    elif sla.state == TargetState.MET:
        text = gettext("SLA met")
    elif sla.paused_at is not None:
        text = gettext("SLA paused")
    elif sla.state == TargetState.WARNING:
        text = gettext("SLA warning")
    else:
        text = gettext("SLA due")
    title = ""
    if sla.next_due is not None:
        due = date_format(timezone.localtime(sla.next_due), "DATETIME_FORMAT")
        title = f' title="{escape(due)}"'
    state = escape(sla.state)
    return f'    <span class="pill sla sla-{state}"{title}>{escape(text)}</span>\n'


def _url(pattern: tuple[str, str], pk: int) -> str:
    return f"{pattern[0]}{pk}{pattern[1]}"


def render_rows(
    page: Page, segments: dict[int, list[Badge]] | None = None, *, use_cache: bool = True
) -> SafeString:
    """The HTML of the page's rows, in order; rows missing from the cache are built and stored.
    ``segments``: each ticket's customer's badges in the ticket's store, by ticket id."""
    labels = PageLabels.current()
    tickets = page.items
    segments = segments or {}
    keys = (
        [row_cache_key(t, page.tags_of(t), labels, segments.get(t.pk, ())) for t in tickets]
        if use_cache
        else []
    )
    cached: dict[str, str] = cache.get_many(keys) if use_cache else {}
    built: dict[str, str] = {}
    rows = []
    for i, ticket in enumerate(tickets):
        head = cached.get(keys[i]) if use_cache else None
        if head is None:
            head = render_row_head(
                ticket, page.tags_of(ticket), labels, segments.get(ticket.pk, ())
            )
            if use_cache:
                built[keys[i]] = head
        rows.append(f"{head}{escape(short_ago(ticket.last_activity_at))}</time>\n</div>\n")
    if built:
        cache.set_many(built, ROW_CACHE_SECONDS)
    # Every value in the rows went through escape() above.
    return mark_safe("".join(rows))


@register.simple_tag
def inbox_rows(page: Page, segments: dict[int, list[Badge]] | None = None) -> SafeString:
    return render_rows(page, segments)
