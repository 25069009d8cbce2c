"""The outbox through the real database task backend and worker, as in production."""

import pytest
from django.core.management import call_command
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from zabota.core import events
from zabota.core.models import OutboxEvent
from zabota.tickets.actions import do_add_note

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.mark.django_db(transaction=True)
def test_event_is_queued_on_commit_and_delivered_by_the_worker(world):
    """After commit the dispatch waits in the task table; a worker run delivers it."""
    # given a listener and the database task backend
    seen = []

    @events.listener("note.added")
    def remember(event_type, payload):
        seen.append(payload["message_id"])

    try:
        with override_settings(TASKS=DB_TASKS):
            # when an action commits
            note = do_add_note(world.maria_ticket, body_text="Called the carrier", actor=world.anna)
            # then the dispatch is queued, not yet run
            event = OutboxEvent.objects.get(type="note.added")
            assert event.dispatched_at is None and seen == []
            # one dispatch task carries every event of the transaction
            assert DBTaskResult.objects.filter(args_kwargs__args=[[event.pk]]).exists()
            # when the worker drains the queue
            call_command("db_worker", batch=True, interval=0, startup_delay=False, reload=False)
        # then
        event.refresh_from_db()
        assert seen == [note.pk]
        assert event.dispatched_at is not None
    finally:
        events.unregister(remember)


@pytest.mark.django_db(transaction=True)
def test_one_dispatch_task_per_transaction(world):
    """A reply publishes two events (message.sent, status_changed) and costs one dispatch task;
    an event whose savepoint rolled back is not dispatched."""
    from django.db import transaction

    from zabota.tickets.actions import do_add_reply

    with override_settings(TASKS=DB_TASKS):
        before = DBTaskResult.objects.count()
        with transaction.atomic():
            do_add_reply(world.maria_ticket, body_text="Sent today", actor=world.anna)
            try:
                with transaction.atomic():
                    do_add_note(world.maria_ticket, body_text="rolled back", actor=world.anna)
                    raise RuntimeError
            except RuntimeError:
                pass
        tasks = list(DBTaskResult.objects.order_by("enqueued_at")[before:])
    assert len(tasks) == 1
    [ids] = tasks[0].args_kwargs["args"]
    types = list(OutboxEvent.objects.filter(pk__in=ids).values_list("type", flat=True))
    assert sorted(types) == ["message.sent", "ticket.status_changed"]
