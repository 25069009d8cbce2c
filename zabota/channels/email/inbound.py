"""The first step of every inbound path (IMAP, MTA pipe, webhook): store the raw bytes.

Nothing is parsed or routed here; a row is written and committed, and processing is queued
(``queue_processing``, ``process.process_inbound``). A crash after this point loses nothing: the
raw mail is in the database and the worker's sweep re-queues rows whose task was lost.
"""

import hashlib
import logging
import re
from dataclasses import dataclass
from email.header import decode_header, make_header
from email.message import Message as MimeMessage
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import getaddresses, parseaddr
from functools import cache, partial
from typing import Any

import psycopg
from django.db import connections, router, transaction
from django.db.models import Q
from django.db.models.functions import Now
from django.tasks import TaskResultStatus
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult, get_date_max

from zabota.channels.email.models import InboundEmail, Mailbox

logger = logging.getLogger(__name__)

# Headers that identify the mail itself. Transport headers (Received, Delivered-To,
# X-Original-To, Return-Path …) differ between IMAP, pipe and webhook copies and are left out.
_IDENTITY_HEADERS = ("message-id", "from", "date", "subject")
# How much of the Subject header is decoded for the stored row (of which 300 characters are kept).
_SUBJECT_CHARS = 4000
_BRACKETED_ADDRESS = re.compile(r"<([^<>\s@]+@[^<>\s@]+)>")
_BARE_ADDRESS = re.compile(r"[^\s<>()\[\],;:\"@]+@[^\s<>()\[\],;:\"@]+")


@dataclass(frozen=True)
class RawHeaders:
    """Header values read straight from the bytes, without trusting the mail to be well formed."""

    message_id: str
    sender: str
    subject: str
    # Delivered-To and X-Original-To: where the receiving MTA delivered the mail.
    delivered_to: tuple[str, ...]
    # Every address-like word of the From header, <bracketed> ones first: a fallback sender
    # when the header is too malformed for a proper address parser.
    from_candidates: tuple[str, ...] = ()


def clean_text(value: str) -> str:
    """A string PostgreSQL accepts: no NUL characters, no lone surrogates from raw 8-bit bytes."""
    return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace").replace("\x00", "")


def _collapse(value: str) -> str:
    return " ".join(value.split())


def _header_block(raw: bytes) -> tuple[bytes, bytes]:
    """Split at the first empty line, whichever line ending the transport used."""
    candidates = [i for i in (raw.find(b"\r\n\r\n"), raw.find(b"\n\n")) if i >= 0]
    if not candidates:
        return raw, b""
    end = min(candidates)
    separator = 4 if raw.startswith(b"\r\n\r\n", end) else 2
    return raw[:end], raw[end + separator :]


def _parse_headers(raw: bytes) -> MimeMessage | None:
    try:
        return BytesHeaderParser(policy=compat32).parsebytes(_header_block(raw)[0] + b"\n\n")
    except Exception:  # headers of a mail that is not a mail: processing will quarantine it
        logger.warning("Unreadable header block in inbound mail", exc_info=True)
        return None


def _value(headers: MimeMessage | None, name: str) -> str:
    if headers is None:
        return ""
    value = headers.get(name)
    return _collapse(clean_text(str(value))) if value is not None else ""


def _decoded(value: str) -> str:
    try:
        return _collapse(str(make_header(decode_header(value))))
    except Exception:  # an undecodable encoded-word: keep it as it came
        return value


def dedupe_key(raw: bytes) -> str:
    """sha256 over the identifying headers and the body, with line endings normalised, so that
    the same mail dedupes whichever path and MTA delivered it."""
    return _dedupe_key(raw, _parse_headers(raw))


def _dedupe_key(raw: bytes, headers: MimeMessage | None) -> str:
    values = [headers.get(name) if headers is not None else None for name in _IDENTITY_HEADERS]
    digest = hashlib.sha256()
    if all(value is None for value in values):
        # Not recognisably a mail: only the whole content tells two such blobs apart.
        digest.update(raw.replace(b"\r\n", b"\n").rstrip())
        return digest.hexdigest()
    for value in values:
        text = _collapse(str(value)) if value is not None else ""
        digest.update(text.encode("utf-8", "surrogateescape") + b"\x00")
    digest.update(_header_block(raw)[1].replace(b"\r\n", b"\n").rstrip())
    return digest.hexdigest()


def read_headers(raw: bytes) -> RawHeaders:
    """Best-effort header values for the admin list and routing; never raises."""
    return _read_headers(_parse_headers(raw))


def _read_headers(headers: MimeMessage | None) -> RawHeaders:
    from_value = _value(headers, "from")
    _name, sender = parseaddr(from_value)
    return RawHeaders(
        message_id=_value(headers, "message-id").strip("<> ")[:998],
        sender=sender.strip().casefold()[:320],
        # Decoded from a bounded prefix: the stored subject is cut to 300 characters anyway,
        # and a header of thousands of encoded words would cost milliseconds per delivery.
        subject=clean_text(_decoded(_value(headers, "subject")[:_SUBJECT_CHARS]))[:300],
        delivered_to=_delivered_to(headers),
        from_candidates=_from_candidates(from_value),
    )


def routing_headers(raw: bytes) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``read_headers(raw)``'s ``delivered_to`` and ``from_candidates``, without decoding the
    rest (processing has the parsed mail for that)."""
    headers = _parse_headers(raw)
    return _delivered_to(headers), _from_candidates(_value(headers, "from"))


def _delivered_to(headers: MimeMessage | None) -> tuple[str, ...]:
    delivered: list[str] = []
    if headers is not None:
        for name in ("delivered-to", "x-original-to"):
            values = [clean_text(str(v)) for v in headers.get_all(name, [])]
            delivered += [addr for _n, addr in getaddresses(values) if "@" in addr]
    return tuple(a.strip().casefold() for a in delivered)


def _from_candidates(from_value: str) -> tuple[str, ...]:
    candidates = dict.fromkeys(
        a.casefold()
        for a in [*_BRACKETED_ADDRESS.findall(from_value), *_BARE_ADDRESS.findall(from_value)]
    )
    return tuple(candidates)


def store_raw(
    raw: bytes, *, source: str, mailbox: Mailbox | None = None, envelope_recipient: str = ""
) -> tuple[InboundEmail, bool]:
    """Store one received mail and make sure its processing is queued (``queue_processing``).

    Returns ``(row, created)``; the same mail stored again (any path, any number of times)
    returns the existing row with ``created=False`` and queues nothing. Raises only when the
    database cannot store it, so the caller must not acknowledge the mail to its sender then.
    """
    parsed_headers = _parse_headers(raw)
    key = _dedupe_key(raw, parsed_headers)
    headers = _read_headers(parsed_headers)
    inbound = InboundEmail(
        dedupe_key=key,
        message_id_header=headers.message_id,
        raw=raw,
        size=len(raw),
        source=source,
        mailbox=mailbox,
        envelope_recipient=clean_text(envelope_recipient.strip())[:320],
        sender=headers.sender,
        subject=headers.subject,
    )
    with transaction.atomic():
        created = _insert_unless_stored(inbound)
        if created:
            queue_processing(inbound.pk)
    if not created:
        return InboundEmail.objects.get(dedupe_key=key), False
    return inbound, True


def _insert_unless_stored(inbound: InboundEmail) -> bool:
    """``INSERT … ON CONFLICT (dedupe_key) DO NOTHING``: True, with the row's id set, for a new
    mail; False when a mail with its dedupe key is stored already (also by a concurrent path).

    One statement where the ORM needs a lookup and an insert (the acknowledgement path is the
    rate every delivery waits for), and no unique-violation error — which PostgreSQL logs — for
    the replays that are expected. PostgreSQL and SQLite (3.35+) share the syntax."""
    opts = InboundEmail._meta
    alias = router.db_for_write(InboundEmail)
    connection = connections[alias]
    quote = connection.ops.quote_name
    fields = [field for field in opts.concrete_fields if not field.primary_key]
    columns = [inbound_column(field.name) for field in fields]
    values = [field.get_db_prep_save(field.pre_save(inbound, True), connection) for field in fields]
    # Only identifiers from the model's metadata are formatted in; every value is a parameter.
    sql = (
        f"INSERT INTO {quote(opts.db_table)} ({', '.join(quote(c) for c in columns)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(fields))}) "
        f"ON CONFLICT ({quote(inbound_column('dedupe_key'))}) DO NOTHING "
        f"RETURNING {quote(inbound_column('id'))}"
    )
    if connection.vendor == "postgresql":
        # Bound by the server: the raw bytes travel as bytes instead of an escaped literal in
        # the statement's text, which PostgreSQL would scan and decode (three times the
        # server's CPU of the whole insert, for a 40 KB mail). The connection's own cursors
        # bind on the client (Django's default).
        with psycopg.Cursor(connection.connection) as cursor:
            cursor.execute(sql, values)
            row = cursor.fetchone()
    else:
        with connection.cursor() as cursor:
            cursor.execute(sql, values)
            row = cursor.fetchone()
    if row is None:
        return False
    inbound.pk = row[0]
    inbound._state.adding = False
    inbound._state.db = alias
    return True


def inbound_column(field_name: str) -> str:
    """The database column of an ``InboundEmail`` field, for the statements written here."""
    column = InboundEmail._meta.get_field(field_name).column  # type: ignore[union-attr]
    assert column is not None
    return column


def raw_mails(inbound_ids: list[int]) -> dict[int, bytes]:
    """The stored bytes of these mails by id. On PostgreSQL they come in binary: as text they
    would be hex-encoded by the server and decoded here, which costs more than the query."""
    alias = router.db_for_read(InboundEmail)
    connection = connections[alias]
    if connection.vendor != "postgresql":
        rows = InboundEmail.objects.using(alias).filter(pk__in=inbound_ids).values_list("pk", "raw")
        return {pk: bytes(raw) for pk, raw in rows}
    opts = InboundEmail._meta
    quote = connection.ops.quote_name
    sql = (
        f"SELECT {quote(inbound_column('id'))}, {quote(inbound_column('raw'))} "  # noqa: S608
        f"FROM {quote(opts.db_table)} WHERE {quote(inbound_column('id'))} = ANY(%s)"
    )
    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, [list(inbound_ids)], binary=True)
        return {pk: bytes(raw) for pk, raw in cursor.fetchall()}


def queue_processing(inbound_id: int) -> None:
    """Make sure a processing task runs after the current transaction, which stored the mail,
    commits. Call it inside that transaction.

    With the database task backend the task row commits together with the mail, so no crash
    can leave a stored mail without its task, and no row is added while a processing task is
    queued and not yet started: that task processes every waiting mail when it runs
    (``batch.process_received``), so a burst of mail costs a task per batch, not one per
    mail. The waiting task is locked until this transaction ends, so a worker cannot start it
    before the mail is visible (it skips locked tasks). Other backends get a task per mail,
    queued after commit.
    """
    from zabota.channels.email.tasks import process_inbound_task

    if not _tasks_stored_with_mail():
        transaction.on_commit(partial(enqueue_processing, inbound_id))
        return
    alias = router.db_for_write(DBTaskResult)
    sql, params = _waiting_task_query(
        alias,
        process_inbound_task.module_path,
        process_inbound_task.queue_name,
        process_inbound_task.backend,
    )
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params)
        waiting = cursor.fetchone() is not None
    if not waiting:
        process_inbound_task.enqueue(inbound_id)


@cache
def _waiting_task_query(
    alias: str, task_path: str, queue_name: str, backend_name: str
) -> tuple[str, tuple[Any, ...]]:
    """The SQL that finds (and locks, skipping locked ones) a queued processing task that has
    not started: ``DBTaskResult.objects.ready()`` for it, compiled once per process. With the
    database's clock (``Now()``) in place of a timestamp taken here its text and parameters never
    change, and compiling the query costs more than running it on the acknowledgement path."""
    query = (
        DBTaskResult.objects.using(alias)
        .filter(
            status=TaskResultStatus.READY,
            task_path=task_path,
            queue_name=queue_name,
            backend_name=backend_name,
        )
        .filter(Q(run_after=get_date_max()) | Q(run_after__lte=Now()))
        .select_for_update(skip_locked=True)
        .values_list("pk", flat=True)[:1]
    )
    return query.query.get_compiler(alias).as_sql()


def _tasks_stored_with_mail() -> bool:
    from zabota.channels.email.tasks import process_inbound_task

    return isinstance(process_inbound_task.get_backend(), DatabaseBackend) and (
        router.db_for_write(DBTaskResult) == router.db_for_write(InboundEmail)
    )


def enqueue_processing(inbound_id: int) -> None:
    """Queue the processing task; if the queue is unreachable the worker's sweep finds the row."""
    from zabota.channels.email.tasks import process_inbound_task

    try:
        process_inbound_task.enqueue(inbound_id)
    except Exception:
        logger.exception("Could not enqueue processing of inbound e-mail %s", inbound_id)
