from datetime import timedelta

import pytest
from django.utils import timezone

from zabota.core import events
from zabota.core.housekeeping import Housekeeper, sweep_outbox
from zabota.core.models import OutboxEvent, WorkerHeartbeat


@pytest.fixture
def recorder():
    calls = []

    @events.listener("ticket.created")
    def record(event_type, payload):
        calls.append(payload["ticket_id"])

    yield calls
    events.unregister(record)


def test_unknown_event_type_is_refused(db):
    with pytest.raises(ValueError):
        events.publish_on_commit("ticket.exploded", ticket_id=1)


def test_failing_listener_is_retried_without_rerunning_the_others(db, recorder):
    """A listener that failed is retried; one that succeeded does not run twice."""
    # given
    attempts = []

    @events.listener("ticket.created")
    def flaky(event_type, payload):
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("webhook down")

    try:
        event = OutboxEvent.objects.create(type="ticket.created", payload={"ticket_id": 7})
        # when
        first = events.dispatch(event.pk)
        second = events.dispatch(event.pk)
        # then
        event.refresh_from_db()
        assert (first, second) == (False, True)
        assert recorder == [7]
        assert len(attempts) == 2
        assert event.dispatched_at is not None and event.attempts == 2 and event.last_error == ""
    finally:
        events.unregister(flaky)


def test_event_fails_visibly_after_max_attempts(db):
    @events.listener("ticket.created")
    def broken(event_type, payload):
        raise RuntimeError("always")

    try:
        event = OutboxEvent.objects.create(type="ticket.created", payload={"ticket_id": 1})
        for _ in range(events.MAX_ATTEMPTS):
            events.dispatch(event.pk)
        event.refresh_from_db()
        assert event.failed and "always" in event.last_error and event.dispatched_at is None
    finally:
        events.unregister(broken)


def test_sweep_delivers_events_whose_dispatch_was_lost(db, recorder):
    """An event committed but never dispatched (crash) is delivered by the worker's sweep."""
    event = OutboxEvent.objects.create(type="ticket.created", payload={"ticket_id": 42})
    OutboxEvent.objects.filter(pk=event.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    assert sweep_outbox() == 1
    event.refresh_from_db()
    assert recorder == [42] and event.dispatched_at is not None
    assert sweep_outbox() == 0


def test_housekeeper_writes_heartbeat(db):
    keeper = Housekeeper("worker-test")
    keeper.run_due(now=1000.0)
    beat = WorkerHeartbeat.objects.get(worker_id="worker-test")
    assert (timezone.now() - beat.seen_at).total_seconds() < 5
