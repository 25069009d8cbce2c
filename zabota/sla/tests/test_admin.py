"""Admins edit a business calendar with its weekly hours and holidays on one page."""

from datetime import date, time, timedelta

import pytest

from zabota.conftest import PASSWORD
from zabota.sla.models import BusinessCalendar, SlaPolicy

pytestmark = pytest.mark.django_db


def _inline(prefix: str, rows: list[dict[str, str]]) -> dict[str, str]:
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        data.update({f"{prefix}-{index}-{field}": value for field, value in row.items()})
    return data


def test_admin_creates_a_calendar_with_hours_and_holidays(world, client):
    # given
    client.login(email=world.ada.email, password=PASSWORD)
    data = {"name": "Office", "store": str(world.store.pk), "time_zone": "", "is_default": "on"}
    data |= _inline(
        "weekly_hours",
        [
            {"weekday": "0", "opens": "09:00", "closes": "13:00"},
            {"weekday": "0", "opens": "14:00", "closes": "18:00"},
        ],
    )
    data |= _inline("holidays", [{"date": "2026-12-25", "name": "Christmas", "recurring": "on"}])
    # when
    assert client.get("/admin/sla/businesscalendar/add/").status_code == 200
    response = client.post("/admin/sla/businesscalendar/add/", data)
    # then
    assert response.status_code == 302, response.content.decode()[:2000]
    calendar = BusinessCalendar.objects.get()
    assert calendar.is_default
    assert [(row.opens, row.closes) for row in calendar.weekly_hours.all()] == [
        (time(9), time(13)),
        (time(14), time(18)),
    ]
    assert [(row.date, row.recurring) for row in calendar.holidays.all()] == [
        (date(2026, 12, 25), True)
    ]
    assert client.get(f"/admin/sla/businesscalendar/{calendar.pk}/change/").status_code == 200


def test_admin_refuses_hours_that_close_before_they_open(world, client):
    # given
    client.login(email=world.ada.email, password=PASSWORD)
    data = {"name": "Office", "store": str(world.store.pk), "time_zone": ""}
    data |= _inline("weekly_hours", [{"weekday": "0", "opens": "18:00", "closes": "09:00"}])
    data |= _inline("holidays", [])
    # when
    response = client.post("/admin/sla/businesscalendar/add/", data)
    # then
    assert response.status_code == 200
    assert "The closing time must be after the opening time." in response.content.decode()
    assert not BusinessCalendar.objects.exists()


def test_admin_creates_an_sla_policy_with_a_vip_factor(world, client):
    """Durations are entered as HH:MM:SS, conditions and factors as JSON."""
    # given
    client.login(email=world.ada.email, password=PASSWORD)
    data = {
        "store": str(world.store.pk),
        "name": "Standard",
        "position": "1",
        "is_active": "on",
        "channels": '["email"]',
        "priorities": "[]",
        "segments": "[]",
        "first_reply_within": "02:00:00",
        "next_reply_within": "",
        "resolution_within": "1 00:00:00",
        "warning_percent": "20",
        "segment_factors": '{"vip": 0.5}',
        "calendar": "",
    }
    # when
    assert client.get("/admin/sla/slapolicy/add/").status_code == 200
    response = client.post("/admin/sla/slapolicy/add/", data)
    # then
    assert response.status_code == 302, response.content.decode()[:2000]
    policy = SlaPolicy.objects.get()
    assert (policy.channels, policy.segment_factors) == (["email"], {"vip": 0.5})
    assert policy.first_reply_within == timedelta(hours=2)
    assert policy.resolution_within == timedelta(days=1)
    assert policy.next_reply_within is None
    assert client.get("/admin/sla/slapolicy/").status_code == 200


def test_admin_refuses_a_factor_that_is_not_a_number(world, client):
    # given
    client.login(email=world.ada.email, password=PASSWORD)
    data = {
        "store": str(world.store.pk),
        "name": "Broken",
        "position": "0",
        "channels": "[]",
        "priorities": "[]",
        "segments": "[]",
        "warning_percent": "20",
        "segment_factors": '{"vip": "half"}',
    }
    # when
    response = client.post("/admin/sla/slapolicy/add/", data)
    # then
    assert response.status_code == 200
    assert not SlaPolicy.objects.exists()
