"""The Redis task backend (django-tasks-rq) against the machine's Redis, with a real RQ worker.

The tests use Redis database 15 and flush it before and after; the RQ worker runs in burst mode
in this process (``SimpleWorker``: no fork), so the task sees the test's database.
"""

from datetime import UTC, datetime, timedelta

import django_rq
import pytest
import redis
from django.tasks import TaskResultStatus, default_task_backend, task
from django.test import override_settings
from django_tasks_rq.backend import Job
from rq import SimpleWorker

from zabota.core import events
from zabota.core.models import OutboxEvent
from zabota.tickets.actions import do_add_note

REDIS_TEST_URL = "redis://127.0.0.1:6379/15"
RQ_TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
RQ_QUEUES = {"default": {"URL": REDIS_TEST_URL}}


@task()
def always_fails(order_number: str) -> None:
    raise ValueError(f"carrier API rejected {order_number}")


@pytest.fixture
def rq_backend():
    connection = redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=1)
    try:
        connection.ping()
    except redis.exceptions.ConnectionError as exc:
        pytest.skip(f"Redis is unreachable at {REDIS_TEST_URL}: {exc}")
    connection.flushdb()
    with override_settings(TASKS=RQ_TASKS, RQ_QUEUES=RQ_QUEUES):
        yield django_rq.get_queue("default", job_class=Job)
    connection.flushdb()
    connection.close()


def work_burst(queue) -> None:
    """Run every queued job (and scheduled ones now due) once, as `zabota worker` would."""
    worker = SimpleWorker([queue], connection=queue.connection, job_class=Job)
    worker.work(burst=True, with_scheduler=True)


@pytest.fixture
def note_listener():
    seen: list[int] = []
    fail_times = [0]

    @events.listener("note.added")
    def remember(event_type, payload):
        if fail_times[0]:
            fail_times[0] -= 1
            raise ConnectionError("search index is down")
        seen.append(payload["message_id"])

    yield seen, fail_times
    events.unregister(remember)


@pytest.mark.django_db(transaction=True)
def test_an_event_is_dispatched_through_redis_by_an_rq_worker(world, rq_backend, note_listener):
    """After commit the dispatch task waits in the Redis queue; an RQ worker delivers it."""
    seen, _ = note_listener
    # when an action commits
    note = do_add_note(world.maria_ticket, body_text="Called the carrier", actor=world.anna)
    # then the dispatch is queued in Redis, not run
    event = OutboxEvent.objects.get(type="note.added")
    [job_id] = rq_backend.get_job_ids()
    assert seen == [] and event.dispatched_at is None
    # when a worker drains the queue
    work_burst(rq_backend)
    # then
    event.refresh_from_db()
    assert seen == [note.pk] and event.dispatched_at is not None
    result = default_task_backend.get_result(job_id)
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.task.module_path == "zabota.core.tasks.dispatch_events"
    assert result.return_value == 1


@pytest.mark.django_db(transaction=True)
def test_a_failed_dispatch_is_retried_with_backoff_through_redis(world, rq_backend, note_listener):
    """A listener failure schedules a retry in RQ's scheduled registry after the backoff delay;
    once due, the worker delivers the event."""
    seen, fail_times = note_listener
    fail_times[0] = 1
    # given a listener that fails once
    note = do_add_note(world.maria_ticket, body_text="Called the carrier", actor=world.anna)
    event = OutboxEvent.objects.get(type="note.added")
    # when the worker runs the dispatch
    before = datetime.now(UTC)
    work_burst(rq_backend)
    # then the event is not delivered, and a retry waits for the backoff delay
    event.refresh_from_db()
    assert (event.attempts, event.dispatched_at, seen) == (1, None, [])
    assert "search index is down" in event.last_error
    registry = rq_backend.scheduled_job_registry
    [retry_id] = registry.get_job_ids()
    retry_job = Job.fetch(retry_id, connection=rq_backend.connection)
    assert retry_job.func_name == "zabota.core.tasks.dispatch_event"
    assert list(retry_job.args) == [event.pk]
    delay = (registry.get_scheduled_time(retry_id) - before).total_seconds()
    backoff = events.retry_delay(1).total_seconds()
    assert backoff - 1 <= delay <= backoff + 1
    # a worker before the delay leaves it waiting (moved an hour on: the 2 s of the first
    # backoff may pass on a busy machine before this worker starts)
    registry.schedule(retry_job, datetime.now(UTC) + timedelta(hours=1))
    work_burst(rq_backend)
    event.refresh_from_db()
    assert event.dispatched_at is None and registry.get_job_ids() == [retry_id]
    # when the delay has passed (moved into the past rather than slept through)
    registry.schedule(retry_job, datetime(2000, 1, 1, tzinfo=UTC))
    work_burst(rq_backend)
    # then
    event.refresh_from_db()
    assert seen == [note.pk] and event.dispatched_at is not None and event.attempts == 2
    assert default_task_backend.get_result(retry_id).status == TaskResultStatus.SUCCESSFUL


@pytest.mark.django_db(transaction=True)
def test_a_failing_task_ends_failed_with_its_error_in_redis(rq_backend):
    """A task that raises ends in RQ's failed state, visible through the task result."""
    # when
    enqueued = always_fails.enqueue("1001")
    work_burst(rq_backend)
    # then
    result = default_task_backend.get_result(enqueued.id)
    assert result.status == TaskResultStatus.FAILED
    [error] = result.errors
    assert error.exception_class_path == "builtins.ValueError"
    assert "carrier API rejected 1001" in error.traceback
    assert rq_backend.failed_job_registry.get_job_ids() == [enqueued.id]


def test_queues_share_one_redis_client_per_process(rq_backend):
    """Each enqueue used to open (and drop) a connection to Redis: django_rq makes a client per
    get_queue. Now the queues of a process share one, so its connections are reused."""
    again = django_rq.get_queue("default", job_class=Job)
    assert again.connection is rq_backend.connection
    again.connection.ping()
    pool = again.connection.connection_pool
    created = pool._created_connections  # type: ignore[attr-defined]
    for _ in range(5):
        django_rq.get_queue("default", job_class=Job).connection.ping()
    assert pool._created_connections == created  # type: ignore[attr-defined]
