from django.conf import settings
from django.tasks import task
from django.utils import timezone

from zabota.core import events
from zabota.core.models import OutboxEvent


@task()
def dispatch_event(event_id: int) -> bool:
    """Deliver one outbox event; on failure re-enqueue with backoff until MAX_ATTEMPTS."""
    ok = events.dispatch(event_id)
    if not ok:
        event = OutboxEvent.objects.get(pk=event_id)
        if not event.failed:
            dispatch_event.using(
                run_after=timezone.now() + events.retry_delay(event.attempts)
            ).enqueue(event_id)
    return ok


@task()
def dispatch_events(event_ids: list[int]) -> int:
    """Deliver the events one transaction published, in order, with other events still waiting
    for their first dispatch; failures are retried one by one."""
    take = settings.ZABOTA_DISPATCH_TAKE_ALONG
    failed = events.dispatch_all(event_ids, fresh_only=True, take=take)
    for event_id in failed:
        event = OutboxEvent.objects.get(pk=event_id)
        if not event.failed:
            dispatch_event.using(
                run_after=timezone.now() + events.retry_delay(event.attempts)
            ).enqueue(event_id)
    return len(event_ids) - len(failed)
