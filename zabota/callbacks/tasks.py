"""Timed work of callbacks: reopening tickets whose retry came due (run by housekeeping)."""

from datetime import datetime

from django.utils import timezone

from zabota.callbacks.actions import do_reopen_for_retry
from zabota.callbacks.constants import CallbackState
from zabota.callbacks.models import CallbackRequest

SWEEP_LIMIT = 500


def sweep_due_retries(*, now: datetime | None = None) -> int:
    """Reopen the requests whose next attempt is due; returns how many. Each is re-checked
    under its row lock, so two sweeps never reopen one twice."""
    now = now or timezone.now()
    due = CallbackRequest.objects.filter(
        state=CallbackState.RETRY_SCHEDULED, next_attempt_at__lte=now
    ).order_by("next_attempt_at", "pk")[:SWEEP_LIMIT]
    return sum(do_reopen_for_retry(request, now=now) for request in due)
