"""The rule action "call webhook": a rule sends the ticket to one subscription's URL, signed and
retried like any delivery. The rule chose the subscription, so its event-type filter does not
apply; its store must be the rule's (or it takes every store's events)."""

import logging
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from zabota.automation.actions import ActionError, RuleAction, register
from zabota.automation.constants import RULE_LABEL_PREFIX
from zabota.commerce.models import Store
from zabota.tickets.models import Ticket
from zabota.webhooks.actions import do_create_rule_delivery
from zabota.webhooks.models import Subscription

logger = logging.getLogger(__name__)


def usable_subscriptions(store: Store | None) -> QuerySet[Subscription]:
    """Active subscriptions a rule of ``store`` may call: those of every store and, for a rule
    of one store, that store's (a rule of every store could send another store's tickets to a
    store's receiver otherwise)."""
    active = Subscription.objects.filter(is_active=True)
    if store is None:
        return active.filter(store__isnull=True)
    return active.filter(Q(store=store) | Q(store__isnull=True))


def _validate(params: dict[str, Any], store: Store | None) -> dict[str, Any]:
    value = str(params.get("subscription") or "").strip()
    subscriptions = usable_subscriptions(store)
    found = None
    if value.isdigit():
        found = subscriptions.filter(pk=int(value)).first()
    if found is None and value:
        found = subscriptions.filter(name__iexact=value).order_by("pk").first()
    if found is None:
        raise ActionError(_("Choose an active webhook subscription of the rule's store."))
    return {"subscription": found.pk}


def _apply(ticket: Ticket, params: dict[str, Any], label: str) -> str:
    subscription = (
        Subscription.objects.filter(pk=params["subscription"], is_active=True)
        .filter(Q(store__isnull=True) | Q(store_id=ticket.store_id))
        .first()
    )
    if subscription is None:
        # Deactivated or moved to another store since the rule was saved.
        logger.warning(
            "Rule webhook: subscription %s is not usable for ticket %s",
            params["subscription"],
            ticket.pk,
        )
        return ""
    rule_name = label.removeprefix(RULE_LABEL_PREFIX)
    delivery = do_create_rule_delivery(subscription, ticket, rule_name=rule_name)
    return f"webhook {subscription.name} (delivery {delivery.pk})"


def _describe(ticket: Ticket, params: dict[str, Any]) -> str:
    name = (
        Subscription.objects.filter(pk=params["subscription"])
        .values_list("name", flat=True)
        .first()
    )
    return str(_("call webhook %s")) % name


def _options(store: Store | None) -> list[tuple[str, str]]:
    return [
        (str(s.pk), s.name)
        for s in usable_subscriptions(store).only("pk", "name").order_by("name", "pk")
    ]


register(
    RuleAction(
        "call_webhook",
        _("Call webhook"),
        _validate,
        _apply,
        _describe,
        param="subscription",
        options=_options,
    )
)
