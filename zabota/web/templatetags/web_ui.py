"""Template helpers of the agent UI: the sidebar, avatars, relative times and search highlights.

``{% load web_ui %}`` gives:
- ``{% sidebar %}`` — the left navigation (views with counts, tags, groups, account);
- ``{% avatar person %}`` / ``{% avatar person "sm" %}`` — initials on a colour from the name;
- ``{% icon "inbox" %}`` — the inline SVG of ``web/partials/icon.html`` (rendered once per name);
- ``{% select_options choices selected %}`` — ``<option>`` elements, one marked selected;
  ``{% datalist_options values %}`` — ``<option value=…>`` elements of a ``<datalist>``;
- ``{{ value|ago }}`` — "5 minutes ago"; ``{{ value|short_ago }}`` — "5 min", "3 h", "2 d", "4 Mar";
- ``{{ text|highlight:query }}`` — escapes ``text`` and wraps the query's words in ``<mark>``;
- ``{{ tag.color|safe_color }}`` — the colour if it is a hex colour, else the default grey.
"""

import hashlib
import re
import secrets
import unicodedata
import zlib
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from django import template
from django.conf import settings
from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import conditional_escape, escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import timesince
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from zabota.tickets.queries import team_lists, view_counts

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
# What django.template.context_processors.csrf gives when there is no token.
CSRF_NOT_PROVIDED = "NOTPROVIDED"
# Its HTML is kept this long per user and state (the lists in it are cached as long anyway).
SIDEBAR_SECONDS = 30
DEFAULT_TAG_COLOR = "#64748b"
_HEX_COLOR = re.compile(r"#[0-9a-fA-F]{3}(?:[0-9a-fA-F]{3})?")


@register.simple_tag(takes_context=True)
def sidebar(context: template.Context) -> SafeString:
    """Navigation for the signed-in agent, shown on every page.

    Its HTML is cached (``SIDEBAR_SECONDS``) under a key made of everything it shows: the
    user, the language, the view counts (themselves cached briefly), the tag and group lists
    (``team_lists``), the current view, tag, group, section and search words. The logout
    form's CSRF token is the one thing that differs per request: the HTML is cached in two
    halves around it and the token is put back in between."""
    request = context["request"]
    user = request.user
    match = request.resolver_match
    on_inbox = match is not None and match.view_name == "web:inbox"
    counts = view_counts(user)
    lists = team_lists(user)
    section = match.url_name if match is not None else ""
    values: dict[str, Any] = {
        "user": user,
        "views": [
            {"slug": slug, "label": label, "icon": icon_name, "count": counts.get(slug)}
            for slug, label, icon_name in INBOX_VIEWS
        ],
        "current_view": request.GET.get("view", "open") if on_inbox else "",
        "current_tag": request.GET.get("tag", "") if on_inbox else "",
        "current_group": request.GET.get("group", "") if on_inbox else "",
        "search_query": request.GET.get("q", "") if section == "search" else "",
        "tags": lists.tags[:SIDEBAR_TAGS],
        "groups": lists.groups,
        "section": section,
    }
    csrf_token = str(context.get("csrf_token") or "")
    if csrf_token in ("", CSRF_NOT_PROVIDED):
        return render_to_string("web/partials/sidebar.html", {**values, "csrf_token": csrf_token})
    key = _sidebar_key(user, counts, lists.stamp, values)
    halves = cache.get(key)
    if halves is None:
        # A marker nobody can put into a tag name or a search: it is new on every render.
        marker = secrets.token_hex(16)
        html = render_to_string("web/partials/sidebar.html", {**values, "csrf_token": marker})
        halves = html.split(marker)
        if len(halves) != 2:  # the template no longer has exactly one token: do not cache it
            return mark_safe(html.replace(marker, escape(csrf_token)))  # rendered escaped
        cache.set(key, halves, SIDEBAR_SECONDS)
    head, tail = halves
    return mark_safe(f"{head}{escape(csrf_token)}{tail}")  # both halves were rendered escaped


def _sidebar_key(
    user: Any, counts: dict[str, int], lists_stamp: str, values: dict[str, Any]
) -> str:
    material = "\x1f".join(
        str(part)
        for part in (
            user.pk,
            user.date_joined.timestamp(),
            user.email,
            user.name,
            user.role,
            get_language(),
            sorted(counts.items()),
            lists_stamp,
            values["current_view"],
            values["current_tag"],
            values["current_group"],
            values["section"],
            values["search_query"],
        )
    )
    return "zabota:sidebar:" + hashlib.blake2b(material.encode(), digest_size=16).hexdigest()


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


@register.simple_tag
def icon(name: str) -> SafeString:
    """The same SVG as ``{% include "web/partials/icon.html" with name=… %}``, without the cost
    of rendering the template's long ``if`` chain again for every icon on a page."""
    if settings.DEBUG:  # templates may be edited while the development server runs
        return mark_safe(render_to_string("web/partials/icon.html", {"name": name}))
    return _icon_svg(str(name))


@lru_cache(maxsize=64)
def _icon_svg(name: str) -> SafeString:
    # The template is static markup chosen by name: nothing in it depends on the request.
    return mark_safe(render_to_string("web/partials/icon.html", {"name": name}))


@register.simple_tag
def select_options(choices: Iterable[Any], selected: Any = None, me: Any = None) -> SafeString:
    """``<option>`` elements for ``(value, label)`` pairs or for objects with a ``pk`` and a
    ``str()`` (``tickets.queries.Choice``); the option whose value equals ``selected`` is
    marked, and the one whose value equals ``me`` reads "Me · name". The loop as a template
    cost a few template nodes per option, and filter bars have a hundred options."""
    me_prefix = ""
    if me is not None:
        me_label = gettext("Me")
        me_prefix = f"{escape(me_label)} · "
    parts = []
    for choice in choices:
        value, label = (choice.pk, choice) if hasattr(choice, "pk") else choice
        mark = " selected" if value == selected else ""
        prefix = me_prefix if me is not None and value == me else ""
        parts.append(
            f'<option value="{conditional_escape(value)}"{mark}>'
            f"{prefix}{conditional_escape(label)}</option>"
        )
    return mark_safe("".join(parts))  # every value and label is escaped above


@register.simple_tag
def datalist_options(values: Iterable[Any]) -> SafeString:
    return mark_safe(  # escaped
        "".join(f'<option value="{conditional_escape(value)}">' for value in values)
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
