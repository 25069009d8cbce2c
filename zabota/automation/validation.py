"""Validation of a rule against the registries, run whenever a rule is saved."""

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from zabota.automation.actions import ActionError, parse_action
from zabota.automation.conditions import ConditionError, parse_condition
from zabota.automation.constants import TRIGGERS
from zabota.commerce.models import Store


def validate_rule(
    *, store: Store | None, triggers: Any, conditions: Any, actions: Any
) -> list[dict[str, Any]]:
    """The actions with their parameters cleaned (ids for names typed in the form). Raises
    ValidationError with one message per bad trigger, condition (by row) and action
    (by row), keyed "triggers", "conditions" and "actions"."""
    errors: dict[str, list[str]] = {}
    if not isinstance(triggers, list) or not triggers:
        errors.setdefault("triggers", []).append(_("Choose at least one trigger."))
    else:
        for trigger in triggers:
            if trigger not in TRIGGERS:
                errors.setdefault("triggers", []).append(_("Unknown trigger “%s”.") % trigger)
    if not isinstance(conditions, list):
        errors["conditions"] = [_("Conditions are a list.")]
    else:
        for row, raw in enumerate(conditions, start=1):
            try:
                parse_condition(raw)
            except ConditionError as exc:
                errors.setdefault("conditions", []).append(
                    _("Condition %(row)s: %(error)s") % {"row": row, "error": exc}
                )
    cleaned: list[dict[str, Any]] = []
    if not isinstance(actions, list) or not actions:
        errors["actions"] = [_("Add at least one action.")]
    else:
        for row, raw in enumerate(actions, start=1):
            try:
                action, params = parse_action(raw, store)
                cleaned.append({"type": action.type, "params": params})
            except ActionError as exc:
                errors.setdefault("actions", []).append(
                    _("Action %(row)s: %(error)s") % {"row": row, "error": exc}
                )
    if errors:
        raise ValidationError(errors)
    return cleaned
