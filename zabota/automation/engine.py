"""The rules engine: on a ticket event (or the periodic sweep) it evaluates the active rules for
that trigger, in order, and applies the actions of those that match through the ticket actions,
labelled "rule: <name>" on the timeline.

Loops: the events a rule's actions publish are recorded as RuleCausedEvent in the same
transaction, and the engine ignores them, so a rule's own changes never trigger rules.
Idempotency: one RuleApplication per (rule, ticket, trigger), so an event delivered twice or a
sweep run twice applies nothing the second time.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone

from zabota.automation.actions import parse_action
from zabota.automation.conditions import Facts, parse_condition
from zabota.automation.constants import TIME_TRIGGER, TRIGGERS, Match
from zabota.automation.models import Rule, RuleApplication, RuleCausedEvent
from zabota.core.events import current_event, listener
from zabota.core.models import OutboxEvent
from zabota.tickets.constants import ACTIVE_STATUSES
from zabota.tickets.models import Ticket

logger = logging.getLogger(__name__)


def rules_for(trigger: str, store_id: int) -> list[Rule]:
    """The active rules of the store (and of every store) for the trigger, in order."""
    rules = Rule.objects.filter(is_active=True).filter(Q(store_id=store_id) | Q(store__isnull=True))
    # JSON containment is not portable to SQLite: the rule lists are short, filter in Python.
    return [rule for rule in rules.order_by("order", "pk") if trigger in rule.triggers]


def matches(rule: Rule, facts: Facts) -> bool:
    """Whether the rule's conditions hold; a rule whose stored conditions no longer validate
    (a removed choice) never matches."""
    try:
        conditions = [parse_condition(raw) for raw in rule.conditions]
    except ValueError:
        logger.warning("Rule %s has an invalid condition; skipped", rule.pk)
        return False
    if not conditions:
        return True
    results = (condition.holds(facts) for condition in conditions)
    return all(results) if rule.match == Match.ALL else any(results)


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


def apply_rule(rule: Rule, ticket: Ticket, *, trigger_key: str) -> RuleApplication | None:
    """Apply the rule's actions to the ticket once for ``trigger_key``; None if it already was.
    The caller has checked the conditions."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                application = RuleApplication.objects.create(
                    rule=rule, ticket=ticket, trigger_key=trigger_key
                )
        except IntegrityError:
            return None
        # Events with a higher id on this ticket are this transaction's own: the ticket's row
        # lock, which every ticket action takes, keeps other writers to the ticket out meanwhile.
        mark = OutboxEvent.objects.aggregate(mark=Max("pk"))["mark"] or 0
        applied = []
        for raw in rule.actions:
            action, params = parse_action(raw, rule.store)
            ticket.refresh_from_db()
            summary = action.apply(ticket, params, rule.actor_label)
            if summary:
                applied.append({"type": action.type, "summary": summary})
        application.actions_applied = applied
        application.save(update_fields=["actions_applied"])
        caused = OutboxEvent.objects.filter(pk__gt=mark, payload__ticket_id=ticket.pk)
        RuleCausedEvent.objects.bulk_create(
            [RuleCausedEvent(event_id=pk, rule=rule) for pk in caused.values_list("pk", flat=True)]
        )
    return application


def run_rules(
    trigger: str, ticket: Ticket, *, trigger_key: str, message_id: int | None = None
) -> list[RuleApplication]:
    """Evaluate and apply the trigger's rules on the ticket, in order. Each rule sees the ticket
    as the rules before it left it."""
    applied = []
    for rule in rules_for(trigger, ticket.store_id):
        ticket.refresh_from_db()
        if not matches(rule, Facts(ticket, message_id=message_id)):
            continue
        application = apply_rule(rule, ticket, trigger_key=trigger_key)
        if application is not None:
            applied.append(application)
    return applied


@listener(*(trigger for trigger in TRIGGERS if trigger != TIME_TRIGGER))
def on_ticket_event(event_type: str, payload: dict[str, Any]) -> None:
    event = current_event()
    if event is None or RuleCausedEvent.objects.filter(event_id=event.pk).exists():
        return
    ticket_id = payload.get("ticket_id")
    ticket = Ticket.objects.filter(pk=ticket_id or 0, merged_into__isnull=True).first()
    if ticket is None:
        return
    run_rules(
        event_type,
        ticket,
        trigger_key=f"event:{event.pk}",
        message_id=payload.get("message_id"),
    )


def sweep_time_rules(*, now: datetime | None = None) -> int:
    """Apply the time-based rules to the active tickets they match ("pending for 48 hours":
    status is pending and hours in status at least 48). Keyed by the ticket's status and the
    moment it entered it, so a ticket is handled once per stay in a status. Returns how many
    applications were made."""
    now = now or timezone.now()
    count = 0
    rules = [
        rule
        for rule in Rule.objects.filter(is_active=True).order_by("order", "pk")
        if TIME_TRIGGER in rule.triggers
    ]
    for rule in rules:
        tickets = Ticket.objects.filter(status__in=ACTIVE_STATUSES, merged_into__isnull=True)
        if rule.store_id is not None:
            tickets = tickets.filter(store_id=rule.store_id)
        statuses = _required_statuses(rule)
        if statuses is not None:
            tickets = tickets.filter(status__in=statuses)
        for ticket in tickets.select_related("store").iterator():
            facts = Facts(ticket, now=now)
            if not matches(rule, facts):
                continue
            key = f"status:{ticket.status}:{facts.status_since.isoformat()}"
            if apply_rule(rule, ticket, trigger_key=key[:100]) is not None:
                count += 1
    return count


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
