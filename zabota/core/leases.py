"""Leases on periodic jobs: with several schedulers (or workers), a job runs once per period."""

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from zabota.core.models import JobLease


def claim(name: str, holder: str, seconds: float, *, at: datetime | None = None) -> float:
    """Claim job ``name`` for ``seconds`` from ``at``.

    Returns 0.0 when the caller won the period and should run the job; otherwise the seconds
    until the current holder's lease ends, which is when it is worth asking again.
    """
    at = at or timezone.now()
    until = at + timedelta(seconds=seconds)
    # One conditional UPDATE: the database's row lock lets exactly one claimant match.
    if JobLease.objects.filter(name=name, expires_at__lte=at).update(
        holder=holder, expires_at=until
    ):
        return 0.0
    try:
        with transaction.atomic():
            JobLease.objects.create(name=name, holder=holder, expires_at=until)
    except IntegrityError:
        pass
    else:
        return 0.0
    expires_at = JobLease.objects.filter(name=name).values_list("expires_at", flat=True).first()
    if expires_at is None:  # released between our two statements; try on the next tick
        return 1.0
    return max((expires_at - at).total_seconds(), 1.0)
