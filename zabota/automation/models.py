from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from zabota.automation.constants import RULE_LABEL_PREFIX, Match
from zabota.core.models import TimestampedModel


def forget_active_rules() -> None:
    """Make the engine load the rules again (it checks their version for other processes)."""
    from zabota.automation import engine

    engine._active = None


class Rule(TimestampedModel):
    """A rule as data: when one of ``triggers`` happens to a ticket of ``store`` (any store if
    empty) and its conditions match, its actions are applied. Conditions and actions are
    validated against the registries in ``automation.conditions`` and ``automation.actions``."""

    store = models.ForeignKey(
        "commerce.Store",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: applies in every store."),
    )
    name = models.CharField(_("name"), max_length=120)
    is_active = models.BooleanField(_("active"), default=True)
    order = models.PositiveIntegerField(_("order"), default=0)
    # Event types (core.event_types) and/or "time" (constants.TIME_TRIGGER).
    triggers = models.JSONField(_("triggers"), default=list)
    match = models.CharField(_("match"), max_length=3, choices=Match.choices, default=Match.ALL)
    # [{"field": "customer.segment", "op": "is", "value": "vip"}, …]
    conditions = models.JSONField(_("conditions"), default=list, blank=True)
    # [{"type": "add_tag", "params": {"tag": "VIP"}}, …]
    actions = models.JSONField(_("actions"), default=list)

    class Meta:
        verbose_name = _("rule")
        verbose_name_plural = _("rules")
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from zabota.automation.validation import validate_rule

        validate_rule(
            store=self.store,
            triggers=self.triggers,
            conditions=self.conditions,
            actions=self.actions,
        )

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        forget_active_rules()

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        forget_active_rules()
        return super().delete(*args, **kwargs)

    @property
    def actor_label(self) -> str:
        return f"{RULE_LABEL_PREFIX}{self.name}"[:150]


class RuleApplication(models.Model):
    """A rule applied to a ticket for one trigger: an outbox event ("event:<id>") or, for
    time-based rules, the ticket's stay in a status ("status:<status>:<since>"). Unique, so a
    redelivered event or a second sweep applies nothing twice."""

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="applications")
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    trigger_key = models.CharField(max_length=100)
    # Summaries of the actions applied, in order.
    actions_applied = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "ticket", "trigger_key"], name="rule_application_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.rule_id} on {self.ticket_id} ({self.trigger_key})"


class RuleCausedEvent(models.Model):
    """An outbox event published by a rule's actions: the engine does not evaluate rules on it,
    so a rule's own changes never trigger rules (no loops)."""

    event_id = models.BigIntegerField(unique=True)
    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="+")

    def __str__(self) -> str:
        return f"event {self.event_id} by rule {self.rule_id}"
