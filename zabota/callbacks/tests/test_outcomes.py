"""Recording calls: "no answer" schedules a retry that the sweep turns into a reopened ticket at
its time; the third unanswered call gives up; "reached" and "wrong number" solve the ticket.
Every call leaves an internal note on the ticket."""

from datetime import timedelta

import pytest
from freezegun import freeze_time

from zabota.callbacks.actions import check_record_outcome, do_record_outcome, do_request_callback
from zabota.callbacks.constants import CallbackState, CallOutcome
from zabota.callbacks.errors import CallbackError
from zabota.callbacks.models import CallAttempt, CallbackRequest
from zabota.callbacks.tasks import sweep_due_retries
from zabota.callbacks.tests.conftest import utc
from zabota.core.housekeeping import Housekeeper
from zabota.tickets.constants import EventKind, MessageKind, Status
from zabota.tickets.models import Ticket, TicketEvent

pytestmark = pytest.mark.django_db

MONDAY_10 = utc(2026, 11, 16, 9)  # Monday 16 November 2026, 10:00 CET
MINUTE = timedelta(minutes=1)


@pytest.fixture
def callback(world, callback_policy) -> CallbackRequest:
    with freeze_time(MONDAY_10):
        return do_request_callback(world.store, phone="+48601234567", topic="Size exchange")


def _call(callback, outcome, at, *, actor, note=""):
    with freeze_time(at):
        check_record_outcome(callback, outcome=outcome, note=note, actor=actor)
    callback.refresh_from_db()
    return Ticket.objects.get(pk=callback.ticket_id)


def _notes(ticket) -> list[str]:
    return list(
        ticket.messages.filter(kind=MessageKind.NOTE)
        .order_by("pk")
        .values_list("body_text", flat=True)
    )


def test_no_answer_schedules_a_retry_and_the_sweep_reopens_the_ticket_then(world, callback):
    """Monday 10:05 nobody answers: next attempt 10:20; the ticket waits (pending) until the
    sweep at 10:20 reopens it, due then."""
    # when
    ticket = _call(
        callback, CallOutcome.NO_ANSWER, MONDAY_10 + 5 * MINUTE, actor=world.anna, note="Voicemail."
    )
    # then
    retry_at = MONDAY_10 + 20 * MINUTE
    assert callback.state == CallbackState.RETRY_SCHEDULED
    assert callback.attempts == 1
    assert callback.next_attempt_at == retry_at
    assert ticket.status == Status.PENDING
    [note] = _notes(ticket)
    assert "no answer (attempt 1)" in note and "2026-11-16 10:20" in note and "Voicemail." in note
    attempt = CallAttempt.objects.get(request=callback)
    assert (attempt.outcome, attempt.agent, attempt.note) == ("no_answer", world.anna, "Voicemail.")
    # Not yet due: nothing happens.
    assert sweep_due_retries(now=retry_at - MINUTE) == 0
    assert Ticket.objects.get(pk=ticket.pk).status == Status.PENDING
    # when the retry comes due
    assert sweep_due_retries(now=retry_at) == 1
    # then
    callback.refresh_from_db()
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert callback.state == CallbackState.WAITING
    assert callback.due_at == retry_at
    assert callback.next_attempt_at is None
    reopened = TicketEvent.objects.filter(ticket=ticket, kind=EventKind.STATUS).latest("version")
    assert reopened.data == {"old": "pending", "new": "open", "reason": "callback_retry_due"}
    # A second sweep changes nothing.
    assert sweep_due_retries(now=retry_at + MINUTE) == 0
    assert TicketEvent.objects.filter(ticket=ticket).count() == reopened.version


def test_the_housekeeping_job_runs_the_retry_sweep(world, callback):
    _call(callback, CallOutcome.NO_ANSWER, MONDAY_10 + 5 * MINUTE, actor=world.anna)
    [job] = [job for job in Housekeeper.periodic_jobs() if job.name == "callback retries"]
    with freeze_time(MONDAY_10 + 21 * MINUTE):
        assert job.run() == 1
    assert Ticket.objects.get(pk=callback.ticket_id).status == Status.OPEN


def test_retries_back_off_and_the_third_unanswered_call_gives_up(world, callback):
    # given: first call at 10:05, retry 10:20
    _call(callback, CallOutcome.NO_ANSWER, MONDAY_10 + 5 * MINUTE, actor=world.anna)
    sweep_due_retries(now=MONDAY_10 + 20 * MINUTE)
    # when: second call at 10:25 → one hour later
    _call(callback, CallOutcome.NO_ANSWER, MONDAY_10 + 25 * MINUTE, actor=world.anna)
    # then
    assert callback.next_attempt_at == MONDAY_10 + 85 * MINUTE
    sweep_due_retries(now=callback.next_attempt_at)
    # when: the third call goes unanswered too
    ticket = _call(callback, CallOutcome.NO_ANSWER, MONDAY_10 + 90 * MINUTE, actor=world.lena)
    # then
    assert callback.state == CallbackState.GIVEN_UP
    assert callback.attempts == 3
    assert callback.next_attempt_at is None
    assert ticket.status == Status.PENDING
    assert "Gave up after 3 unanswered calls" in _notes(ticket)[-1]
    assert sweep_due_retries(now=MONDAY_10 + timedelta(days=2)) == 0
    assert Ticket.objects.get(pk=ticket.pk).status == Status.PENDING


def test_a_retry_after_closing_time_moves_to_the_next_business_morning(world, callback):
    """Friday 16:50 CET + 15 minutes is after 17:00: the retry is Monday 09:00."""
    _call(callback, CallOutcome.NO_ANSWER, utc(2026, 11, 20, 15, 50), actor=world.anna)
    assert callback.next_attempt_at == utc(2026, 11, 23, 8)


def test_reached_solves_the_ticket_with_a_note(world, callback):
    ticket = _call(
        callback,
        CallOutcome.REACHED,
        MONDAY_10 + 5 * MINUTE,
        actor=world.anna,
        note="Exchange agreed.",
    )
    assert callback.state == CallbackState.REACHED
    assert callback.attempts == 1
    assert ticket.status == Status.SOLVED
    [note] = _notes(ticket)
    assert "reached the customer at +48601234567" in note and "Exchange agreed." in note
    status = TicketEvent.objects.filter(ticket=ticket, kind=EventKind.STATUS).get()
    assert status.actor == world.anna and status.data["reason"] == "callback_reached"


def test_wrong_number_solves_the_ticket_with_a_note(world, callback):
    ticket = _call(callback, CallOutcome.WRONG_NUMBER, MONDAY_10 + 5 * MINUTE, actor=world.anna)
    assert callback.state == CallbackState.WRONG_NUMBER
    assert ticket.status == Status.SOLVED
    assert "+48601234567 is a wrong number" in _notes(ticket)[0]


def test_a_finished_callback_takes_no_more_calls(world, callback):
    _call(callback, CallOutcome.REACHED, MONDAY_10 + 5 * MINUTE, actor=world.anna)
    with pytest.raises(CallbackError) as caught:
        check_record_outcome(callback, outcome=CallOutcome.NO_ANSWER, actor=world.anna)
    assert "outcome" in caught.value.errors
    assert CallAttempt.objects.filter(request=callback).count() == 1


def test_an_unknown_outcome_is_refused(world, callback):
    with pytest.raises(CallbackError) as caught:
        check_record_outcome(callback, outcome="busy", actor=world.anna)
    assert set(caught.value.errors) == {"outcome"}
    assert not CallAttempt.objects.exists()
    assert Ticket.objects.get(pk=callback.ticket_id).status == Status.NEW


def test_a_solved_ticket_is_not_reopened_by_a_due_retry(world, callback):
    """Someone solved the ticket another way while the retry was scheduled."""
    _call(callback, CallOutcome.NO_ANSWER, MONDAY_10 + 5 * MINUTE, actor=world.anna)
    from zabota.tickets.actions import do_change_status

    do_change_status(
        Ticket.objects.get(pk=callback.ticket_id), status=Status.SOLVED, actor=world.lena
    )
    assert sweep_due_retries(now=MONDAY_10 + 30 * MINUTE) == 1
    assert Ticket.objects.get(pk=callback.ticket_id).status == Status.SOLVED


@pytest.mark.django_db
def test_the_first_call_meets_the_callback_first_reply_target(
    world, callback_policy, django_capture_on_commit_callbacks
):
    """A call, even unanswered, is the team's first response: the SLA clock's first-reply
    target is met at the call's time and the ticket records its first reply."""
    from zabota.sla.actions import do_start_slas
    from zabota.sla.models import TicketSla

    request = do_request_callback(world.store, phone="+48 601 234 567", topic="Invoice")
    do_start_slas([(request.ticket_id, request.ticket.created_at)])
    called_at = request.ticket.created_at + timedelta(minutes=5)
    with django_capture_on_commit_callbacks(execute=True):
        do_record_outcome(request, outcome=CallOutcome.NO_ANSWER, actor=world.anna, at=called_at)
    sla = TicketSla.objects.get(ticket_id=request.ticket_id)
    assert sla.first_replied_at == called_at
    request.ticket.refresh_from_db()
    assert request.ticket.first_reply_at == called_at
