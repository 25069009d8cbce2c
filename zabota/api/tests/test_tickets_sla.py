"""The API's inbox shows each ticket's SLA clock and sorts by it like the agent inbox."""

from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time

from zabota.sla.models import SlaPolicy
from zabota.tickets.actions import do_change_priority, do_create_ticket
from zabota.tickets.constants import Priority

pytestmark = pytest.mark.django_db


def test_sort_by_sla_puts_the_earliest_due_first_and_tickets_without_a_clock_last(
    world, api_as, django_capture_on_commit_callbacks
):
    # given: urgent tickets are due in 30 minutes, normal ones in 4 hours; the world's two
    # tickets were created before any policy, so they have no clock
    SlaPolicy.objects.create(
        store=world.store,
        name="Urgent",
        position=1,
        priorities=[Priority.URGENT],
        first_reply_within=timedelta(minutes=30),
    )
    SlaPolicy.objects.create(
        store=world.store, name="Standard", position=2, first_reply_within=timedelta(hours=4)
    )
    with freeze_time(datetime(2026, 11, 16, 8, tzinfo=UTC)):
        with django_capture_on_commit_callbacks(execute=True):
            normal = do_create_ticket(
                store=world.store, customer=world.maria, subject="Normal", body_text="x", actor=None
            )
        with django_capture_on_commit_callbacks(execute=True):
            urgent = do_create_ticket(
                store=world.store, customer=world.ivan, subject="Urgent", body_text="x", actor=None
            )
            do_change_priority(urgent, priority=Priority.URGENT, actor=world.ada)
    # when
    body = api_as(world.ada).get("/api/v1/tickets?sort=sla&limit=10").json()
    # then
    ids = [item["id"] for item in body["items"]]
    assert ids[:2] == [urgent.pk, normal.pk]
    assert set(ids[2:]) == {world.maria_ticket.pk, world.ivan_ticket.pk}
    first = body["items"][0]["sla"]
    assert first == {"state": "due", "due_at": "2026-11-16T08:30:00Z", "paused": False}
    assert body["items"][2]["sla"] is None
    # and one ticket's page shows its clock too
    one = api_as(world.ada).get(f"/api/v1/tickets/{normal.pk}").json()
    assert one["sla"]["due_at"] == "2026-11-16T12:00:00Z"
