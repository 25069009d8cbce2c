"""Template helpers for customers' business with the store: money, segment badges, day counts.

``{% load commerce_ui %}`` gives:
- ``{{ amount|money:currency }}`` — "€1,234.50" in English, "1 234,50 €" in Polish or Russian;
- ``{% segment_badges badges %}`` — the badges of ``commerce.queries.badges`` (VIP in gold);
  ``{% segment_badges badges limit=1 %}`` shows the first only (VIP comes first);
- ``{{ value|days_ago }}`` — "today", "yesterday", "12 days ago", then "3 months ago";
- ``{{ value|percent }}`` — a share 0–1 as "17 %" in the active locale.
"""

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

from django import template
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import timesince
from django.utils.translation import get_language, gettext, ngettext

from zabota.commerce.queries import Badge

register = template.Library()

# Symbols of the currencies stores usually sell in; any other shows its ISO code.
CURRENCY_SYMBOLS = {
    "EUR": "€",
    "USD": "$",
    "GBP": "£",
    "PLN": "zł",
    "HUF": "Ft",
    "RUB": "₽",
    "CZK": "Kč",
    "UAH": "₴",
}
# English writes these before the amount ("€12.50"); everything else goes after it.
SYMBOL_FIRST_IN_ENGLISH = frozenset({"€", "$", "£"})
# Currencies whose amounts are shown without a fractional part.
WHOLE_UNITS = frozenset({"HUF", "JPY", "KRW"})
# Up to this many days a date reads as "12 days ago"; older ones as "3 months ago".
DAYS_SHOWN = 60


def format_money(amount: Decimal | int | None, currency: str) -> str:
    """The amount with its currency, grouped and punctuated as the active language writes it."""
    if amount is None:
        return ""
    code = (currency or "").upper()
    places = 0 if code in WHOLE_UNITS else 2
    number = number_format(Decimal(amount), decimal_pos=places, use_l10n=True, force_grouping=True)
    symbol = CURRENCY_SYMBOLS.get(code, code)
    if (get_language() or "en").startswith("en") and symbol in SYMBOL_FIRST_IN_ENGLISH:
        sign, digits = ("-", number[1:]) if number.startswith("-") else ("", number)
        return f"{sign}{symbol}{digits}"
    return f"{number}\u00a0{symbol}".strip()


@register.filter
def money(amount: Decimal | int | None, currency: str) -> str:
    return format_money(amount, currency)


@register.filter
def percent(value: Decimal | float | None) -> str:
    if value is None:
        return ""
    share = Decimal(value) * 100
    return f"{number_format(share, decimal_pos=0, use_l10n=True)}\u00a0%"


def render_badges(badges: Sequence[Badge], *, limit: int | None = None, small: bool = False) -> str:
    """``<span class="seg seg-<code>">label</span>`` per badge, escaped."""
    shown = list(badges)[:limit] if limit else list(badges)
    size = " seg-sm" if small else ""
    return "".join(
        f'<span class="seg seg-{escape(b.code)}{size}">{escape(b.label)}</span>' for b in shown
    )


@register.simple_tag
def segment_badges(
    badges: Sequence[Badge] | None, limit: int = 0, small: bool = False
) -> SafeString:
    return mark_safe(render_badges(badges or (), limit=limit or None, small=small))  # escaped


@register.filter
def days_ago(value: datetime | date | None) -> str:
    """How long ago a day was, counted in the current time zone's days."""
    if not value:
        return ""
    today = timezone.localdate()
    day = timezone.localtime(value).date() if isinstance(value, datetime) else value
    days = (today - day).days
    if days <= 0:
        return gettext("today")
    if days == 1:
        return gettext("yesterday")
    if days <= DAYS_SHOWN:
        return ngettext("%(count)s day ago", "%(count)s days ago", days) % {"count": days}
    return gettext("%(time)s ago") % {"time": timesince(value, depth=1)}


@register.filter
def days_until(days: int) -> str:
    """ "today", "tomorrow", "in 5 days"."""
    if days <= 0:
        return gettext("today")
    if days == 1:
        return gettext("tomorrow")
    return ngettext("in %(count)s day", "in %(count)s days", days) % {"count": days}


@register.simple_tag
def badges_of(
    by_customer: dict[int, list[Badge]] | None,
    customer_id: int,
    limit: int = 0,
    small: bool = False,
) -> SafeString:
    """``{% badges_of customer_badges customer.pk %}``: the badges of one customer of a list
    (``commerce.queries.segments_by_customer``)."""
    badges = (by_customer or {}).get(customer_id, ())
    return mark_safe(render_badges(badges, limit=limit or None, small=small))  # escaped
