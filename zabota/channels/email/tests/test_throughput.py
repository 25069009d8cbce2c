"""What keeps the inbound pipeline fast, held in place: queries per mail, one processing task
for a burst of mail, batches in one transaction, and the guarantees that must survive them — a
mail is never lost or duplicated, a poison mail fails alone, replays change nothing. What a
batch does with its mails, and its statements: test_batch.py."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from zabota.channels.email import process as process_module
from zabota.channels.email.batch import BATCH_SIZE, process_received
from zabota.channels.email.constants import InboundStatus, Source
from zabota.channels.email.inbound import store_raw
from zabota.channels.email.models import InboundEmail
from zabota.channels.email.process import (
    STALE_AFTER,
    process_inbound,
    process_queued,
    sweep_inbound,
)
from zabota.channels.email.tasks import process_inbound_task
from zabota.channels.email.tests.inbound_helpers import (
    deliver,
    mail,
    message_id_of,
    poison_ticket_creation,
)
from zabota.core.models import OutboxEvent
from zabota.tickets.models import Message, Ticket

pytest_plugins = ["zabota.channels.email.tests.inbound_fixtures"]

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
PROCESS_TASK = process_inbound_task.module_path
DISPATCH_TASK = "zabota.core.tasks.dispatch_events"


def _store(raw: bytes) -> InboundEmail:
    inbound, _created = store_raw(raw, source=Source.PIPE)
    return inbound


def _burst(count: int, *, subject: str = "Burst") -> list[bytes]:
    """Mails from as many different customers (the burst limit counts per sender)."""
    return [mail(sender=f"customer{i}@example.com", subject=f"{subject} {i}") for i in range(count)]


def _tasks(path: str) -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(task_path=path).order_by("enqueued_at"))


def _run_worker() -> None:
    call_command("db_worker", batch=True, interval=0, startup_delay=False, reload=False)


# -- queries per mail --------------------------------------------------------------------------


def test_a_new_ticket_costs_a_bounded_number_of_queries(
    world, mailbox, django_assert_max_num_queries
):
    """Processing one mail that opens a ticket for a new customer: 27 statements, of which 6
    open and close savepoints (the mail's, the customer's, the ticket's) and 4 read what a batch
    reads once (our addresses, the mailbox with its store, the store's default group)."""
    # given
    inbound = _store(mail(sender="new.customer@example.com"))
    # when
    with django_assert_max_num_queries(27):
        processed = process_inbound(inbound.pk)
    # then
    assert processed.status == InboundStatus.PROCESSED and processed.outcome == "new_ticket"


def test_a_reply_costs_a_bounded_number_of_queries(world, mailbox, django_assert_max_num_queries):
    """A customer's answer found by References: 23 statements — routing looks the thread up
    (stored and sent Message-IDs) and reads who took part in it, then the message is added."""
    # given
    first = deliver(mail(subject="Parcel"))
    answer = _store(mail(subject="Re: Parcel", references=message_id_of(bytes(first.raw))))
    # when
    with django_assert_max_num_queries(23):
        processed = process_inbound(answer.pk)
    # then
    assert processed.outcome == "reply_references" and processed.ticket_id == first.ticket_id


def test_a_mail_already_processed_costs_two_queries(world, mailbox, django_assert_num_queries):
    """A duplicate task, a sweep or a replay of a finished mail reads it and stops."""
    # given
    inbound = deliver(mail())
    # when
    with django_assert_num_queries(2):
        again = process_inbound(inbound.pk)
    # then
    assert again.status == InboundStatus.PROCESSED and again.attempts == 1


# -- one task for a burst ----------------------------------------------------------------------


@override_settings(TASKS=DB_TASKS)
def test_a_burst_of_mail_waits_for_one_processing_task(world, mailbox):
    """With the database task backend the task row is written with the mail, and mail that
    arrives while a processing task waits to start adds none: that task takes it all."""
    # when
    stored = [_store(raw) for raw in _burst(5)]
    # then
    [waiting] = _tasks(PROCESS_TASK)
    assert waiting.args_kwargs["args"] == [stored[0].pk]
    assert waiting.status == "READY"


@override_settings(TASKS=DB_TASKS)
def test_mail_arriving_after_the_task_started_gets_a_task_of_its_own(world, mailbox):
    """A processing task that is already running may have looked for waiting mail already:
    a later mail queues the next task."""
    # given
    _store(mail(subject="First"))
    DBTaskResult.objects.filter(task_path=PROCESS_TASK).update(status="RUNNING")
    # when
    later = _store(mail(subject="Later"))
    # then
    assert [t.args_kwargs["args"] for t in _tasks(PROCESS_TASK)][-1] == [later.pk]


@pytest.mark.django_db(transaction=True)
def test_the_worker_takes_a_burst_in_batches_and_replays_change_nothing(world, mailbox):
    """A worker run processes a burst with one processing task and one dispatch task per batch:
    every mail becomes one message in one ticket. Delivering the same mails again, and running
    the worker again, adds nothing."""
    # given
    count = 2 * BATCH_SIZE + 1
    burst = _burst(count)
    with override_settings(TASKS=DB_TASKS):
        stored = [_store(raw) for raw in burst]
        # when
        _run_worker()
        # then
        rows = InboundEmail.objects.filter(pk__in=[s.pk for s in stored])
        assert set(rows.values_list("status", flat=True)) == {InboundStatus.PROCESSED}
        assert len(_tasks(PROCESS_TASK)) == 1
        # the task's own mail, then the other mails in two batches
        assert len(_tasks(DISPATCH_TASK)) == 3
        assert not OutboxEvent.objects.filter(dispatched_at__isnull=True).exists()
        tickets = Ticket.objects.filter(subject__startswith="Burst")
        assert tickets.count() == count
        assert Message.objects.filter(ticket__in=tickets).count() == count
        # when the same mails arrive again, by any path
        replays = [store_raw(raw, source=Source.WEBHOOK, mailbox=mailbox) for raw in burst]
        _run_worker()
    # then
    assert all(not created for _row, created in replays)
    assert len(_tasks(PROCESS_TASK)) == 1
    assert Message.objects.filter(ticket__subject__startswith="Burst").count() == count


@pytest.mark.django_db(transaction=True)
@override_settings(TASKS=DB_TASKS)
def test_a_task_whose_own_mail_fails_still_takes_the_waiting_mail(world, mailbox, monkeypatch):
    """The one queued task carries a burst: when its own mail fails, it records the failure,
    queues that mail's retry for when it is due, and processes the others all the same."""
    # given
    poison, *others = (_store(mail(subject=s)) for s in ("Poison", "Second", "Third"))
    poison_ticket_creation(monkeypatch, "Poison")
    # when
    _run_worker()
    # then
    poison.refresh_from_db()
    assert poison.status == InboundStatus.FAILED
    statuses = InboundEmail.objects.filter(pk__in=[o.pk for o in others]).values_list("status")
    assert {status for (status,) in statuses} == {InboundStatus.PROCESSED}
    first, retry = _tasks(PROCESS_TASK)
    assert first.status == "FAILED" and retry.status == "READY"
    assert retry.args_kwargs["args"] == [poison.pk] and retry.run_after == poison.next_attempt_at


# -- batches -----------------------------------------------------------------------------------


def test_a_batch_commits_every_mail_but_the_one_that_failed(world, mailbox, monkeypatch):
    """One mail of a batch raises while its ticket is created: the batch's bulk insert fails,
    the batch falls back to one mail at a time, and that mail alone is rolled back and recorded
    as failed with its next attempt; the mails around it are processed. Its own queued task, if
    it had one, then leaves it to that next attempt; once due, it is processed like any other."""
    # given
    before, poison, after = (_store(mail(subject=s)) for s in ("Before", "Poison", "After"))
    restore = poison_ticket_creation(monkeypatch, "Poison")
    # when
    processed = process_received()
    # then
    assert processed == 2
    statuses = dict(InboundEmail.objects.values_list("pk", "status"))
    assert statuses[before.pk] == statuses[after.pk] == InboundStatus.PROCESSED
    poison.refresh_from_db()
    assert poison.status == InboundStatus.FAILED and "constraint went wrong" in poison.error
    assert poison.next_attempt_at > timezone.now() and poison.attempts == 1
    assert not Ticket.objects.filter(subject="Poison").exists()
    assert Ticket.objects.filter(subject__in=["Before", "After"]).count() == 2
    # when its own task runs before the retry is due
    restore()
    assert process_queued(poison.pk) == InboundStatus.FAILED
    poison.refresh_from_db()
    assert poison.attempts == 1
    # when the retry is due
    InboundEmail.objects.filter(pk=poison.pk).update(next_attempt_at=timezone.now())
    assert process_queued(poison.pk) == InboundStatus.PROCESSED
    poison.refresh_from_db()
    assert poison.attempts == 2 and poison.ticket.subject == "Poison"
    assert Message.objects.filter(ticket__subject="Poison").count() == 1


def test_a_worker_killed_in_a_batch_loses_and_duplicates_nothing(world, mailbox, monkeypatch):
    """The process dies in the middle of a batch (modelled by SystemExit, which nothing
    catches): the batch's transaction never commits, so every mail of it stays received, and
    marked, so that later batches do not take them: a mail that kills the worker cannot kill
    every batch. The sweep processes them one by one, each exactly once."""
    # given
    stored = [_store(raw) for raw in _burst(4)]
    real = process_module.parse_email
    calls = []

    def dies_on_the_third(raw, **kwargs):
        calls.append(raw)
        if len(calls) == 3:
            raise SystemExit("killed")
        return real(raw, **kwargs)

    monkeypatch.setattr(process_module, "parse_email", dies_on_the_third)
    # when
    with pytest.raises(SystemExit):
        process_received()
    # then
    rows = InboundEmail.objects.filter(pk__in=[s.pk for s in stored]).order_by("pk")
    assert set(rows.values_list("status", flat=True)) == {InboundStatus.RECEIVED}
    assert not rows.filter(next_attempt_at__isnull=True).exists()
    assert not Ticket.objects.filter(subject__startswith="Burst").exists()
    assert process_received() == 0
    # when the sweep finds them after the restart
    monkeypatch.setattr(process_module, "parse_email", real)
    rows.update(next_attempt_at=timezone.now() - STALE_AFTER * 2)
    assert sweep_inbound() == 4
    # then
    assert set(rows.values_list("status", flat=True)) == {InboundStatus.PROCESSED}
    tickets = Ticket.objects.filter(subject__startswith="Burst")
    assert tickets.count() == 4
    assert Message.objects.filter(ticket__in=tickets).count() == 4


# -- durability --------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_only_processing_commits_without_waiting_for_the_disk(world, mailbox):
    """On PostgreSQL the processing transaction sets synchronous_commit off (its results can be
    recomputed from the raw mail); storing the raw mail keeps the durable default."""
    if connection.vendor != "postgresql":
        pytest.skip("synchronous_commit is a PostgreSQL setting")
    relaxed = "SET LOCAL synchronous_commit TO OFF"
    # when (the task is queued, not run inline, so that storing is all the first capture sees)
    with override_settings(TASKS=DB_TASKS):
        with CaptureQueriesContext(connection) as storing:
            inbound = _store(mail())
        with CaptureQueriesContext(connection) as processing:
            process_inbound(inbound.pk)
    # then
    assert not [q for q in storing if "synchronous_commit" in q["sql"]]
    assert [q["sql"] for q in processing].count(relaxed) == 1
    assert InboundEmail.objects.get(pk=inbound.pk).status == InboundStatus.PROCESSED


def test_processing_inside_a_callers_transaction_keeps_its_durability(world, mailbox):
    """Called inside someone else's transaction, processing does not relax that transaction."""
    # given
    inbound = _store(mail())
    # when
    with CaptureQueriesContext(connection) as processing:
        process_inbound(inbound.pk)
    # then
    assert not [q for q in processing if "synchronous_commit" in q["sql"]]
