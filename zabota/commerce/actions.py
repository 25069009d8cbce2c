"""Changes to a store's commerce settings: segment thresholds and exchange rates.

Both change what customers' figures or segments are, so both end by recomputing the store's
customers: in the request when there are few (the page then shows the new counts at once),
in a task (``commerce.tasks.refresh_store_customers``) when there are many. Each change is
recorded in the admin's change history (``LogEntry``), where store configuration is audited.
"""

import bisect
import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from itertools import batched
from typing import Any

from django.contrib.admin.models import CHANGE, LogEntry
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zabota.accounts.models import User
from zabota.commerce import metrics
from zabota.commerce.access import can_change_store_settings
from zabota.commerce.error_codes import CommerceError, CommerceErrorCode
from zabota.commerce.models import (
    CustomerSegment,
    CustomerStats,
    ExchangeRate,
    Order,
    SegmentSettings,
    Store,
)

# Up to this many customers are recomputed in the request that changed the settings; a store
# with more has them recomputed by a task, so that saving never waits for minutes.
INLINE_REFRESH_LIMIT = 2000

# (field, minimum, maximum) of the numeric thresholds an admin edits.
SEGMENT_LIMITS: dict[str, tuple[Decimal, Decimal]] = {
    "vip_threshold": (Decimal(0), Decimal("999999999999")),
    "repeat_min_orders": (Decimal(1), Decimal(1000)),
    "new_days": (Decimal(1), Decimal(3650)),
    "dormant_days": (Decimal(1), Decimal(3650)),
    "high_returner_rate": (Decimal("0.01"), Decimal(1)),
    "high_returner_min_orders": (Decimal(1), Decimal(1000)),
    "negative_days": (Decimal(1), Decimal(3650)),
    "engagement_days": (Decimal(1), Decimal(3650)),
    "passionate_signals": (Decimal(1), Decimal(1000)),
}
SEGMENT_FIELDS = (*SEGMENT_LIMITS, "negative_tags")
NEGATIVE_TAGS_LENGTH = 200  # SegmentSettings.negative_tags
# ExchangeRate.rate holds 10 digits before the point.
MAX_RATE = Decimal("9999999999")
_CURRENCY = re.compile(r"[A-Z]{3}")


@dataclass(frozen=True)
class Recompute:
    """What a settings change set off: how many customers are recomputed, and whether a task
    does it (``queued``) or it is already done."""

    customers: int
    queued: bool


def store_customer_ids(store: Store) -> list[int]:
    """Everyone whose segments in the store can change: customers with figures there, and those
    holding a segment without figures (a complaint from somebody who never ordered)."""
    ids = set(CustomerStats.objects.filter(store=store).values_list("customer_id", flat=True))
    ids |= set(CustomerSegment.objects.filter(store=store).values_list("customer_id", flat=True))
    return sorted(ids)


def do_refresh_customers(store: Store, customer_ids: list[int]) -> int:
    """Recompute figures and segments of these customers, one transaction per chunk (a crash
    halfway leaves every chunk either old or new, and a rerun finishes the job)."""
    for chunk in batched(customer_ids, metrics.CHUNK, strict=False):
        with transaction.atomic():
            metrics.refresh(store, chunk)
    return len(customer_ids)


def _recompute(store: Store, customer_ids: list[int]) -> Recompute:
    """Recompute now when few, else hand the store to a task (after this transaction commits)."""
    if len(customer_ids) <= INLINE_REFRESH_LIMIT:
        do_refresh_customers(store, customer_ids)
        return Recompute(customers=len(customer_ids), queued=False)
    from zabota.commerce.tasks import refresh_store_customers

    transaction.on_commit(lambda: refresh_store_customers.enqueue(store.pk))
    return Recompute(customers=len(customer_ids), queued=True)


def _log(actor: User | None, obj: Any, message: str) -> None:
    if actor is not None:
        LogEntry.objects.log_actions(
            user_id=actor.pk,
            queryset=[obj],
            action_flag=CHANGE,
            change_message=message,
            single_object=True,
        )


# --- segment thresholds ------------------------------------------------------------------------


def do_change_segment_settings(
    store: Store, *, values: dict[str, Any], actor: User | None
) -> tuple[list[str], Recompute | None]:
    """Save already-validated thresholds; when any changed, recompute every customer of the
    store. Returns the names of the changed fields and what the recompute did (None if
    nothing changed)."""
    with transaction.atomic():
        settings, _created = SegmentSettings.objects.select_for_update().get_or_create(store=store)
        changed = [
            name
            for name in SEGMENT_FIELDS
            if name in values and getattr(settings, name) != values[name]
        ]
        if not changed:
            return [], None
        for name in changed:
            setattr(settings, name, values[name])
        settings.save(update_fields=changed)
        _log(actor, settings, "Changed " + ", ".join(changed) + " (agent UI).")
    return changed, _recompute(store, store_customer_ids(store))


def _check_limits(values: dict[str, Any]) -> None:
    labels = {
        f.name: str(getattr(f, "verbose_name", f.name)) for f in SegmentSettings._meta.get_fields()
    }
    for name, (low, high) in SEGMENT_LIMITS.items():
        if name not in values:
            continue
        value = values[name]
        if value is None or not low <= Decimal(value) <= high:
            raise CommerceError(
                CommerceErrorCode.INVALID_SETTING,
                field=labels.get(name, name),
                detail=_("must be between %(low)s and %(high)s") % {"low": low, "high": high},
            )
    tags = values.get("negative_tags")
    if tags is not None and len(tags) > NEGATIVE_TAGS_LENGTH:
        raise CommerceError(
            CommerceErrorCode.INVALID_SETTING,
            field=labels["negative_tags"],
            detail=_("too long"),
        )


def check_change_segment_settings(
    store: Store, *, values: dict[str, Any], actor: User
) -> tuple[list[str], Recompute | None]:
    if not can_change_store_settings(actor):
        raise CommerceError(CommerceErrorCode.SETTINGS_DENIED)
    _check_limits(values)
    if "negative_tags" in values:
        names = [t.strip().lower() for t in str(values["negative_tags"]).split(",")]
        values = {**values, "negative_tags": ", ".join(dict.fromkeys(n for n in names if n))}
    return do_change_segment_settings(store, values=values, actor=actor)


# --- exchange rates ----------------------------------------------------------------------------


def _rerate_orders(store: Store, currency: str) -> set[int]:
    """Give the store's orders in ``currency`` the rate valid on their day, as
    ``commerce.sync.rate_for`` picks it (the latest from before, else the earliest); returns
    the customers whose orders changed."""
    rates = list(
        ExchangeRate.objects.filter(store=store, currency=currency)
        .order_by("valid_from")
        .values_list("valid_from", "rate")
    )
    if not rates:
        return set()
    days = [day for day, _rate in rates]
    changed = []
    for order in Order.objects.filter(store=store, currency=currency).only(
        "pk", "customer_id", "placed_at", "fx_rate"
    ):
        i = bisect.bisect_right(days, order.placed_at.date()) - 1
        rate = rates[max(i, 0)][1]
        if order.fx_rate != rate:
            order.fx_rate = rate
            changed.append(order)
    Order.objects.bulk_update(changed, ["fx_rate"], batch_size=1000)
    return {order.customer_id for order in changed if order.customer_id is not None}


def do_add_exchange_rate(
    store: Store, *, currency: str, rate: Decimal, valid_from: date, actor: User | None
) -> tuple[ExchangeRate, Recompute]:
    """Store the rate (replacing one of the same currency and day), convert the store's orders
    in that currency with it where it applies, and recompute their customers."""
    with transaction.atomic():
        item, created = ExchangeRate.objects.update_or_create(
            store=store, currency=currency, valid_from=valid_from, defaults={"rate": rate}
        )
        verb = "Added" if created else "Changed"
        _log(actor, store, f"{verb} exchange rate {item} (agent UI).")
        customers = sorted(_rerate_orders(store, currency))
    return item, _recompute(store, customers)


def check_add_exchange_rate(
    store: Store, *, currency: str, rate: Decimal, valid_from: date, actor: User
) -> tuple[ExchangeRate, Recompute]:
    if not can_change_store_settings(actor):
        raise CommerceError(CommerceErrorCode.SETTINGS_DENIED)
    currency = currency.strip().upper()
    if not _CURRENCY.fullmatch(currency):
        raise CommerceError(
            CommerceErrorCode.INVALID_RATE, detail=_("a currency is three letters, e.g. USD")
        )
    if currency == store.currency.upper():
        raise CommerceError(
            CommerceErrorCode.INVALID_RATE,
            detail=_("%(currency)s is the store's base currency") % {"currency": currency},
        )
    if not 0 < rate <= MAX_RATE:
        raise CommerceError(CommerceErrorCode.INVALID_RATE, detail=_("the rate must be positive"))
    if valid_from > timezone.localdate() + timedelta(days=366):
        raise CommerceError(
            CommerceErrorCode.INVALID_RATE, detail=_("the date is more than a year ahead")
        )
    return do_add_exchange_rate(
        store, currency=currency, rate=rate, valid_from=valid_from, actor=actor
    )
