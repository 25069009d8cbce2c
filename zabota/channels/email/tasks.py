"""Background tasks of the e-mail channel. Each takes an id, is idempotent and ends in a status
an admin can see (``failed`` after the last attempt)."""

import logging

from django.tasks import task

from zabota.channels.email.models import InboundEmail
from zabota.channels.email.process import process_inbound

logger = logging.getLogger(__name__)


@task()
def process_inbound_task(inbound_id: int) -> str:
    """Process one stored inbound mail. On failure the row is marked failed with its next attempt
    time, the retry is queued for then (on backends that can defer; otherwise the worker's sweep
    queues it), and the error is re-raised so the task result shows it."""
    try:
        return process_inbound(inbound_id).status
    except InboundEmail.DoesNotExist:
        return "deleted"  # an admin deleted it meanwhile: nothing to process
    except Exception:
        _queue_retry(inbound_id)
        raise


def _queue_retry(inbound_id: int) -> None:
    if not process_inbound_task.get_backend().supports_defer:
        return
    try:
        next_attempt_at = (
            InboundEmail.objects.filter(pk=inbound_id)
            .values_list("next_attempt_at", flat=True)
            .first()
        )
        if next_attempt_at is not None:
            process_inbound_task.using(run_after=next_attempt_at).enqueue(inbound_id)
    except Exception:  # the sweep re-queues failed mails whose retry was not queued
        logger.exception("Could not queue the retry of inbound e-mail %s", inbound_id)


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
