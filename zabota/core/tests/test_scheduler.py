"""Periodic jobs with several schedulers and workers: each shared job runs once per period."""

import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import close_old_connections, connection
from django.utils import timezone

from zabota.core import housekeeping, leases
from zabota.core.housekeeping import Housekeeper, Job
from zabota.core.management.commands import scheduler
from zabota.core.models import JobLease, WorkerHeartbeat


def counting_keeper(name: str, runs: list[str]) -> Housekeeper:
    keeper = Housekeeper(name)
    keeper.jobs = [Job("count", 60, lambda: runs.append(name))]
    return keeper


def test_two_schedulers_run_a_shared_job_once_per_period(db):
    """Two schedulers ticking every second run a 60-second job once a minute between them."""
    # given two schedulers started together
    runs: list[str] = []
    alpha, beta = counting_keeper("alpha", runs), counting_keeper("beta", runs)
    start = timezone.now()
    # when both tick every second for three minutes
    for second in range(180):
        at = start + timedelta(seconds=second)
        alpha.run_due(float(second), at=at)
        beta.run_due(float(second), at=at)
    # then the job ran three times in all, once in each period
    assert len(runs) == 3
    lease = JobLease.objects.get(name="count")
    assert lease.holder in {"alpha", "beta"}
    assert lease.expires_at == start + timedelta(seconds=180)


def test_a_crashed_holders_period_is_taken_over_when_its_lease_ends(db):
    """A scheduler that died holding a lease blocks the job only until the lease expires."""
    # given alpha ran the job and then died
    runs: list[str] = []
    start = timezone.now()
    counting_keeper("alpha", runs).run_due(0.0, at=start)
    beta = counting_keeper("beta", runs)
    # when beta ticks before and after alpha's lease ends
    beta.run_due(0.0, at=start)
    beta.run_due(30.0, at=start + timedelta(seconds=30))
    assert runs == ["alpha"]
    # beta asks again when the lease ends, not a full period later
    assert beta.jobs[0].next_run == 60.0
    beta.run_due(60.0, at=start + timedelta(seconds=60))
    # then
    assert runs == ["alpha", "beta"]


def test_the_heartbeat_is_per_process_not_leased(db):
    """Every worker and scheduler reports its own heartbeat, whoever holds the job leases."""
    Housekeeper("worker-a").run_due(0.0)
    Housekeeper("scheduler-b").run_due(0.0)
    assert set(WorkerHeartbeat.objects.values_list("worker_id", flat=True)) == {
        "worker-a",
        "scheduler-b",
    }
    assert not JobLease.objects.filter(name="heartbeat").exists()


def test_a_worker_beside_a_scheduler_only_beats():
    """`zabota worker --no-housekeeping` leaves the periodic jobs to `zabota scheduler`."""
    keeper = Housekeeper("worker-a", periodic=False)
    assert [job.name for job in keeper.jobs] == ["heartbeat"]
    assert len(Housekeeper("worker-b").jobs) > 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_let_exactly_one_scheduler_win():
    """Eight schedulers claiming the same period at the same instant: one wins."""
    if connection.vendor != "postgresql":
        pytest.skip(
            "SQLite serialises writers; its in-memory test database fails concurrent writers "
            "with 'table is locked' instead of waiting"
        )
    # given
    at = timezone.now()
    barrier = threading.Barrier(8)
    won: list[str] = []
    errors: list[BaseException] = []

    def claim(holder: str) -> None:
        try:
            barrier.wait()
            if leases.claim("sweep", holder, 30, at=at) == 0.0:
                won.append(holder)
        except BaseException as exc:
            errors.append(exc)
        finally:
            close_old_connections()

    # when
    threads = [threading.Thread(target=claim, args=(f"s{n}",)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then
    assert errors == []
    assert len(won) == 1
    assert JobLease.objects.get(name="sweep").holder == won[0]


def test_scheduler_command_runs_the_jobs_under_its_own_name(db, monkeypatch):
    """One pass of `zabota scheduler`: it beats and holds the lease of every periodic job."""

    class OnePass(Housekeeper):
        def run_due(self, now, *, at=None):
            super().run_due(now, at=at)
            self.stop_event.set()

    monkeypatch.setattr(scheduler, "Housekeeper", OnePass)
    monkeypatch.setattr(scheduler.signal, "signal", lambda *args: None)
    # Returning the connection to the pool would end the test's transaction.
    monkeypatch.setattr(housekeeping, "close_old_connections", lambda: None)
    call_command("scheduler")
    [beat] = WorkerHeartbeat.objects.all()
    assert beat.worker_id.startswith("scheduler-")
    holders = dict(JobLease.objects.values_list("name", "holder"))
    assert set(holders) == {job.name for job in Housekeeper.periodic_jobs()}
    assert set(holders.values()) == {beat.worker_id}
