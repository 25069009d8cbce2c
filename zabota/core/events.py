"""Domain events: published after commit through the persisted outbox, dispatched to listeners.

Listeners are registered explicitly with :func:`listener` (no Django signals) and receive the
event's type and its payload of ids; a :func:`batch_listener` receives the payloads of all the
events of a type that are dispatched together. A listener must be idempotent: an event may be
delivered again after a crash.
"""

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from zabota.core.event_types import EVENT_TYPES
from zabota.core.inserts import insert
from zabota.core.models import OutboxEvent

logger = logging.getLogger(__name__)

Listener = Callable[[str, dict[str, Any]], None]
BatchListener = Callable[[str, list[dict[str, Any]]], None]
_listeners: dict[str, list[Listener]] = {}
_batch_listeners: dict[str, list[BatchListener]] = {}

# After this many failed attempts an event is marked failed and left for an admin to retry.
MAX_ATTEMPTS = 8


def listener(*event_types: str) -> Callable[[Listener], Listener]:
    """Register the decorated function for the given event types (``"*"`` for all)."""

    def register(fn: Listener) -> Listener:
        for event_type in event_types:
            if event_type != "*" and event_type not in EVENT_TYPES:
                raise ValueError(f"Unknown event type {event_type!r}")
            bucket = _listeners.setdefault(event_type, [])
            if fn not in bucket:
                bucket.append(fn)
        return fn

    return register


# Batch listeners called once per dispatch with the events of all their types (in order).
_mixed: set[BatchListener] = set()
# The event type a mixed batch listener is called with: its events' types are on their rows.
MIXED = "*"


def batch_listener(
    *event_types: str, mixed: bool = False
) -> Callable[[BatchListener], BatchListener]:
    """Register the decorated function for the given event types, called once with the payloads
    of all the events of one type that one dispatch delivers (those of a batch of inbound mail)
    instead of once per event: one transaction and a query for all where a per-event listener
    costs them per event. It succeeds or fails for all of those events together; each failed
    event is then retried on its own (a list of one payload). It runs before the per-event
    listeners of the same events.

    With ``mixed`` it is called once per dispatch with the payloads of the events of all its
    types, in the dispatch's order, and ``event_type`` ``"*"`` (each event's type is on its row,
    ``current_batch()``): for a listener whose cost is mostly per call (the rules engine)."""

    def register(fn: BatchListener) -> BatchListener:
        for event_type in event_types:
            if event_type not in EVENT_TYPES:
                raise ValueError(f"Unknown event type {event_type!r}")
            bucket = _batch_listeners.setdefault(event_type, [])
            if fn not in bucket:
                bucket.append(fn)
        if mixed:
            _mixed.add(fn)
        return fn

    return register


def unregister(fn: Listener | BatchListener) -> None:
    for registry in (_listeners, _batch_listeners):
        for bucket in registry.values():
            if fn in bucket:
                bucket.remove(fn)  # type: ignore[arg-type]


def listeners_for(event_type: str) -> list[Listener]:
    return [*_listeners.get(event_type, []), *_listeners.get("*", [])]


def listener_name(fn: Listener | BatchListener) -> str:
    return f"{fn.__module__}.{fn.__qualname__}"


class _DispatchAfterCommit:
    """One after-commit callback per transaction, carrying all the events it published, so a
    transaction costs one dispatch task however many events it wrote."""

    def __init__(self, event_ids: list[int]) -> None:
        self.event_ids = event_ids

    def __call__(self) -> None:
        if not self.event_ids:
            return
        collected = _collected.get()
        if collected is not None:
            collected.extend(self.event_ids)  # dispatch_together queues them at its end
        else:
            _enqueue_dispatch(self.event_ids)


def _enqueue_dispatch(event_ids: list[int]) -> None:
    from zabota.core.tasks import dispatch_events

    try:
        dispatch_events.enqueue(event_ids)
    except Exception:
        # The events are persisted; the worker's sweep delivers them later.
        logger.exception("Could not enqueue dispatch of outbox events %s", event_ids)


# The events committed inside the current ``dispatch_together`` block, if one is open.
_collected: ContextVar[list[int] | None] = ContextVar("zabota_collected_events", default=None)


@contextmanager
def dispatch_together() -> Iterator[None]:
    """Dispatch the events of every transaction that commits inside the block with one task —
    for a loop that commits item by item, which would otherwise cost a task per item.

    The task is queued when the block ends, also when an exception ends it (what committed
    stays committed); a crash inside the block leaves the events to the outbox sweep, as a lost
    task would. A block opened inside another one is part of it."""
    if _collected.get() is not None:
        yield
        return
    collected: list[int] = []
    token = _collected.set(collected)
    try:
        yield
    finally:
        _collected.reset(token)
        if collected:
            _enqueue_dispatch(collected)


# The ids of the events published inside the current ``collect_published`` block.
_published: ContextVar[list[int] | None] = ContextVar("zabota_published_events", default=None)


@contextmanager
def collect_published() -> Iterator[list[int]]:
    """The ids of the events published inside the block (in this thread), as they are
    published: for code that must know which events its own calls caused."""
    collected: list[int] = []
    token = _published.set(collected)
    try:
        yield collected
    finally:
        _published.reset(token)


def one_dispatch_task() -> None:
    """The events published from here to the end of the current atomic block (nested blocks
    included) are dispatched by one task after commit, instead of one per nested block that
    publishes: call it first thing inside the block. Nothing to do if such a task is pending
    for this block or one enclosing it already."""
    if _pending_dispatch() is None:
        transaction.on_commit(_DispatchAfterCommit([]))


def _pending_dispatch() -> "_DispatchAfterCommit | None":
    """The dispatch callback registered at this atomic level or one enclosing it, if any:
    Django drops the callbacks of a rolled-back savepoint, so such a callback runs when what
    is written here is committed, or not at all. (If only an inner savepoint rolls back, the
    callback carries ids of rows that do not exist, which a dispatch skips.)"""
    connection = transaction.get_connection()
    level = list(connection.savepoint_ids)
    return next(
        (
            fn
            for sids, fn, _robust in connection.run_on_commit
            if isinstance(fn, _DispatchAfterCommit) and level[: len(sids)] == list(sids)
        ),
        None,
    )


def publish_on_commit(event_type: str, **payload: Any) -> OutboxEvent:
    """Persist the event in the current transaction and dispatch it once that commits."""
    [event] = publish_all_on_commit([(event_type, payload)])
    return event


def publish_all_on_commit(events: Sequence[tuple[str, dict[str, Any]]]) -> list[OutboxEvent]:
    """``publish_on_commit`` for many events at once, in order, with one insert: for actions
    that change many objects in one transaction (a batch of inbound mail)."""
    for event_type, _payload in events:
        if event_type not in EVENT_TYPES:
            raise ValueError(f"Unknown event type {event_type!r}")
    if not events:
        return []
    rows = [OutboxEvent(type=event_type, payload=payload) for event_type, payload in events]
    if len(rows) == 1:
        rows[0].save(force_insert=True)
    else:
        insert(rows)  # COPY on PostgreSQL: a bulk import publishes thousands per transaction
    pending = _pending_dispatch()
    ids = [row.pk for row in rows]
    collected = _published.get()
    if collected is not None:
        collected.extend(ids)
    if pending is not None:
        pending.event_ids.extend(ids)
    else:
        transaction.on_commit(_DispatchAfterCommit(ids))
    return rows


# Ids of events this process has attempted lately: their own dispatch tasks, which usually come
# after a task took them along, then need no query. Bounded; a forgotten id costs one query.
_taken: set[int] = set()
_TAKEN_LIMIT = 20_000


def _remember_taken(ids: list[int]) -> None:
    if len(_taken) + len(ids) > _TAKEN_LIMIT:
        _taken.clear()
    _taken.update(ids)


def dispatch(event_id: int) -> bool:
    """Run the listeners that have not yet handled this event. Returns True when all succeeded."""
    return not dispatch_all([event_id])


def dispatch_all(event_ids: list[int], *, fresh_only: bool = False, take: int = 0) -> list[int]:
    """Run the listeners that have not yet handled these events (e.g. those one transaction
    published), in order; returns the ids of the events whose listeners did not all succeed.

    Every event's attempt is counted and committed before any listener runs, so a crash inside
    a listener still counts as an attempt; the results are saved together afterwards, so a crash
    before that delivers the events again, as listeners must allow anyway.

    The dispatch task passes ``fresh_only`` (only events never attempted: one that another
    worker took along is left to it) and ``take``: up to that many other events still waiting
    for their first dispatch come along, oldest first, skipping those another worker has
    locked. Under load one task then delivers the events of many transactions in one batch and
    their own tasks find nothing left to do."""
    if fresh_only and (
        _taken.issuperset(event_ids)
        or not OutboxEvent.objects.filter(
            pk__in=event_ids, dispatched_at__isnull=True, attempts=0
        ).exists()
    ):
        # Taken along by an earlier task of this process (no query), or by another worker
        # (one query, no transaction).
        return []
    with transaction.atomic():
        own = OutboxEvent.objects.select_for_update().filter(
            pk__in=event_ids, dispatched_at__isnull=True
        )
        if fresh_only:
            own = own.filter(attempts=0)
        pending = list(own.order_by("pk"))
        if take and pending:
            pending += list(
                OutboxEvent.objects.select_for_update(skip_locked=True)
                .filter(dispatched_at__isnull=True, failed=False, attempts=0)
                .exclude(pk__in=event_ids)
                .order_by("pk")[:take]
            )
        if not pending:
            return []
        OutboxEvent.objects.filter(pk__in=[e.pk for e in pending]).update(
            attempts=F("attempts") + 1
        )
    _remember_taken([e.pk for e in pending])
    # The given ids in their order, then those taken along, oldest first.
    position = {event_id: index for index, event_id in enumerate(event_ids)}
    pending.sort(key=lambda event: (position.get(event.pk, len(position)), event.pk))
    batch_errors = _run_batch_listeners(pending)
    failed = []
    # Events that end alike are saved with one UPDATE: most share their listeners' names.
    results: dict[tuple[Any, ...], list[int]] = {}
    for event in pending:
        event.attempts += 1
        errors = batch_errors.get(event.pk, []) + _run_listeners(event)
        if errors:
            event.last_error = "\n".join(errors)
            event.failed = event.attempts >= MAX_ATTEMPTS
            failed.append(event.pk)
        else:
            event.dispatched_at = timezone.now()
            event.last_error = ""
        key = (
            tuple(event.done_listeners),
            event.last_error,
            event.failed,
            event.dispatched_at is not None,
        )
        results.setdefault(key, []).append(event.pk)
    now = timezone.now()
    for (done, last_error, is_failed, dispatched), ids in results.items():
        OutboxEvent.objects.filter(pk__in=ids).update(
            done_listeners=list(done),
            last_error=last_error,
            failed=is_failed,
            dispatched_at=now if dispatched else None,
        )
    return failed


def _run_batch_listeners(events: list[OutboxEvent]) -> dict[int, list[str]]:
    """Run each batch listener once for the events of its type that it has not handled (adding
    it to their ``done_listeners`` if it succeeds) — a mixed one once for the events of all its
    types; returns the errors by event id."""
    errors: dict[int, list[str]] = {}
    calls: dict[tuple[BatchListener, str], list[OutboxEvent]] = {}
    for event in events:
        for fn in _batch_listeners.get(event.type, []):
            key = (fn, MIXED if fn in _mixed else event.type)
            calls.setdefault(key, []).append(event)
    for (fn, event_type), group in calls.items():
        name = listener_name(fn)
        todo = [event for event in group if name not in event.done_listeners]
        if not todo:
            continue
        token = _current_batch.set(todo)
        try:
            with transaction.atomic():
                fn(event_type, [event.payload for event in todo])
        except Exception as exc:
            logger.exception("Listener %s failed on %s events", name, len(todo))
            for event in todo:
                errors.setdefault(event.pk, []).append(f"{name}: {exc!r}")
        else:
            for event in todo:
                event.done_listeners = sorted({*event.done_listeners, name})
        finally:
            _current_batch.reset(token)
    return errors


_current_batch: ContextVar[Sequence[OutboxEvent]] = ContextVar("zabota_current_batch", default=())


def current_batch() -> Sequence[OutboxEvent]:
    """The outbox rows a batch listener is running for, in the order of its payloads (empty
    outside a dispatch): for a batch listener that keys its own rows by event."""
    return _current_batch.get()


_current_event: ContextVar[OutboxEvent | None] = ContextVar("zabota_current_event", default=None)


def current_event() -> OutboxEvent | None:
    """The outbox row whose per-event listeners are running (None outside a dispatch): for a
    listener that keys its own rows by event, such as outgoing webhook deliveries."""
    return _current_event.get()


def _run_listeners(event: OutboxEvent) -> list[str]:
    """Run the event's listeners not yet in ``done_listeners`` (adding the ones that succeed),
    each in its own transaction; returns the errors of those that failed."""
    done = set(event.done_listeners)
    errors = []
    for fn in listeners_for(event.type):
        name = listener_name(fn)
        if name in done:
            continue
        token = _current_event.set(event)
        try:
            with transaction.atomic():
                fn(event.type, event.payload)
        except Exception as exc:
            logger.exception("Listener %s failed on event %s", name, event.pk)
            errors.append(f"{name}: {exc!r}")
        else:
            done.add(name)
        finally:
            _current_event.reset(token)
    event.done_listeners = sorted(done)
    return errors


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff: 2 s, 4 s, 8 s … capped at 10 minutes."""
    return timedelta(seconds=min(2**attempts, 600))


def pending_events(older_than: timedelta = timedelta(seconds=30)) -> list[int]:
    """Events that missed their after-commit dispatch (a crash, a lost task) and are due again."""
    cutoff = timezone.now() - older_than
    return list(
        OutboxEvent.objects.filter(dispatched_at__isnull=True, failed=False, created_at__lt=cutoff)
        .order_by("created_at")
        .values_list("pk", flat=True)[:500]
    )
