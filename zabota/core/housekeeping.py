"""Periodic jobs the worker runs beside the task queue: heartbeat, outbox sweep, timeouts.

Each job is a small guard clause with its own idempotency: running it twice, or on two workers at
once, changes nothing the second time.
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

from zabota.core import events
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


def sweep_inbound_mail() -> int:
    """Inbound mail whose processing task was lost, or whose retry is overdue."""
    from zabota.channels.email.process import sweep_inbound

    return sweep_inbound()


@dataclass
class Job:
    name: str
    every_seconds: float
    run: Callable[[], object]
    last_run: float = 0.0


class Housekeeper(threading.Thread):
    """Runs the periodic jobs in a daemon thread until ``stop`` is set."""

    def __init__(self, worker_id: str) -> None:
        super().__init__(name="zabota-housekeeping", daemon=True)
        self.worker_id = worker_id
        self.started_at = timezone.now()
        self.stop_event = threading.Event()
        self.jobs = [
            Job("heartbeat", 10, lambda: beat(self.worker_id, self.started_at)),
            Job("outbox sweep", 30, sweep_outbox),
            Job("confirmation timeout", 60, confirm_overdue_solutions),
            Job("IMAP polls", 60, poll_mailboxes),
            Job("outbound mail retries", 30, send_due_mail),
            Job("inbound mail sweep", 30, sweep_inbound_mail),
            Job("segment sweep", 600, sweep_segments),
            Job("webhook delivery retries", 60, retry_webhook_deliveries),
        ]

    def run_due(self, now: float) -> None:
        for job in self.jobs:
            if now - job.last_run < job.every_seconds:
                continue
            job.last_run = now
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
