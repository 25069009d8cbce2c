"""Template helpers of the agent UI: the sidebar, avatars, relative times and search highlights.

``{% load web_ui %}`` gives:
- ``{% sidebar %}`` — the left navigation (views with counts, tags, groups, account);
- ``{% avatar person %}`` / ``{% avatar person "sm" %}`` — initials on a colour from the name;
- ``{{ value|ago }}`` — "5 minutes ago"; ``{{ value|short_ago }}`` — "5 min", "3 h", "2 d", "4 Mar";
- ``{{ text|highlight:query }}`` — escapes ``text`` and wraps the query's words in ``<mark>``;
- ``{{ tag.color|safe_color }}`` — the colour if it is a hex colour, else the default grey.
"""

import re
import unicodedata
import zlib
from datetime import datetime, timedelta
from typing import Any

from django import template
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import timesince
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from zabota.tickets.access import visible_groups, visible_tags
from zabota.tickets.queries import view_counts

register = template.Library()

# (slug, label, icon) of the inbox views, in sidebar order; the slugs are tickets.queries.VIEWS.
INBOX_VIEWS = (
    ("mine", _("Assigned to me"), "user"),
    ("unassigned", _("Unassigned"), "inbox"),
    ("open", _("Open"), "circle"),
    ("awaiting", _("Awaiting confirmation"), "clock"),
    ("all", _("All tickets"), "layers"),
)
# The sidebar lists this many tags; the inbox's tag filter reaches the rest.
SIDEBAR_TAGS = 12
DEFAULT_TAG_COLOR = "#64748b"
_HEX_COLOR = re.compile(r"#[0-9a-fA-F]{3}(?:[0-9a-fA-F]{3})?")


@register.inclusion_tag("web/partials/sidebar.html", takes_context=True)
def sidebar(context: template.Context) -> dict[str, Any]:
    """Navigation for the signed-in agent: a fixed handful of queries whatever the data size."""
    request = context["request"]
    user = request.user
    match = request.resolver_match
    on_inbox = match is not None and match.view_name == "web:inbox"
    counts = view_counts(user)
    # The inbox already loaded the agent's tags and groups for its filter bar: reuse them.
    options = context.get("options")
    tags = options.tags if options is not None else visible_tags(user).order_by("name")
    groups = (
        options.groups
        if options is not None
        else visible_groups(user).order_by("store__name", "name")
    )
    current_view = request.GET.get("view", "open") if on_inbox else ""
    return {
        "request": request,
        "user": user,
        "csrf_token": context.get("csrf_token"),
        "views": [
            {"slug": slug, "label": label, "icon": icon, "count": counts.get(slug)}
            for slug, label, icon in INBOX_VIEWS
        ],
        "current_view": current_view,
        "current_tag": request.GET.get("tag", "") if on_inbox else "",
        "current_group": request.GET.get("group", "") if on_inbox else "",
        "tags": list(tags[:SIDEBAR_TAGS]),
        "groups": list(groups),
        "section": match.url_name if match is not None else "",
    }


def _initials(name: str) -> str:
    parts = [p for p in re.split(r"[\s@._-]+", name) if p]
    return "".join(p[0] for p in parts[:2]).upper() or "?"


@register.simple_tag
def avatar(person: Any, size: str = "") -> SafeString:
    """A round badge with the person's initials; the hue is stable for a given name."""
    name = str(person) if person is not None else ""
    hue = zlib.crc32(name.encode()) % 360
    css = f"avatar avatar-{size}" if size else "avatar"
    return format_html(
        '<span class="{}" style="--avatar-hue: {}" title="{}" aria-hidden="true">{}</span>',
        css,
        hue,
        name,
        _initials(name),
    )


@register.filter
def ago(value: datetime | None) -> str:
    if not value:
        return ""
    if timezone.now() - value < timedelta(minutes=1):
        return gettext("just now")
    return gettext("%(time)s ago") % {"time": timesince(value, depth=1)}


@register.filter
def short_ago(value: datetime | None) -> str:
    """A compact age for dense lists; the full date belongs in a ``title``."""
    if not value:
        return ""
    minutes = int((timezone.now() - value).total_seconds() // 60)
    if minutes < 1:
        return gettext("now")
    if minutes < 60:
        return gettext("%(count)s min") % {"count": minutes}
    if minutes < 24 * 60:
        return gettext("%(count)s h") % {"count": minutes // 60}
    if minutes < 7 * 24 * 60:
        return gettext("%(count)s d") % {"count": minutes // (24 * 60)}
    local = timezone.localtime(value)
    same_year = local.year == timezone.localtime().year
    return date_format(local, "j M" if same_year else "j M Y")


@register.filter
def safe_color(value: str) -> str:
    return value if value and _HEX_COLOR.fullmatch(value) else DEFAULT_TAG_COLOR


def _fold(char: str) -> str:
    """One character without accents and case, so that "zolw" finds "Żółw" as the index does."""
    base = "".join(c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c))
    folded = base.casefold()
    return folded if len(folded) == 1 else char.casefold()[:1] or char


@register.filter
def highlight(text: str, query: str) -> SafeString:
    """Escape ``text`` and mark every word that starts with one of the query's words."""
    text = str(text or "")
    words = [
        w for w in ("".join(_fold(c) for c in w) for w in re.findall(r"\w+", query or "")) if w
    ]
    if not words:
        return escape(text)
    folded = "".join(_fold(c) for c in text)
    pattern = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\w*")
    out, pos = [], 0
    for match in pattern.finditer(folded):
        out.append(escape(text[pos : match.start()]))
        out.append(format_html("<mark>{}</mark>", text[match.start() : match.end()]))
        pos = match.end()
    out.append(escape(text[pos:]))
    return mark_safe("".join(out))  # every piece above is escaped
