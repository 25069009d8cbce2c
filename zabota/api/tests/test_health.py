"""GET /api/v1/health: no token needed; degraded without a live worker; 503 without a database."""

from datetime import timedelta
from unittest import mock

from django.db import OperationalError
from django.test import Client
from django.utils import timezone

from zabota.core.models import OutboxEvent, WorkerHeartbeat


def heartbeat(seconds_ago, worker_id="worker-1"):
    now = timezone.now()
    return WorkerHeartbeat.objects.create(
        worker_id=worker_id,
        hostname="host",
        pid=1,
        started_at=now - timedelta(hours=1),
        seen_at=now - timedelta(seconds=seconds_ago),
    )


def test_healthy_with_a_live_worker(db):
    """A worker seen within a minute: ok, with the number of events waiting for dispatch."""
    # given
    beat = heartbeat(5)
    OutboxEvent.objects.create(type="ticket.created", payload={"ticket_id": 1})
    OutboxEvent.objects.create(type="ticket.created", payload={}, dispatched_at=timezone.now())
    # when
    response = Client().get("/api/v1/health")
    # then
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["worker"]["status"] == "ok"
    assert body["worker"]["last_seen"].startswith(beat.seen_at.isoformat()[:19])
    assert body["outbox_backlog"] == 1


def test_degraded_when_the_worker_is_stale_or_absent(db):
    """Without a recent heartbeat the service still answers 200, but says it is degraded."""
    absent = Client().get("/api/v1/health").json()
    heartbeat(120)
    stale = Client().get("/api/v1/health").json()
    assert (absent["status"], absent["worker"]) == (
        "degraded",
        {"status": "absent", "last_seen": None},
    )
    assert (stale["status"], stale["worker"]["status"]) == ("degraded", "stale")


def test_database_failure_is_503(db):
    """When the database does not answer, the health check says so with 503."""
    with mock.patch(
        "django.db.backends.utils.CursorWrapper.execute", side_effect=OperationalError("down")
    ):
        response = Client().get("/api/v1/health")
    assert response.status_code == 503
    assert response.json() == {
        "status": "error",
        "database": "error",
        "worker": None,
        "outbox_backlog": None,
    }


def test_a_live_scheduler_does_not_hide_a_dead_worker(db):
    """Schedulers beat too, but only task workers drain the queue."""
    # given
    heartbeat(300)
    heartbeat(5, worker_id="scheduler-1")
    # when
    body = Client().get("/api/v1/health").json()
    # then
    assert (body["status"], body["worker"]["status"]) == ("degraded", "stale")
