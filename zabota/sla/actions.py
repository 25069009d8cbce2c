"""SLA clocks of tickets.

A clock starts under the first matching policy when a ticket is created and is moved by replies,
customer messages and status changes (``sla.listeners``), which compute due times with the
calendar math. The sweep advances clocks to warning and breached by comparing the stored times
with now in SQL: it never builds a calendar, so it stays cheap with many open tickets.
"""

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from zabota.commerce.models import CustomerSegment
from zabota.core import event_types
from zabota.core.events import publish_all_on_commit
from zabota.sla.calendar import (
    CalendarSnapshot,
    add_business_time,
    always_open_calendar,
    business_time_between,
)
from zabota.sla.constants import RUNNING_STATES, TARGETS, TargetState
from zabota.sla.models import SlaPolicy, TicketSla
from zabota.sla.queries import calendar_snapshot
from zabota.tickets.actions import do_record_sla_events
from zabota.tickets.constants import Status
from zabota.tickets.models import Ticket

# Waiting on the customer: the clock stops.
PAUSING_STATUSES = (Status.PENDING, Status.AWAITING_CONFIRMATION)
DONE_STATUSES = (Status.SOLVED, Status.CLOSED)
# The overall state is the worst of the targets'.
STATE_RANK = {"": 0, TargetState.MET: 1, TargetState.DUE: 2, TargetState.WARNING: 3}
STATE_RANK[TargetState.BREACHED] = 4
SWEEP_CHUNK = 2000


class PolicyMatcher:
    """Chooses policies for many tickets: each store's active policies and the customers'
    segments are read once, however many tickets are matched."""

    def __init__(self, tickets: Sequence[Ticket]) -> None:
        self.policies: dict[int, list[SlaPolicy]] = {}
        for policy in SlaPolicy.objects.filter(
            store_id__in={t.store_id for t in tickets}, is_active=True
        ).order_by("position", "pk"):
            self.policies.setdefault(policy.store_id, []).append(policy)
        self.segments: dict[tuple[int, int], set[str]] = {}
        wanted = {(t.store_id, t.customer_id) for t in tickets if t.store_id in self.policies}
        if wanted:
            for store_id, customer_id, segment in CustomerSegment.objects.filter(
                store_id__in={store for store, _ in wanted},
                customer_id__in={customer for _, customer in wanted},
            ).values_list("store_id", "customer_id", "segment"):
                self.segments.setdefault((store_id, customer_id), set()).add(segment)

    def match(self, ticket: Ticket) -> tuple[SlaPolicy, float] | None:
        """The first active policy of the ticket's store whose conditions the ticket meets, and
        the smallest of its segment factors that apply to the customer (1 if none)."""
        segments = self.segments.get((ticket.store_id, ticket.customer_id), set())
        for policy in self.policies.get(ticket.store_id, []):
            if policy.channels and ticket.channel not in policy.channels:
                continue
            if policy.priorities and ticket.priority not in {int(p) for p in policy.priorities}:
                continue
            if policy.segments and not segments & set(policy.segments):
                continue
            factors = [
                float(f) for code, f in (policy.segment_factors or {}).items() if code in segments
            ]
            return policy, min(factors, default=1.0)
        return None


def matching_policy(ticket: Ticket) -> tuple[SlaPolicy, float] | None:
    """The policy a ticket's clock runs under now (see ``PolicyMatcher.match``)."""
    return PolicyMatcher([ticket]).match(ticket)


def do_start_sla(ticket_id: int, *, at: datetime) -> TicketSla | None:
    """Start the ticket's clock under its matching policy (none: no clock). Idempotent."""
    return do_start_slas([(ticket_id, at)]).get(ticket_id)


def do_start_slas(starts: Sequence[tuple[int, datetime]]) -> dict[int, TicketSla]:
    """Start the clocks of these tickets (ticket id, start) that have none, each under its
    matching policy, with one insert; returns the clocks started by ticket id. Idempotent: a
    clock started meanwhile by another worker is left as it is."""
    with transaction.atomic():
        wanted = dict(starts)
        tickets = Ticket.objects.select_related("store").in_bulk(set(wanted))
        started = set(TicketSla.objects.filter(pk__in=tickets).values_list("pk", flat=True))
        todo = [tickets[pk] for pk in sorted(tickets) if pk not in started]
        matcher = PolicyMatcher(todo)
        calendars = _Calendars()
        clocks: dict[int, TicketSla] = {}
        for ticket in todo:
            found = matcher.match(ticket)
            if found is None:
                continue
            policy, factor = found
            at = wanted[ticket.pk]
            sla = TicketSla(ticket=ticket, policy=policy, started_at=at, factor=factor)
            calendar = calendars.of(sla)
            for target in ("first_reply", "resolution"):
                _start_target(sla, calendar, target, at)
            _refresh(sla)
            clocks[ticket.pk] = sla
        TicketSla.objects.bulk_create(clocks.values(), ignore_conflicts=True)
        return clocks


def do_rechoose_policies(ticket_ids: Sequence[int], *, now: datetime | None = None) -> int:
    """The tickets' priority, customer or segments changed: each active ticket gets the policy
    that matches it now. A ticket without a clock starts one (from its creation) if a policy
    matches now; a clock under another policy (or factor) keeps its start and pauses, and its
    first-reply and resolution targets still running get the new policy's due and warning
    times. Met and breached targets stay as they are; a running next-reply target keeps its
    due time (the new policy applies from the customer's next message). A clock no policy
    matches any more is kept. Returns how many clocks changed."""
    now = now or timezone.now()
    with transaction.atomic():
        clocks = _locked_many(ticket_ids)
        tickets = Ticket.objects.select_related("store").in_bulk(set(ticket_ids))
        active = [
            tickets[pk]
            for pk in sorted(tickets)
            if tickets[pk].status not in DONE_STATUSES and tickets[pk].merged_into_id is None
        ]
        matcher = PolicyMatcher(active)
        calendars = _Calendars()
        unclocked: list[tuple[int, datetime]] = []
        changed: list[TicketSla] = []
        for ticket in active:
            found = matcher.match(ticket)
            sla = clocks.get(ticket.pk)
            if sla is None:
                if found is not None:
                    unclocked.append((ticket.pk, ticket.created_at))
                continue
            if found is None or (sla.policy_id, sla.factor) == (found[0].pk, found[1]):
                continue
            sla.policy, sla.factor = found
            calendar = calendars.of(sla)
            for target in ("first_reply", "resolution"):
                if getattr(sla, f"{target}_state") in RUNNING_STATES:
                    _retarget(sla, calendar, target, now)
            _refresh(sla)
            changed.append(sla)
        _save_clocks(changed)
        return len(changed) + len(do_start_slas(unclocked))


# Everything of a clock but its ticket (the primary key).
_CLOCK_FIELDS = [f.name for f in TicketSla._meta.concrete_fields if not f.primary_key]


def _retarget(sla: TicketSla, calendar: CalendarSnapshot, target: str, now: datetime) -> None:
    """The target's times under the clock's (new) policy, counted from the clock's start with
    the business time it was paused added (a pause still running moves them on resuming)."""
    within: timedelta | None = getattr(sla.policy, f"{target}_within", None)
    if within is None or sla.policy is None:
        setattr(sla, f"{target}_due", None)
        setattr(sla, f"{target}_warn_at", None)
        setattr(sla, f"{target}_state", "")
        return
    within = within * sla.factor
    left = within * sla.policy.warning_percent / 100
    due = add_business_time(calendar, sla.started_at, within + sla.paused_total)
    warn_at = add_business_time(calendar, sla.started_at, within - left + sla.paused_total)
    setattr(sla, f"{target}_due", due)
    setattr(sla, f"{target}_warn_at", warn_at)
    # Warned already and still past the new warning time: stays warned (no second warning).
    if getattr(sla, f"{target}_state") != TargetState.WARNING or warn_at > now:
        setattr(sla, f"{target}_state", TargetState.DUE)


def do_record_reply(ticket_id: int, *, at: datetime) -> None:
    do_record_replies([(ticket_id, at)])


def do_record_replies(replies: Sequence[tuple[int, datetime]]) -> None:
    """Agents replied (ticket id, when): the first reply (if still owed) and the next reply
    are met, or breached if late. In the given order; the clocks are locked together."""
    with transaction.atomic():
        clocks, calendars = _locked_many([ticket_id for ticket_id, _at in replies]), _Calendars()
        changed: dict[int, TicketSla] = {}
        for ticket_id, at in replies:
            sla = clocks.get(ticket_id)
            if sla is None:
                continue
            calendar = calendars.of(sla)
            if sla.first_replied_at is None:
                sla.first_replied_at = at
                sla.first_reply_seconds = _business_seconds(sla, calendar, at)
                if sla.first_reply_due is not None:
                    sla.first_reply_state = _met_or_breached(
                        sla.first_reply_state, sla.first_reply_due, at
                    )
            if sla.next_reply_due is not None:
                sla.next_reply_state = _met_or_breached(
                    sla.next_reply_state, sla.next_reply_due, at
                )
                sla.next_reply_due = sla.next_reply_warn_at = None
            _refresh(sla)
            changed[ticket_id] = sla
        _save_clocks(changed.values())


def do_record_customer_message(ticket_id: int, *, at: datetime) -> None:
    do_record_customer_messages([(ticket_id, at)])


def do_record_customer_messages(messages: Sequence[tuple[int, datetime]]) -> None:
    """Customers wrote (ticket id, when) after the first reply: the next reply is owed (unless
    it already is). Before the first reply, the first reply target covers it."""
    with transaction.atomic():
        clocks, calendars = _locked_many([ticket_id for ticket_id, _at in messages]), _Calendars()
        changed: dict[int, TicketSla] = {}
        for ticket_id, at in messages:
            sla = clocks.get(ticket_id)
            if sla is None or sla.first_replied_at is None or sla.next_reply_due is not None:
                continue
            if sla.policy is None or sla.policy.next_reply_within is None:
                continue
            calendar = calendars.of(sla)
            # A customer reply reopens a pending ticket: the clock runs again from now.
            _resume(sla, calendar, at)
            _start_target(sla, calendar, "next_reply", at)
            _refresh(sla)
            changed[ticket_id] = sla
        _save_clocks(changed.values())


def do_record_status(ticket_id: int, *, status: str, at: datetime) -> None:
    do_record_statuses([(ticket_id, status, at)])


def do_record_statuses(changes: Sequence[tuple[int, str, datetime]]) -> None:
    """Status changes (ticket id, new status, when). Pending and awaiting confirmation pause
    the clock; on resuming, the due times move by the business time spent paused. Solved or
    closed meets the resolution (or records it late)."""
    with transaction.atomic():
        clocks, calendars = _locked_many([change[0] for change in changes]), _Calendars()
        before = {pk: _state_of(sla) for pk, sla in clocks.items()}
        for ticket_id, status, at in changes:
            sla = clocks.get(ticket_id)
            if sla is None:
                continue
            if status in PAUSING_STATUSES:
                if sla.paused_at is None:
                    sla.paused_at = at
            else:
                calendar = calendars.of(sla)
                _resume(sla, calendar, at)
                if status in DONE_STATUSES and sla.resolved_at is None:
                    sla.resolved_at = at
                    sla.resolution_seconds = _business_seconds(sla, calendar, at)
                    if sla.resolution_due is not None:
                        sla.resolution_state = _met_or_breached(
                            sla.resolution_state, sla.resolution_due, at
                        )
                    if sla.next_reply_due is not None:
                        sla.next_reply_due = sla.next_reply_warn_at = None
                        if sla.next_reply_state in RUNNING_STATES:
                            sla.next_reply_state = ""
            _refresh(sla)
        _save_clocks(sla for pk, sla in clocks.items() if _state_of(sla) != before[pk])


def _save_clocks(clocks: Iterable[TicketSla]) -> None:
    """Write the changed clocks of a batch (locked, so they exist) with one statement: an
    INSERT … ON CONFLICT DO UPDATE, where bulk_update's CASE per field and row costs more to
    build than the statements it saves."""
    TicketSla.objects.bulk_create(
        list(clocks), update_conflicts=True, unique_fields=["ticket"], update_fields=_CLOCK_FIELDS
    )


def _state_of(sla: TicketSla) -> dict[str, Any]:
    return {f.attname: getattr(sla, f.attname) for f in TicketSla._meta.concrete_fields}


def sweep(*, now: datetime | None = None) -> int:
    """Move running clocks whose warning or due time has passed to warning or breached, with a
    timeline row and an ``sla.warning``/``sla.breached`` event per ticket. A few queries
    whatever the number of open tickets: candidates come from the (state, next_due) and
    (state, warn_at) indexes, and each transition is one UPDATE per target. Returns the number
    of tickets moved."""
    now = now or timezone.now()
    fields = ["ticket_id"] + [f"{t}_{f}" for t in TARGETS for f in ("due", "warn_at", "state")]
    with transaction.atomic():
        running = TicketSla.objects.filter(paused_at__isnull=True, state__in=RUNNING_STATES)
        breaching = list(
            running.filter(next_due__lte=now).select_for_update(skip_locked=True).values(*fields)
        )
        breached_ids = {row["ticket_id"] for row in breaching}
        warning = [
            row
            for row in running.filter(state=TargetState.DUE, warn_at__lte=now)
            .select_for_update(skip_locked=True)
            .values(*fields)
            if row["ticket_id"] not in breached_ids
        ]
        breached = _transition(breaching, TargetState.BREACHED, "due", now)
        warned = _transition(warning, TargetState.WARNING, "warn_at", now)
        rows = [
            (ticket_id, {"sla": state, "targets": targets})
            for state, moved in ((TargetState.BREACHED, breached), (TargetState.WARNING, warned))
            for ticket_id, targets in moved
        ]
        if rows:
            do_record_sla_events(rows, at=now)
            publish_all_on_commit(
                [
                    (
                        event_types.SLA_BREACHED
                        if data["sla"] == TargetState.BREACHED
                        else event_types.SLA_WARNING,
                        {"ticket_id": ticket_id, "targets": data["targets"]},
                    )
                    for ticket_id, data in rows
                ]
            )
    return len(rows)


def _transition(
    rows: Sequence[dict[str, Any]], state: str, field: str, now: datetime
) -> list[tuple[int, list[str]]]:
    """Set ``state`` on each running target whose ``field`` has passed, one UPDATE per target,
    and on the rows' overall state; returns the moved tickets with their targets."""
    moved: dict[int, list[str]] = {}
    for row in rows:
        targets = [
            t
            for t in TARGETS
            if row[f"{t}_state"] in RUNNING_STATES
            and row[f"{t}_state"] != state
            and row[f"{t}_{field}"] is not None
            and row[f"{t}_{field}"] <= now
        ]
        if targets:
            moved[row["ticket_id"]] = targets
    ids = list(moved)
    for start in range(0, len(ids), SWEEP_CHUNK):
        part = ids[start : start + SWEEP_CHUNK]
        for target in TARGETS:
            TicketSla.objects.filter(
                pk__in=part,
                **{f"{target}_state__in": RUNNING_STATES, f"{target}_{field}__lte": now},
            ).exclude(**{f"{target}_state": state}).update(**{f"{target}_state": state})
        overall: dict[str, Any] = {"state": state}
        if state == TargetState.WARNING:
            overall["warn_at"] = None
        TicketSla.objects.filter(pk__in=part, state__in=RUNNING_STATES).update(**overall)
    return list(moved.items())


def _locked_many(ticket_ids: Sequence[int]) -> dict[int, TicketSla]:
    """The tickets' clocks, locked in id order (so that two batches cannot deadlock), each
    with its policy (read once per batch) and its store's time zone."""
    clocks: dict[int, TicketSla] = {
        sla.pk: sla
        for sla in TicketSla.objects.select_for_update(of=("self",))
        .annotate(store_time_zone=F("ticket__store__time_zone"))
        .filter(pk__in=set(ticket_ids))
        .order_by("pk")
    }
    policies = SlaPolicy.objects.in_bulk({sla.policy_id for sla in clocks.values()} - {None})
    for sla in clocks.values():
        sla.policy = policies.get(sla.policy_id)  # type: ignore[arg-type]
    return clocks


def _time_zone(sla: TicketSla) -> str:
    """The clock's store's time zone: annotated by ``_locked_many``, else read."""
    return getattr(sla, "store_time_zone", None) or sla.ticket.store.time_zone


class _Calendars:
    """The calendars of one batch of clocks, each read once."""

    def __init__(self) -> None:
        self.found: dict[tuple[int | None, str], CalendarSnapshot] = {}

    def of(self, sla: TicketSla) -> CalendarSnapshot:
        policy = sla.policy
        key = (policy.calendar_id if policy is not None else None, _time_zone(sla))
        if key not in self.found:
            self.found[key] = _calendar(sla)
        return self.found[key]


def _calendar(sla: TicketSla) -> CalendarSnapshot:
    policy = sla.policy
    if policy is not None and policy.calendar_id is not None:
        return calendar_snapshot(policy.calendar_id)
    return always_open_calendar(_time_zone(sla))


def _start_target(sla: TicketSla, calendar: CalendarSnapshot, target: str, at: datetime) -> None:
    within: timedelta | None = getattr(sla.policy, f"{target}_within", None)
    if within is None or sla.policy is None:
        return
    within = within * sla.factor
    left = within * sla.policy.warning_percent / 100
    setattr(sla, f"{target}_due", add_business_time(calendar, at, within))
    setattr(sla, f"{target}_warn_at", add_business_time(calendar, at, within - left))
    setattr(sla, f"{target}_state", TargetState.DUE)


def _resume(sla: TicketSla, calendar: CalendarSnapshot, at: datetime) -> None:
    """End a pause at ``at``: each running due time keeps the business time it had left."""
    paused_at = sla.paused_at
    if paused_at is None:
        return
    sla.paused_total += business_time_between(calendar, paused_at, at)
    for target in TARGETS:
        if not _pending(sla, target):
            continue
        for field in ("due", "warn_at"):
            moment = getattr(sla, f"{target}_{field}")
            if moment is not None and moment > paused_at:
                left = business_time_between(calendar, paused_at, moment)
                setattr(sla, f"{target}_{field}", add_business_time(calendar, at, left))
    sla.paused_at = None


def _pending(sla: TicketSla, target: str) -> bool:
    """Whether the target is still owed (running, or breached and not yet met)."""
    if getattr(sla, f"{target}_due") is None:
        return False
    if target == "first_reply":
        return sla.first_replied_at is None and sla.resolved_at is None
    if target == "resolution":
        return sla.resolved_at is None
    return True  # the next reply's due time is cleared once it is met


def _refresh(sla: TicketSla) -> None:
    """Overall state (the worst of the targets still owed, else of all), next due time and
    next warning time."""
    pending = [t for t in TARGETS if _pending(sla, t)]
    states = [getattr(sla, f"{t}_state") for t in (pending or TARGETS)]
    sla.state = max(states, key=STATE_RANK.__getitem__, default="")
    dues = [getattr(sla, f"{t}_due") for t in pending]
    sla.next_due = min(dues, default=None)
    warns = [
        getattr(sla, f"{t}_warn_at")
        for t in pending
        if getattr(sla, f"{t}_state") == TargetState.DUE
    ]
    sla.warn_at = min((w for w in warns if w is not None), default=None)


def _met_or_breached(state: str, due: datetime, at: datetime) -> str:
    if state == TargetState.BREACHED or at > due:
        return TargetState.BREACHED
    return TargetState.MET


def _business_seconds(sla: TicketSla, calendar: CalendarSnapshot, at: datetime) -> int:
    spent = business_time_between(calendar, sla.started_at, at) - sla.paused_total
    return max(0, int(spent.total_seconds()))
