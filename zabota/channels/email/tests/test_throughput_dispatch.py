"""The outbox as the inbound batches use it: one dispatch task for the events of many committed
transactions (``dispatch_together``), and the events of one task delivered together
(``dispatch_all``) without giving up a listener's retry or an event's attempt count."""

import pytest
from django.db import transaction
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from zabota.core import events
from zabota.core.events import dispatch_all, dispatch_together, publish_on_commit
from zabota.core.models import OutboxEvent
from zabota.tickets.actions import do_add_note

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
DISPATCH_TASK = "zabota.core.tasks.dispatch_events"


def _dispatch_tasks() -> list[list[int]]:
    tasks = DBTaskResult.objects.filter(task_path=DISPATCH_TASK).order_by("enqueued_at")
    return [task.args_kwargs["args"][0] for task in tasks]


@pytest.mark.django_db(transaction=True)
@override_settings(TASKS=DB_TASKS)
def test_transactions_committed_in_a_block_share_one_dispatch_task(world):
    """Three transactions commit notes inside the block and one rolls back: after the block one
    task carries the three committed events, none of the rolled-back one."""
    # when
    with dispatch_together():
        notes = [
            do_add_note(world.maria_ticket, body_text=f"Note {i}", actor=world.anna)
            for i in range(3)
        ]
        try:
            with transaction.atomic():
                do_add_note(world.maria_ticket, body_text="Rolled back", actor=world.anna)
                raise RuntimeError
        except RuntimeError:
            pass
        queued_inside = _dispatch_tasks()
    # then
    assert queued_inside == []
    [event_ids] = _dispatch_tasks()
    payloads = OutboxEvent.objects.filter(pk__in=event_ids).values_list("payload", flat=True)
    assert sorted(p["message_id"] for p in payloads) == sorted(n.pk for n in notes)


@pytest.mark.django_db(transaction=True)
@override_settings(TASKS=DB_TASKS)
def test_an_exception_ending_the_block_still_queues_what_committed(world):
    """What committed before the exception stays committed, so its events are dispatched."""
    # when
    with pytest.raises(RuntimeError), dispatch_together():
        note = do_add_note(world.maria_ticket, body_text="Committed", actor=world.anna)
        raise RuntimeError("the loop broke")
    # then
    [event_ids] = _dispatch_tasks()
    assert OutboxEvent.objects.get(pk__in=event_ids).payload["message_id"] == note.pk


def test_events_of_one_task_are_delivered_together_and_retried_alone(db):
    """Three events: one nobody listens to, one whose listener works, one whose listener fails.
    Each attempt counts; the first two are dispatched, the third is reported for its retry, and
    the retry runs only the listener that failed."""
    # given
    calls = []

    @events.listener("ticket.created")
    def flaky(event_type, payload):
        calls.append(payload["ticket_id"])
        if payload["ticket_id"] == 2 and calls.count(2) == 1:
            raise RuntimeError("webhook down")

    try:
        with transaction.atomic():
            unheard = publish_on_commit("customer.created", customer_id=1)
            works = publish_on_commit("ticket.created", ticket_id=1, store_id=1, customer_id=1)
            fails = publish_on_commit("ticket.created", ticket_id=2, store_id=1, customer_id=1)
        ids = [unheard.pk, works.pk, fails.pk]
        # when
        failed = dispatch_all(ids)
        # then
        assert failed == [fails.pk]
        rows = {e.pk: e for e in OutboxEvent.objects.filter(pk__in=ids)}
        assert all(rows[pk].attempts == 1 for pk in ids)
        assert rows[unheard.pk].dispatched_at and rows[works.pk].dispatched_at
        assert rows[fails.pk].dispatched_at is None and "webhook down" in rows[fails.pk].last_error
        # when the retry runs
        assert dispatch_all(ids) == []
        # then only the failed event ran again
        assert calls == [1, 2, 2]
        assert OutboxEvent.objects.get(pk=fails.pk).attempts == 2
    finally:
        events.unregister(flaky)


def test_a_batch_listener_runs_once_for_the_events_of_a_dispatch_and_retries_alone(db):
    """Three ticket.created events dispatched together reach a batch listener in one call. When
    that call fails, every event records the error; their retries call it with one payload each,
    and a per-event listener that already succeeded does not run again."""
    # given
    batches, singles = [], []
    fail = [True]

    @events.batch_listener("ticket.created")
    def batched(event_type, payloads):
        batches.append([p["ticket_id"] for p in payloads])
        if fail[0]:
            raise RuntimeError("mail server down")

    @events.listener("ticket.created")
    def single(event_type, payload):
        singles.append(payload["ticket_id"])

    try:
        with transaction.atomic():
            published = [
                publish_on_commit("ticket.created", ticket_id=i, store_id=1, customer_id=1)
                for i in (1, 2, 3)
            ]
        ids = [event.pk for event in published]
        # when
        failed = dispatch_all(ids)
        # then
        assert failed == ids and batches == [[1, 2, 3]] and singles == [1, 2, 3]
        assert all("mail server down" in e.last_error for e in OutboxEvent.objects.all())
        # when each is retried alone, the listener now working
        fail[0] = False
        for event_id in ids:
            assert dispatch_all([event_id]) == []
        # then
        assert batches == [[1, 2, 3], [1], [2], [3]] and singles == [1, 2, 3]
        assert not OutboxEvent.objects.filter(pk__in=ids, dispatched_at__isnull=True).exists()
    finally:
        events.unregister(batched)
        events.unregister(single)
