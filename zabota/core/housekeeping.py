"""Periodic jobs: heartbeat, outbox sweep, timeouts, mail polls and retries.

``zabota scheduler`` runs them in its own process; ``zabota worker`` runs them in a thread unless
started with ``--no-housekeeping``. Each shared job is claimed through a lease per period
(``zabota.core.leases``), so however many schedulers and workers run, it runs once per period;
only the heartbeat is per process. Each job is also a small guard clause with its own
idempotency: running it twice changes nothing the second time.
"""

import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db import close_old_connections
from django.utils import timezone

from zabota.core import events, leases
from zabota.core.models import WorkerHeartbeat

logger = logging.getLogger(__name__)


def beat(worker_id: str, started_at: datetime) -> None:
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={
            "hostname": socket.gethostname()[:255],
            "pid": os.getpid(),
            "started_at": started_at,
            "seen_at": timezone.now(),
        },
    )


def sweep_outbox() -> int:
    """Re-enqueue events whose after-commit dispatch was lost (crash, broker down)."""
    from zabota.core.tasks import dispatch_event

    pending = events.pending_events()
    for event_id in pending:
        dispatch_event.enqueue(event_id)
    return len(pending)


def confirm_overdue_solutions() -> int:
    from zabota.tickets.actions import do_confirm_overdue_solutions

    return do_confirm_overdue_solutions()


def close_solved() -> int:
    """Solved tickets past their store's ``close_after`` are closed."""
    from zabota.tickets.actions import do_close_solved

    return do_close_solved()


def poll_mailboxes() -> int:
    from zabota.channels.email.imap import enqueue_polls

    return enqueue_polls()


def send_due_mail() -> int:
    """Outbound mail whose retry is due, or whose queueing was lost."""
    from zabota.channels.email.smtp import enqueue_due

    return enqueue_due()


def sweep_segments() -> int:
    """Customers whose segments time alone may have changed (new → not new, → dormant)."""
    from zabota.commerce.listeners import sweep_segments as sweep

    return sweep()


def retry_webhook_deliveries() -> int:
    """Store-platform webhooks whose processing failed (with backoff) or was cut off."""
    from zabota.commerce.webhooks import retry_failed_deliveries

    return retry_failed_deliveries()


def send_outgoing_webhooks() -> int:
    """Outgoing webhook deliveries whose retry is due, or whose queueing or attempt was lost."""
    from zabota.webhooks.delivery import enqueue_due

    return enqueue_due()


def sweep_inbound_mail() -> int:
    """Inbound mail whose processing task was lost, or whose retry is overdue."""
    from zabota.channels.email.process import sweep_inbound

    return sweep_inbound()


def drain_routing_queues() -> int:
    """Queued tickets a missed event left waiting though an agent has room for them."""
    from zabota.routing.actions import drain_all

    return drain_all()


def auto_away() -> int:
    """Online agents idle for ZABOTA_AUTO_AWAY_MINUTES become away."""
    from zabota.routing.actions import do_auto_away

    return do_auto_away()


def send_notification_mail() -> int:
    """Notification e-mails whose task was lost or failed."""
    from zabota.notifications.emails import enqueue_due

    return enqueue_due()


def send_survey_invitations() -> int:
    """Survey invitations whose day came (after a delivery), whose retry is due, or whose task
    was lost."""
    from zabota.surveys.sending import enqueue_due

    return enqueue_due()


def sweep_survey_submissions() -> int:
    """Public survey submissions whose processing task was lost, or whose retry is due."""
    from zabota.surveys.submissions import sweep

    return sweep()


def sweep_time_rules() -> int:
    """Time-based automation rules ("pending for 48 hours")."""
    from zabota.automation.engine import sweep_time_rules as sweep

    return sweep()


def sweep_sla() -> int:
    """SLA clocks whose warning or due time has passed."""
    from zabota.sla.actions import sweep

    return sweep()


def reopen_callback_retries() -> int:
    """Callback requests whose retry after an unanswered call came due: their tickets reopen."""
    from zabota.callbacks.tasks import sweep_due_retries

    return sweep_due_retries()


def forget_stale_chat_presence() -> int:
    """Presence rows of agent sockets a crashed web process left behind."""
    from zabota.chat.actions import do_forget_stale_presence

    return do_forget_stale_presence()


@dataclass
class Job:
    name: str
    every_seconds: float
    run: Callable[[], object]
    # Shared jobs run once per period across all processes; the heartbeat is per process.
    shared: bool = True
    next_run: float = 0.0


class Housekeeper(threading.Thread):
    """Runs the periodic jobs until ``stop_event`` is set: in a daemon thread beside a worker
    (``start()``), or in the calling thread for ``zabota scheduler`` (``run()``).

    With ``periodic=False`` only the heartbeat runs, for workers beside a dedicated scheduler.
    """

    def __init__(self, worker_id: str, *, periodic: bool = True) -> None:
        super().__init__(name="zabota-housekeeping", daemon=True)
        self.worker_id = worker_id
        self.started_at = timezone.now()
        self.stop_event = threading.Event()
        self.jobs = [Job("heartbeat", 10, lambda: beat(self.worker_id, self.started_at), False)]
        if periodic:
            self.jobs += self.periodic_jobs()

    @staticmethod
    def periodic_jobs() -> list[Job]:
        return [
            Job("outbox sweep", 30, sweep_outbox),
            Job("confirmation timeout", 60, confirm_overdue_solutions),
            Job("close solved tickets", 300, close_solved),
            Job("IMAP polls", 60, poll_mailboxes),
            Job("outbound mail retries", 30, send_due_mail),
            Job("inbound mail sweep", 30, sweep_inbound_mail),
            Job("segment sweep", 600, sweep_segments),
            Job("webhook delivery retries", 60, retry_webhook_deliveries),
            Job("outgoing webhooks", 30, send_outgoing_webhooks),
            Job("SLA sweep", 30, sweep_sla),
            Job("time-based rules", 300, sweep_time_rules),
            Job("routing queues", 60, drain_routing_queues),
            Job("auto away", 60, auto_away),
            Job("notification e-mails", 60, send_notification_mail),
            Job("survey invitations", 60, send_survey_invitations),
            Job("survey submissions", 30, sweep_survey_submissions),
            Job("callback retries", 60, reopen_callback_retries),
            Job("stale chat presence", 300, forget_stale_chat_presence),
        ]

    def run_due(self, now: float, *, at: datetime | None = None) -> None:
        """Run the jobs due at monotonic time ``now`` (``at`` is the wall clock, for tests)."""
        for job in self.jobs:
            if now < job.next_run:
                continue
            job.next_run = now + job.every_seconds
            if job.shared:
                try:
                    wait = leases.claim(job.name, self.worker_id, job.every_seconds, at=at)
                except Exception:
                    logger.exception("Could not claim the lease of job %r", job.name)
                    continue
                if wait:
                    # Another process holds this period: ask again when its lease ends.
                    job.next_run = now + wait
                    continue
            try:
                job.run()
            except Exception:
                logger.exception("Housekeeping job %r failed", job.name)

    def run(self) -> None:
        import time

        while not self.stop_event.is_set():
            self.run_due(time.monotonic())
            # This thread has its own connection; drop it if it went stale or errored.
            close_old_connections()
            self.stop_event.wait(1.0)
