"""Saving rules (admins only) and finding them for the rule pages."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from zabota.accounts.models import User
from zabota.automation.models import Rule
from zabota.automation.validation import validate_rule
from zabota.commerce.models import Store
from zabota.tickets.models import Ticket


def can_manage_rules(user: User) -> bool:
    return user.is_active and user.is_admin


def access_rule_by_id(actor: User, rule_id: int) -> Rule:
    """Raises PermissionDenied for non-admins and Rule.DoesNotExist for an unknown id."""
    if not can_manage_rules(actor):
        raise PermissionDenied("rules are for admins")
    return Rule.objects.select_related("store").get(pk=rule_id)


def rules_list(actor: User) -> QuerySet[Rule]:
    if not can_manage_rules(actor):
        raise PermissionDenied("rules are for admins")
    return Rule.objects.select_related("store").order_by("order", "pk")


def check_save_rule(
    rule: Rule,
    *,
    store: Store | None,
    name: str,
    is_active: bool,
    order: int,
    triggers: list[str],
    match: str,
    conditions: list[dict[str, Any]],
    actions: list[dict[str, Any]],
    actor: User,
) -> Rule:
    """Validate against the registries (ValidationError keyed by field) and save, storing the
    actions' cleaned parameters (a group's id for the name typed)."""
    if not can_manage_rules(actor):
        raise PermissionDenied("rules are for admins")
    rule.store = store
    rule.name = name
    rule.is_active = is_active
    rule.order = order
    rule.triggers = triggers
    rule.match = match
    rule.conditions = conditions
    rule.actions = actions
    rule.full_clean()  # Rule.clean validates against the registries
    rule.actions = validate_rule(
        store=store, triggers=triggers, conditions=conditions, actions=actions
    )
    rule.save()
    return rule


def recent_tickets(rule: Rule, limit: int = 50) -> list[Ticket]:
    """The last tickets the rule could apply to, for its test view."""
    tickets = Ticket.objects.select_related("store", "customer").order_by("-created_at", "-pk")
    if rule.store_id is not None:
        tickets = tickets.filter(store_id=rule.store_id)
    return list(tickets[:limit])
