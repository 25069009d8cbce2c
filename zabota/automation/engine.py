"""The rules engine: on a ticket event (or the periodic sweep) it evaluates the active rules for
that trigger, in order, and applies the actions of those that match through the ticket actions,
labelled "rule: <name>" on the timeline.

Loops: the events a rule's actions publish are recorded as RuleCausedEvent in the same
transaction, and the engine ignores them, so a rule's own changes never trigger rules.
Idempotency: one RuleApplication per (rule, ticket, trigger), so an event delivered twice or a
sweep run twice applies nothing the second time.
"""

import logging
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Exists, F, Max, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from zabota.automation.actions import parse_action
from zabota.automation.conditions import Condition, Facts, parse_condition
from zabota.automation.constants import TIME_TRIGGER, TRIGGERS, Match
from zabota.automation.models import Rule, RuleApplication, RuleCausedEvent
from zabota.automation.preload import preload
from zabota.commerce.models import Store
from zabota.core.events import (
    batch_listener,
    collect_published,
    current_batch,
    one_dispatch_task,
)
from zabota.tickets.constants import ACTIVE_STATUSES, EventKind
from zabota.tickets.models import Ticket, TicketEvent

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CompiledRule:
    """A rule with its conditions parsed once (None: a stored condition no longer validates,
    e.g. a removed choice, and the rule never matches) and the facts they read."""

    rule: Rule
    conditions: list[Condition] | None
    needs: frozenset[str]

    def matches(self, facts: Facts) -> bool:
        if self.conditions is None:
            return False
        if not self.conditions:
            return True
        results = (condition.holds(facts) for condition in self.conditions)
        return all(results) if self.rule.match == Match.ALL else any(results)


# Parsed conditions by (rule id, updated_at): an edited rule is parsed again.
_parsed: dict[tuple[int, Any], tuple[list[Condition] | None, frozenset[str]]] = {}


def compile_rule(rule: Rule) -> CompiledRule:
    key = (rule.pk, rule.updated_at)
    if rule.pk is None or key not in _parsed:
        try:
            conditions: list[Condition] | None = [parse_condition(raw) for raw in rule.conditions]
        except ValueError:
            logger.warning("Rule %s has an invalid condition; skipped", rule.pk)
            conditions = None
        needs = frozenset(c.source.needs for c in conditions or [] if c.source.needs)
        if rule.pk is None:
            return CompiledRule(rule, conditions, needs)
        if len(_parsed) > 5000:
            _parsed.clear()
        _parsed[key] = (conditions, needs)
    return CompiledRule(rule, *_parsed[key])


# The active rules as last loaded, with the version of the rule table they were loaded at.
_active: tuple[tuple[Any, ...], list[CompiledRule]] | None = None


def active_rules() -> list[CompiledRule]:
    """Every active rule, in order, parsed. Loaded again only when a rule was added, saved or
    deleted since (one aggregate query tells), as this runs for every batch of events."""
    global _active
    version = tuple(
        Rule.objects.aggregate(n=Count("pk"), ids=Sum("pk"), last=Max("updated_at")).values()
    )
    if _active is None or _active[0] != version:
        rules = Rule.objects.filter(is_active=True).order_by("order", "pk")
        _active = (version, [compile_rule(rule) for rule in rules])
    return _active[1]


def rules_for(
    trigger: str, store_id: int, rules: list[CompiledRule] | None = None
) -> list[CompiledRule]:
    """The active rules of the store (and of every store) for the trigger, in order."""
    # JSON containment is not portable to SQLite: the rule lists are short, filter in Python.
    return [
        compiled
        for compiled in (active_rules() if rules is None else rules)
        if trigger in compiled.rule.triggers and compiled.rule.store_id in (None, store_id)
    ]


def matches(rule: Rule, facts: Facts) -> bool:
    """Whether the rule's conditions hold; a rule whose stored conditions no longer validate
    (a removed choice) never matches."""
    return compile_rule(rule).matches(facts)


@dataclass
class Preview:
    ticket: Ticket
    would_do: list[str] = field(default_factory=list)


def preview(rule: Rule, tickets: list[Ticket], *, now: datetime | None = None) -> list[Preview]:
    """Which of the tickets the rule matches and what it would do to each; changes nothing."""
    found = []
    for ticket in tickets:
        if not matches(rule, Facts(ticket, now=now)):
            continue
        would_do = []
        for raw in rule.actions:
            try:
                action, params = parse_action(raw, rule.store)
            except ValueError:
                continue
            would_do.append(action.describe(ticket, params))
        found.append(Preview(ticket, would_do))
    return found


def _record_application(rule: Rule, ticket: Ticket, trigger_key: str) -> RuleApplication | None:
    """The application's row, or None if the rule was applied for this trigger already: one
    INSERT … ON CONFLICT DO NOTHING (no savepoint to recover from a unique violation)."""
    table = connection.ops.quote_name(RuleApplication._meta.db_table)
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            # The table name is the model's own, not input.
            f"INSERT INTO {table} (rule_id, ticket_id, trigger_key, actions_applied, created_at) "  # noqa: S608
            "VALUES (%s, %s, %s, %s, %s) "
            "ON CONFLICT (rule_id, ticket_id, trigger_key) DO NOTHING RETURNING id",
            [rule.pk, ticket.pk, trigger_key, "[]", connection.ops.adapt_datetimefield_value(now)],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    return RuleApplication(
        pk=row[0], rule=rule, ticket=ticket, trigger_key=trigger_key, created_at=now
    )


_application: ContextVar[RuleApplication | None] = ContextVar(
    "zabota_rule_application", default=None
)


def current_application() -> RuleApplication | None:
    """The rule application whose actions are running (None outside one): an action that
    writes rows of its own (a notification, a webhook delivery) keys them by it, and so writes
    them once however often the rule's trigger is delivered."""
    return _application.get()


def apply_rule(rule: Rule, ticket: Ticket, *, trigger_key: str) -> RuleApplication | None:
    """Apply the rule's actions to the ticket once for ``trigger_key``; None if it already was.
    The caller has checked the conditions."""
    # No savepoint of its own inside a batch: a failing action fails the batch, which the
    # dispatcher then retries event by event.
    with transaction.atomic(savepoint=False):
        application = _record_application(rule, ticket, trigger_key)
        if application is None:
            return None
        # What the actions publish goes out with one dispatch task (with those of the batch's
        # other applications: inside a batch this block is the batch's).
        one_dispatch_task()
        applied = []
        token = _application.set(application)
        try:
            with collect_published() as caused:
                for position, raw in enumerate(rule.actions, start=1):
                    try:
                        action, params = parse_action(raw, rule.store)
                    except ValueError as exc:
                        # Stopped validating since the rule was saved (a group deleted, a
                        # subscription paused): skipped and shown, the others still apply.
                        logger.warning("Rule %s: action skipped: %s", rule.pk, exc)
                        applied.append({"type": str(raw.get("type", "")), "skipped": str(exc)})
                        continue
                    summary = action.apply(ticket, params, rule.actor_label)
                    if summary:
                        applied.append({"type": action.type, "summary": summary})
                        if position < len(rule.actions):
                            # The next action reads the ticket as this one left it.
                            ticket = fresh(ticket)
        finally:
            _application.reset(token)
        if applied:
            application.actions_applied = applied
            application.save(update_fields=["actions_applied"])
        RuleCausedEvent.objects.bulk_create(
            [RuleCausedEvent(event_id=pk, rule=rule) for pk in caused]
        )
    return application


def run_rules(
    trigger: str,
    ticket: Ticket,
    *,
    trigger_key: str,
    message_id: int | None = None,
    rules: list[CompiledRule] | None = None,
    facts: Facts | None = None,
) -> list[RuleApplication]:
    """Evaluate and apply the trigger's rules on the ticket, in order. Each rule sees the ticket
    as the rules before it left it: ``facts`` (preloaded for a batch) serve until a rule
    changes the ticket, then they are read again."""
    applied = []
    facts = facts or Facts(ticket, message_id=message_id)
    for compiled in rules_for(trigger, ticket.store_id, rules):
        if not compiled.matches(facts):
            continue
        application = apply_rule(compiled.rule, ticket, trigger_key=trigger_key)
        if application is not None:
            applied.append(application)
            ticket = fresh(ticket)
            facts = facts.after_change(ticket)
    return applied


EVENT_TRIGGERS = tuple(trigger for trigger in TRIGGERS if trigger != TIME_TRIGGER)


@batch_listener(*EVENT_TRIGGERS, mixed=True)
def on_ticket_events(event_type: str, payloads: list[dict[str, Any]]) -> None:
    """The rules for the events of a dispatch (all trigger types together, in order): the
    rules, tickets and the facts the rules read are loaded once for all of them; only matches
    cost queries. Events the rules' own actions published are skipped."""
    events = current_batch()
    if len(events) != len(payloads):
        raise RuntimeError("rules run on dispatched events only")
    rules = active_rules()
    types = {e.type for e in events}
    wanted = [c for c in rules if types & set(c.rule.triggers)]
    if not wanted:
        return
    caused = set(
        RuleCausedEvent.objects.filter(event_id__in=[e.pk for e in events]).values_list(
            "event_id", flat=True
        )
    )
    todo = [e for e in events if e.pk not in caused and e.payload.get("ticket_id")]
    if not todo:
        return
    tickets = Ticket.objects.in_bulk({e.payload["ticket_id"] for e in todo})
    # Each store read once, not joined to every ticket.
    stores = Store.objects.in_bulk({t.store_id for t in tickets.values()})
    for ticket in tickets.values():
        ticket.store = stores[ticket.store_id]
    todo = [
        e
        for e in todo
        if e.payload["ticket_id"] in tickets
        and tickets[e.payload["ticket_id"]].merged_into_id is None
    ]
    facts = [
        Facts(
            tickets[e.payload["ticket_id"]],
            message_id=e.payload.get("message_id"),
            response_id=e.payload.get("response_id"),
        )
        for e in todo
    ]
    preload(facts, set().union(*(c.needs for c in wanted)))
    changed: set[int] = set()
    for event, ticket_facts in zip(todo, facts, strict=True):
        ticket = ticket_facts.ticket
        if ticket.pk in changed:
            # An earlier event's rules changed it: the preloaded facts are stale.
            ticket = fresh(ticket)
            ticket_facts = Facts(
                ticket,
                message_id=event.payload.get("message_id"),
                response_id=event.payload.get("response_id"),
            )
        if run_rules(
            event.type,
            ticket,
            trigger_key=f"event:{event.pk}",
            message_id=event.payload.get("message_id"),
            rules=wanted,
            facts=ticket_facts,
        ):
            changed.add(ticket.pk)


def fresh(ticket: Ticket) -> Ticket:
    """The ticket as stored now, with its store (which the actions read)."""
    return Ticket.objects.select_related("store").get(pk=ticket.pk)


SWEEP_CHUNK = 500


def sweep_time_rules(*, now: datetime | None = None) -> int:
    """Apply the time-based rules to the active tickets they match ("pending for 48 hours":
    status is pending and hours in status at least 48). Keyed by the ticket's status and the
    moment it entered it, so a ticket is handled once per stay in a status. The database
    narrows the candidates (the rule's store and statuses, the hours in status it requires, no
    application yet in this stay); their facts are loaded per chunk. Returns how many
    applications were made."""
    now = now or timezone.now()
    count = 0
    for compiled in active_rules():
        rule = compiled.rule
        if TIME_TRIGGER not in rule.triggers or compiled.conditions is None:
            continue
        changed = (
            TicketEvent.objects.filter(ticket=OuterRef("pk"), kind=EventKind.STATUS)
            .order_by("-created_at")
            .values("created_at")[:1]
        )
        tickets = Ticket.objects.filter(
            status__in=ACTIVE_STATUSES, merged_into__isnull=True
        ).annotate(since=Coalesce(Subquery(changed), F("created_at")))
        if rule.store_id is not None:
            tickets = tickets.filter(store_id=rule.store_id)
        statuses = _required_statuses(rule)
        if statuses is not None:
            tickets = tickets.filter(status__in=statuses)
        hours = _required_hours(rule)
        if hours is not None:
            tickets = tickets.filter(since__lte=now - timedelta(hours=hours))
        tickets = tickets.exclude(
            Exists(
                RuleApplication.objects.filter(
                    rule=rule, ticket=OuterRef("pk"), created_at__gte=OuterRef("since")
                )
            )
        )
        ids = list(tickets.order_by("pk").values_list("pk", flat=True))
        for start in range(0, len(ids), SWEEP_CHUNK):
            chunk = Ticket.objects.select_related("store").filter(
                pk__in=ids[start : start + SWEEP_CHUNK]
            )
            facts = [Facts(ticket, now=now) for ticket in chunk]
            preload(facts, compiled.needs | {"status_since"})
            for ticket_facts in facts:
                if not compiled.matches(ticket_facts):
                    continue
                ticket = ticket_facts.ticket
                key = f"status:{ticket.status}:{ticket_facts.status_since.isoformat()}"
                if apply_rule(rule, ticket, trigger_key=key[:100]) is not None:
                    count += 1
    return count


def _required_hours(rule: Rule) -> float | None:
    """The least hours in status an all-conditions rule requires, to narrow the sweep."""
    if rule.match != Match.ALL:
        return None
    for raw in rule.conditions:
        if (
            isinstance(raw, dict)
            and raw.get("field") == "ticket.hours_in_status"
            and raw.get("op") == "gte"
        ):
            try:
                return float(str(raw.get("value")))
            except (TypeError, ValueError):
                return None
    return None


def _required_statuses(rule: Rule) -> list[str] | None:
    """The statuses an all-conditions rule requires, to narrow the sweep's query."""
    if rule.match != Match.ALL:
        return None
    for raw in rule.conditions:
        if isinstance(raw, dict) and raw.get("field") == "ticket.status":
            if raw.get("op") == "is":
                return [str(raw.get("value"))]
            if raw.get("op") == "in" and isinstance(raw.get("value"), list):
                return list(raw["value"])
    return None
