"""Store settings: who may read and change them, and that a change recomputes the customers
(segments follow new thresholds; a new exchange rate brings foreign orders into the figures)."""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.admin.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext

from zabota.commerce import actions
from zabota.commerce.access import (
    access_store_settings,
    can_change_store_settings,
    can_view_store_settings,
    settings_stores,
)
from zabota.commerce.actions import check_add_exchange_rate, check_change_segment_settings
from zabota.commerce.constants import Segment
from zabota.commerce.error_codes import CommerceError, CommerceErrorCode
from zabota.commerce.models import CustomerSegment, CustomerStats, Order, SegmentSettings, Store
from zabota.commerce.queries import segment_counts, segments_by_ticket
from zabota.commerce.sync import do_upsert_order
from zabota.commerce.tests.factories import order_data

pytestmark = pytest.mark.django_db


def _segments(world) -> set[str]:
    return set(
        CustomerSegment.objects.filter(store=world.store, customer=world.maria).values_list(
            "segment", flat=True
        )
    )


@pytest.mark.parametrize(
    ("persona", "view", "change"),
    [("ada", True, True), ("lena", True, False), ("anna", False, False), ("piotr", False, False)],
)
def test_admins_change_settings_leads_read_them_agents_do_not_see_them(
    world, persona, view, change
):
    # given
    user = getattr(world, persona)
    # when
    try:
        reached = access_store_settings(user, "demo") == world.store
    except Store.DoesNotExist:
        reached = False
    # then
    assert (reached, can_view_store_settings(user), can_change_store_settings(user)) == (
        view,
        view,
        change,
    )
    assert list(settings_stores(user)) == ([world.store] if view else [])


def test_a_lead_does_not_reach_another_stores_settings(world):
    # given
    Store.objects.create(slug="other", name="Other Store", email="help@other.example")
    # when / then
    with pytest.raises(Store.DoesNotExist):
        access_store_settings(world.lena, "other")
    assert access_store_settings(world.ada, "other").slug == "other"


def test_raising_the_vip_threshold_recomputes_at_once(world):
    """Maria (€1,200 paid) is a VIP; a threshold of €1,500 takes the badge away in the same
    call, and the change is recorded in the admin's history."""
    # given
    do_upsert_order(world.store, order_data("1", total="1200.00"))
    assert Segment.VIP in _segments(world)
    # when
    changed, recompute = check_change_segment_settings(
        world.store, values={"vip_threshold": Decimal("1500.00")}, actor=world.ada
    )
    # then
    assert changed == ["vip_threshold"]
    assert recompute is not None and (recompute.customers, recompute.queued) == (1, False)
    assert Segment.VIP not in _segments(world)
    vip = next(c for c in segment_counts(world.store) if c.code == Segment.VIP)
    assert vip.count == 0
    assert LogEntry.objects.filter(user=world.ada, change_message__contains="vip_threshold")


def test_a_large_store_is_recomputed_by_a_task(world, django_capture_on_commit_callbacks):
    """Above the inline limit the request only queues the task; the task (run inline by the
    test backend after commit) gives the same result."""
    # given
    do_upsert_order(world.store, order_data("1", total="1200.00"))
    # when
    with (
        pytest.MonkeyPatch.context() as patch,
        django_capture_on_commit_callbacks(execute=True),
    ):
        patch.setattr(actions, "INLINE_REFRESH_LIMIT", 0)
        _changed, recompute = check_change_segment_settings(
            world.store, values={"vip_threshold": Decimal("5000")}, actor=world.ada
        )
    # then
    assert recompute is not None and recompute.queued
    assert Segment.VIP not in _segments(world)


def test_nothing_changed_recomputes_nothing(world):
    # given
    current = SegmentSettings.objects.get_or_create(store=world.store)[0]
    # when
    with CaptureQueriesContext(connection) as captured:
        changed, recompute = check_change_segment_settings(
            world.store, values={"vip_threshold": current.vip_threshold}, actor=world.ada
        )
    # then
    assert (changed, recompute) == ([], None)
    assert not [q for q in captured if "customerstats" in q["sql"].lower()]


@pytest.mark.parametrize(
    "values",
    [
        {"high_returner_rate": Decimal("1.5")},
        {"vip_threshold": Decimal("-1")},
        {"dormant_days": 0},
        {"negative_tags": "x" * 201},
    ],
    ids=["rate above 100 %", "negative threshold", "zero days", "tags too long"],
)
def test_thresholds_out_of_range_are_refused(world, values):
    # when
    with pytest.raises(CommerceError) as caught:
        check_change_segment_settings(world.store, values=values, actor=world.ada)
    # then
    assert caught.value.code == CommerceErrorCode.INVALID_SETTING
    assert not SegmentSettings.objects.filter(store=world.store).exclude(vip_threshold=1000)


def test_a_lead_may_not_change_settings(world):
    with pytest.raises(CommerceError) as caught:
        check_change_segment_settings(
            world.store, values={"vip_threshold": Decimal(1)}, actor=world.lena
        )
    assert caught.value.code == CommerceErrorCode.SETTINGS_DENIED


def test_negative_tags_are_tidied(world):
    # when
    check_change_segment_settings(
        world.store, values={"negative_tags": " Complaint, angry,,complaint "}, actor=world.ada
    )
    # then
    assert SegmentSettings.objects.get(store=world.store).negative_tags == "complaint, angry"


def test_a_new_exchange_rate_brings_foreign_orders_into_the_figures(world):
    """A USD order without a rate is left out of lifetime value; adding the rate converts it
    (and the orders after it) and Maria crosses the VIP threshold."""
    # given
    do_upsert_order(world.store, order_data("1", total="600.00"))
    do_upsert_order(world.store, order_data("2", total="500.00", currency="USD"))
    stats = CustomerStats.objects.get(store=world.store, customer=world.maria)
    assert (stats.lifetime_value, stats.unconverted_orders) == (Decimal("600.00"), 1)
    # when
    rate, recompute = check_add_exchange_rate(
        world.store,
        currency="usd",
        rate=Decimal("0.9"),
        valid_from=date(2026, 1, 1),
        actor=world.ada,
    )
    # then
    assert (rate.currency, recompute.customers) == ("USD", 1)
    assert Order.objects.get(external_id="2").fx_rate == Decimal("0.9")
    stats.refresh_from_db()
    assert (stats.lifetime_value, stats.unconverted_orders) == (Decimal("1050.00"), 0)
    assert Segment.VIP in _segments(world)
    assert segments_by_ticket([world.maria_ticket.pk])[world.maria_ticket.pk][0].code == "vip"


@pytest.mark.parametrize(
    ("currency", "rate"),
    [("EUR", "1.0"), ("US", "1.0"), ("USD", "0"), ("USD", "-2")],
    ids=["base currency", "not a code", "zero", "negative"],
)
def test_bad_rates_are_refused(world, currency, rate):
    with pytest.raises(CommerceError) as caught:
        check_add_exchange_rate(
            world.store,
            currency=currency,
            rate=Decimal(rate),
            valid_from=date(2026, 1, 1),
            actor=world.ada,
        )
    assert caught.value.code == CommerceErrorCode.INVALID_RATE


def test_only_admins_add_rates(world):
    with pytest.raises(CommerceError) as caught:
        check_add_exchange_rate(
            world.store,
            currency="USD",
            rate=Decimal("0.9"),
            valid_from=date(2026, 1, 1),
            actor=world.lena,
        )
    assert caught.value.code == CommerceErrorCode.SETTINGS_DENIED
