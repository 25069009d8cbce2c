"""Background tasks of the e-mail channel. Each takes an id, is idempotent and ends in a status
an admin can see (``failed`` after the last attempt)."""

import logging

from django.tasks import task
from django.tasks.backends.immediate import ImmediateBackend

from zabota.channels.email.batch import process_received
from zabota.channels.email.models import InboundEmail
from zabota.channels.email.process import enqueue_retry, process_queued
from zabota.core.events import dispatch_together

logger = logging.getLogger(__name__)


@task()
def process_inbound_task(inbound_id: int) -> str:
    """Process one stored inbound mail, then, in a worker, every other mail waiting in
    ``received`` (``batch.process_received``): with the database task backend ``store_raw``
    queues no further task while one waits, so this run may be the one a burst of mail relies
    on, whatever became of its own mail. On failure the row is marked failed with its next
    attempt time, the retry is queued for then (on backends that can defer; otherwise the
    worker's sweep queues it), and the error is re-raised so the task result shows it."""
    try:
        with dispatch_together():
            status = process_queued(inbound_id)
    except InboundEmail.DoesNotExist:
        status = "deleted"  # an admin deleted it meanwhile: nothing to process
    except Exception:
        enqueue_retry(inbound_id)
        _process_waiting()
        raise
    _process_waiting()
    return status


def _process_waiting() -> None:
    # An immediate backend runs the task inside whoever queued it (a webhook request, the
    # ingest-email command, a test): it must process its own mail and nothing else.
    if not isinstance(process_inbound_task.get_backend(), ImmediateBackend):
        process_received()


@task()
def send_outbound_task(outbound_id: int) -> str:
    """One delivery attempt of an outbound mail (``smtp.deliver``). Failed attempts schedule the
    next one on the row; the worker's housekeeping queues it when it is due."""
    from zabota.channels.email.models import OutboundEmail
    from zabota.channels.email.smtp import deliver

    try:
        return deliver(outbound_id).status
    except OutboundEmail.DoesNotExist:
        return "deleted"  # its ticket was deleted meanwhile: nothing to send


@task()
def poll_mailbox_task(mailbox_id: int) -> int:
    """Fetch the new mail of one IMAP mailbox (``imap.poll_mailbox``); returns how many were new."""
    from zabota.channels.email.imap import poll_mailbox

    return poll_mailbox(mailbox_id)
