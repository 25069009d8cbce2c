"""Delivery of composed mail over SMTP, with retries and backoff.

``deliver`` first claims the row with one conditional UPDATE that also leases it, so two workers
never hand the same mail to the server at once and a sent mail is never sent again. Outcomes:
- accepted → ``sent``;
- a 4xx reply, a dropped or refused connection, a timeout → ``retrying`` after the next
  step of ``BACKOFF``; after the last step → ``failed``;
- a 5xx reply (or a server that lacks STARTTLS/AUTH the mailbox needs) → ``failed`` at once.
The server's reply is kept in ``last_error``. Retries are picked up by the worker's housekeeping
(``enqueue_due``); a worker that died mid-send leaves a lease that runs out, and the mail is
tried again then.
"""

import logging
import smtplib
import ssl
from datetime import datetime, timedelta

from django.db.models import F, Q
from django.utils import timezone

from zabota.channels.email.constants import OutboundStatus, Security
from zabota.channels.email.models import Mailbox, OutboundEmail

logger = logging.getLogger(__name__)

# Waits after the 1st, 2nd … failed attempt; a failure after the last one is final.
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
)
# Seconds for connecting and for each reply of the server.
TIMEOUT = 30
# How long a claimed mail is left alone: longer than any attempt can take.
LEASE = timedelta(minutes=10)
# A queued mail whose task has not picked it up after this long is queued again by the sweep.
LOST_AFTER = timedelta(minutes=2)
_PENDING = (OutboundStatus.QUEUED, OutboundStatus.RETRYING)


class PermanentFailure(Exception):
    """The server refused for good: trying again would not help."""


class TemporaryFailure(Exception):
    """Try again later: a 4xx reply, or the server could not be reached."""


def open_smtp(mailbox: Mailbox, *, timeout: float = TIMEOUT) -> smtplib.SMTP:
    """A connection greeted, secured as configured and logged in (if a user is set)."""
    context = ssl.create_default_context()
    client: smtplib.SMTP
    if mailbox.smtp_security == Security.SSL:
        client = smtplib.SMTP_SSL(
            mailbox.smtp_host, mailbox.smtp_port, timeout=timeout, context=context
        )
    else:
        client = smtplib.SMTP(mailbox.smtp_host, mailbox.smtp_port, timeout=timeout)
    try:
        client.ehlo()
        if mailbox.smtp_security == Security.STARTTLS:
            client.starttls(context=context)
            client.ehlo()
        if mailbox.smtp_username:
            client.login(mailbox.smtp_username, mailbox.smtp_password or "")
    except BaseException:
        client.close()
        raise
    return client


def _reply_text(code: int, message: bytes | str) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else message
    return f"{code} {' '.join(text.split())}".strip()


def _refusal(code: int, message: bytes | str) -> Exception:
    text = _reply_text(code, message)
    return PermanentFailure(text) if 500 <= code <= 599 else TemporaryFailure(text)


def send(outbound: OutboundEmail) -> None:
    """Hand the stored bytes to the mailbox's SMTP server; raises PermanentFailure or
    TemporaryFailure with the server's reply."""
    mailbox = outbound.mailbox
    if not mailbox.is_active or not mailbox.smtp_enabled:
        raise TemporaryFailure(f"Sending by SMTP is turned off for {mailbox.address}")
    if not outbound.to_address:
        raise PermanentFailure("No recipient address")
    try:
        with open_smtp(mailbox) as client:
            client.sendmail(mailbox.address, [outbound.to_address], bytes(outbound.raw))
    except smtplib.SMTPRecipientsRefused as exc:
        code, message = next(iter(exc.recipients.values()), (550, b"Recipient refused"))
        raise _refusal(code, message) from exc
    except smtplib.SMTPResponseException as exc:
        raise _refusal(exc.smtp_code, exc.smtp_error) from exc
    except smtplib.SMTPNotSupportedError as exc:
        # STARTTLS or AUTH required by the mailbox settings but not offered: a setup problem.
        raise PermanentFailure(str(exc)) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise TemporaryFailure(str(exc) or type(exc).__name__) from exc


def _claim(outbound_id: int, now: datetime) -> bool:
    """Take the mail for one attempt; False if it is sent, failed, or another worker has it."""
    return bool(
        OutboundEmail.objects.filter(pk=outbound_id, status__in=_PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .update(next_attempt_at=now + LEASE, attempts=F("attempts") + 1)
    )


def deliver(outbound_id: int) -> OutboundEmail:
    """One delivery attempt, if the mail is due (idempotent: a sent one is left alone)."""
    now = timezone.now()
    claimed = _claim(outbound_id, now)
    outbound = OutboundEmail.objects.select_related("mailbox").get(pk=outbound_id)
    if not claimed:
        return outbound
    try:
        send(outbound)
    except PermanentFailure as exc:
        outbound.status = OutboundStatus.FAILED
        outbound.next_attempt_at = None
        outbound.last_error = str(exc)
    except TemporaryFailure as exc:
        outbound.last_error = str(exc)
        if outbound.attempts > len(BACKOFF):
            outbound.status = OutboundStatus.FAILED
            outbound.next_attempt_at = None
        else:
            outbound.status = OutboundStatus.RETRYING
            outbound.next_attempt_at = timezone.now() + BACKOFF[outbound.attempts - 1]
    else:
        outbound.status = OutboundStatus.SENT
        outbound.sent_at = timezone.now()
        outbound.next_attempt_at = None
        outbound.last_error = ""
    outbound.save(update_fields=["status", "sent_at", "next_attempt_at", "last_error"])
    if outbound.status != OutboundStatus.SENT:
        logger.warning(
            "Outbound e-mail %s to %s: attempt %s %s: %s",
            outbound.pk,
            outbound.to_address,
            outbound.attempts,
            outbound.status,
            outbound.last_error,
        )
    return outbound


def due_ids(now: datetime | None = None, *, limit: int = 500) -> list[int]:
    """Mails whose next attempt is due, or whose queueing was lost (a crash, a broker outage)."""
    now = now or timezone.now()
    due = OutboundEmail.objects.filter(status__in=_PENDING).filter(
        Q(next_attempt_at__lte=now)
        | Q(next_attempt_at__isnull=True, created_at__lte=now - LOST_AFTER)
    )
    return list(due.order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit])


def enqueue_due() -> int:
    """The housekeeping job: queue a delivery attempt for every due mail."""
    from zabota.channels.email.tasks import send_outbound_task

    ids = due_ids()
    for outbound_id in ids:
        send_outbound_task.enqueue(outbound_id)
    return len(ids)
