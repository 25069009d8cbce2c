"""Polling a mailbox by IMAP: every new message is stored raw, then acknowledged on the server.

For each message, in this order: fetch it (``BODY.PEEK[]``, so fetching marks nothing as read) →
``inbound.store_raw`` commits it → move it to the archive folder, or flag it ``\\Seen`` → advance
``Mailbox.imap_last_uid``. A crash between any two steps loses nothing and duplicates nothing:
the next poll fetches the message again and ``store_raw`` recognises it.

UIDs are only meaningful together with the folder's UIDVALIDITY; when the server reports another
one (folder recreated, server migrated), tracking starts again from UID 1 and ``store_raw``
skips what was already stored. The very first poll of a mailbox takes only the unread messages,
so pointing Zabota at an existing mailbox does not turn its read history into tickets.

Two workers never poll one mailbox at once: a poll starts with an atomic claim
(``imap_claimed_until``, a lease renewed after every batch that runs out if the worker dies).
"""

import logging
import re
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import Q
from django.utils import timezone
from imapclient import DELETED, SEEN, IMAPClient
from imapclient.exceptions import IMAPClientError, ProtocolError

from zabota.channels.email.constants import Security, Source
from zabota.channels.email.inbound import store_raw
from zabota.channels.email.models import Mailbox

logger = logging.getLogger(__name__)

# Messages fetched per round trip.
BATCH_SIZE = 25
# Seconds for connecting and for each answer of the server.
TIMEOUT = 60
# How long a poll's claim holds without being renewed (it is renewed after every batch).
CLAIM = timedelta(minutes=5)
# What a poll survives and reports on the mailbox (server down, wrong password, timeouts …).
POLL_ERRORS = (IMAPClientError, OSError)
_BYTES_REPR = re.compile(r"""\bb(['"])(.*?)\1""")


def describe(exc: BaseException) -> str:
    """The server's or the network's words, without Python's byte-string quoting."""
    text = _BYTES_REPR.sub(lambda m: m.group(2), str(exc)).strip() or type(exc).__name__
    return " ".join(text.split())


def connect(mailbox: Mailbox, *, timeout: float = TIMEOUT) -> IMAPClient:
    """A logged-in connection, secured as the mailbox says."""
    context = ssl.create_default_context()
    client = IMAPClient(
        mailbox.imap_host,
        port=mailbox.imap_port,
        ssl=mailbox.imap_security == Security.SSL,
        ssl_context=context,
        timeout=timeout,
    )
    try:
        if mailbox.imap_security == Security.STARTTLS:
            client.starttls(context)
        client.login(mailbox.imap_username, mailbox.imap_password or "")
    except BaseException:
        client.shutdown()
        raise
    return client


@dataclass
class _Progress:
    # New messages handed to the pipeline (already stored ones are not counted).
    stored: int = 0


def _claim(mailbox_id: int, now: datetime) -> bool:
    return bool(
        Mailbox.objects.filter(pk=mailbox_id, is_active=True, imap_enabled=True)
        .filter(Q(imap_claimed_until__isnull=True) | Q(imap_claimed_until__lte=now))
        .update(imap_claimed_until=now + CLAIM)
    )


def _renew_claim(mailbox_id: int) -> None:
    Mailbox.objects.filter(pk=mailbox_id).update(imap_claimed_until=timezone.now() + CLAIM)


def _release(mailbox_id: int) -> None:
    Mailbox.objects.filter(pk=mailbox_id).update(imap_claimed_until=None)


def _record(mailbox_id: int, error: str) -> None:
    Mailbox.objects.filter(pk=mailbox_id).update(
        last_poll_at=timezone.now(), last_poll_error=error[:2000]
    )


def acknowledge(client: IMAPClient, mailbox: Mailbox, uid: int) -> None:
    """Tell the server the message is ours: moved to the archive folder, or flagged as read."""
    folder = mailbox.imap_archive_folder
    if not folder:
        client.add_flags([uid], [SEEN], silent=True)
        return
    if client.has_capability("MOVE"):
        client.move([uid], folder)
        return
    client.copy([uid], folder)
    client.add_flags([uid], [DELETED], silent=True)
    if client.has_capability("UIDPLUS"):
        client.uid_expunge([uid])
    else:
        client.expunge()


def _advance(mailbox: Mailbox, uidvalidity: int, uid: int) -> None:
    Mailbox.objects.filter(
        pk=mailbox.pk, imap_uidvalidity=uidvalidity, imap_last_uid__lt=uid
    ).update(imap_last_uid=uid)
    mailbox.imap_last_uid = max(mailbox.imap_last_uid, uid)


def _pending_uids(client: IMAPClient, mailbox: Mailbox, uidvalidity: int) -> list[int]:
    if mailbox.imap_uidvalidity is None:
        found = client.search(["UNSEEN"])
    else:
        if mailbox.imap_uidvalidity != uidvalidity:
            logger.warning(
                "Mailbox %s: UIDVALIDITY changed from %s to %s, tracking starts again",
                mailbox.address,
                mailbox.imap_uidvalidity,
                uidvalidity,
            )
            Mailbox.objects.filter(pk=mailbox.pk).update(
                imap_uidvalidity=uidvalidity, imap_last_uid=0
            )
            mailbox.imap_uidvalidity, mailbox.imap_last_uid = uidvalidity, 0
        # "n:*" always matches the highest UID, even below n: filter again.
        found = client.search(["UID", f"{mailbox.imap_last_uid + 1}:*"])
    return sorted(uid for uid in found if uid > mailbox.imap_last_uid)


def _poll(client: IMAPClient, mailbox: Mailbox, progress: _Progress) -> None:
    selected = client.select_folder(mailbox.imap_folder)
    uidvalidity = int(selected[b"UIDVALIDITY"])
    first_poll = mailbox.imap_uidvalidity is None
    # Everything below UIDNEXT exists now; on the first poll, the read ones among it are history.
    baseline = int(selected.get(b"UIDNEXT", 1)) - 1
    uids = _pending_uids(client, mailbox, uidvalidity)
    folder = mailbox.imap_archive_folder
    if uids and folder and not client.folder_exists(folder):
        client.create_folder(folder)
    for start in range(0, len(uids), BATCH_SIZE):
        batch = uids[start : start + BATCH_SIZE]
        fetched = client.fetch(batch, ["BODY.PEEK[]"])
        for uid in batch:
            if uid not in fetched:
                continue  # expunged by someone else since the search
            raw = fetched[uid].get(b"BODY[]")
            if raw is None:
                raise ProtocolError(f"The server sent no content for message UID {uid}")
            _inbound, created = store_raw(
                bytes(raw), source=Source.IMAP, mailbox=mailbox, envelope_recipient=mailbox.address
            )
            acknowledge(client, mailbox, uid)
            if not first_poll:
                _advance(mailbox, uidvalidity, uid)
            progress.stored += int(created)
        _renew_claim(mailbox.pk)
    if first_poll:
        # Only now: a first poll cut short starts over (from the unread ones) next time.
        last_uid = max([baseline, *uids])
        Mailbox.objects.filter(pk=mailbox.pk).update(
            imap_uidvalidity=uidvalidity, imap_last_uid=last_uid
        )
        mailbox.imap_uidvalidity, mailbox.imap_last_uid = uidvalidity, last_uid


def poll_mailbox(mailbox_id: int) -> int:
    """Take every new message of the mailbox's folder into the pipeline; returns how many were
    new. Runs outside any transaction: each message must be committed before the server is told.

    Errors of the server or the network end the poll and are shown on the mailbox
    (``last_poll_error``); what was taken until then stays taken.
    """
    if connection.in_atomic_block:
        raise RuntimeError("poll_mailbox must run outside a transaction")
    if not _claim(mailbox_id, timezone.now()):
        return 0
    progress = _Progress()
    try:
        mailbox = Mailbox.objects.get(pk=mailbox_id)
        try:
            with connect(mailbox) as client:
                _poll(client, mailbox, progress)
        except POLL_ERRORS as exc:
            logger.warning("Polling %s failed: %s", mailbox.address, describe(exc))
            _record(mailbox_id, describe(exc))
        except BaseException as exc:
            _record(mailbox_id, describe(exc))
            raise
        else:
            _record(mailbox_id, "")
    finally:
        _release(mailbox_id)
    return progress.stored


def enqueue_polls() -> int:
    """The housekeeping job: queue a poll of every active IMAP mailbox not being polled now."""
    from zabota.channels.email.tasks import poll_mailbox_task

    now = timezone.now()
    ids = list(
        Mailbox.objects.filter(is_active=True, imap_enabled=True)
        .filter(Q(imap_claimed_until__isnull=True) | Q(imap_claimed_until__lte=now))
        .values_list("pk", flat=True)
    )
    for mailbox_id in ids:
        poll_mailbox_task.enqueue(mailbox_id)
    return len(ids)
