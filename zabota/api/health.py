"""Health check for load balancers and monitoring; the only operation without a token."""

import logging
from datetime import timedelta
from typing import Literal

from django.db import DatabaseError
from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Status

from zabota.api.schemas.health import HealthOut, WorkerOut
from zabota.core.models import OutboxEvent, WorkerHeartbeat

logger = logging.getLogger(__name__)

router = Router(tags=["health"])

# A worker writes its heartbeat every few seconds; one silent this long is presumed dead.
WORKER_STALE_AFTER = timedelta(seconds=60)


@router.get("", auth=None, response={200: HealthOut, 503: HealthOut})
def health(request: HttpRequest) -> Status:
    """200 while the database answers: `status` is `ok`, or `degraded` when no worker has
    been seen in the last minute (events and e-mails then wait). 503 if the database fails."""
    try:
        # Schedulers beat too ("scheduler-…"); only a task worker drains the queue.
        last_seen = (
            WorkerHeartbeat.objects.filter(worker_id__startswith="worker-")
            .order_by("-seen_at")
            .values_list("seen_at", flat=True)
            .first()
        )
        backlog = OutboxEvent.objects.filter(dispatched_at__isnull=True, failed=False).count()
    except DatabaseError:
        logger.exception("Health check: the database is not answering")
        down = HealthOut(status="error", database="error", worker=None, outbox_backlog=None)
        return Status(503, down)
    if last_seen is None:
        worker = WorkerOut(status="absent", last_seen=None)
    elif timezone.now() - last_seen <= WORKER_STALE_AFTER:
        worker = WorkerOut(status="ok", last_seen=last_seen)
    else:
        worker = WorkerOut(status="stale", last_seen=last_seen)
    overall: Literal["ok", "degraded"] = "ok" if worker.status == "ok" else "degraded"
    return Status(
        200, HealthOut(status=overall, database="ok", worker=worker, outbox_backlog=backlog)
    )
