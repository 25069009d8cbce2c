"""Under load a dispatch task takes other events still waiting for their first dispatch along,
so that one task delivers the events of many transactions as one batch; their own tasks then
find nothing left, and an event another worker has taken is not dispatched twice."""

import pytest
from django.test import override_settings

from zabota.core import events
from zabota.core.models import OutboxEvent
from zabota.core.tasks import dispatch_events
from zabota.tickets.actions import do_add_note

pytestmark = pytest.mark.django_db


@pytest.fixture
def calls():
    """Each call of a mixed batch listener on notes: the ids of the notes it got."""
    seen: list[list[int]] = []

    @events.batch_listener("note.added", mixed=True)
    def remember(event_type, payloads):
        seen.append([payload["message_id"] for payload in payloads])

    yield seen
    events.unregister(remember)
    events._mixed.discard(remember)


def _notes_waiting(world, capture, count: int) -> list[list[int]]:
    """``count`` transactions, each publishing one note.added; no task has run yet."""
    groups = []
    for n in range(count):
        with capture(execute=False):
            do_add_note(world.maria_ticket, body_text=f"Note {n}", actor=world.anna)
        groups.append(
            list(
                OutboxEvent.objects.filter(type="note.added", dispatched_at__isnull=True)
                .exclude(pk__in=[pk for group in groups for pk in group])
                .values_list("pk", flat=True)
            )
        )
    return groups


def test_the_first_task_delivers_the_waiting_events_of_other_transactions(
    world, calls, django_capture_on_commit_callbacks
):
    # given
    groups = _notes_waiting(world, django_capture_on_commit_callbacks, 3)
    # when: the worker runs the three tasks in turn
    with override_settings(ZABOTA_DISPATCH_TAKE_ALONG=200):
        for group in groups:
            dispatch_events.call(group)
    # then: one call of the listener with the three notes, oldest first; nothing twice
    assert len(calls) == 1 and len(calls[0]) == 3
    assert calls[0] == sorted(calls[0])
    waiting = [pk for group in groups for pk in group]
    assert not OutboxEvent.objects.filter(pk__in=waiting, dispatched_at__isnull=True).exists()
    assert set(OutboxEvent.objects.filter(pk__in=waiting).values_list("attempts", flat=True)) == {1}


def test_an_event_another_worker_took_is_left_to_it(
    world, calls, django_capture_on_commit_callbacks
):
    """Taken along by another worker (attempt counted, listeners running): its own task skips
    it; if that worker died, the outbox sweep delivers it later (its attempt is counted)."""
    # given
    [[taken]] = _notes_waiting(world, django_capture_on_commit_callbacks, 1)
    OutboxEvent.objects.filter(pk=taken).update(attempts=1)
    # when
    with override_settings(ZABOTA_DISPATCH_TAKE_ALONG=200):
        dispatch_events.call([taken])
    # then
    assert calls == []
    assert OutboxEvent.objects.get(pk=taken).dispatched_at is None
    # when: the sweep's retry path
    assert events.dispatch(taken)
    assert len(calls) == 1


def test_without_take_along_each_task_delivers_its_own(
    world, calls, django_capture_on_commit_callbacks
):
    # given
    groups = _notes_waiting(world, django_capture_on_commit_callbacks, 2)
    # when
    for group in groups:
        dispatch_events.call(group)
    # then
    assert [len(call) for call in calls] == [1, 1]
