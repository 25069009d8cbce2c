"""Background tasks of outgoing webhooks. Each takes an id and is idempotent."""

from django.tasks import task

from zabota.webhooks.delivery import deliver
from zabota.webhooks.models import Delivery


@task()
def deliver_webhook(delivery_id: int) -> str:
    """One attempt of a delivery (``delivery.deliver``); a failed attempt schedules the next one
    on the row, which the worker's housekeeping queues when it is due."""
    try:
        return deliver(delivery_id).status
    except Delivery.DoesNotExist:
        return "deleted"  # its subscription was deleted meanwhile: nothing to send
