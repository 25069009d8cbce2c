"""The automation rule action "notify": tell the assignee, the group's members, its lead or one
agent about the ticket (in-app, and by e-mail for those who asked for it)."""

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zabota.accounts.models import User
from zabota.automation.actions import ActionError, RuleAction, register
from zabota.automation.constants import RULE_LABEL_PREFIX
from zabota.automation.engine import current_application
from zabota.commerce.models import Store
from zabota.notifications.actions import do_notify
from zabota.notifications.constants import Audience, Kind
from zabota.tickets.models import Ticket


def _validate(params: dict[str, Any], store: Store | None) -> dict[str, Any]:
    """``to``: an audience (its value or label) or an active agent's e-mail or id."""
    value = str(params.get("to") or "").strip()
    for audience, label in Audience.choices:
        if value.lower() in (audience, str(label).lower()):
            return {"to": audience}
    agents = User.objects.filter(is_active=True)
    agent = agents.filter(pk=int(value)).first() if value.isdigit() else None
    if agent is None and value:
        agent = agents.filter(email__iexact=value).first()
    if agent is None:
        raise ActionError(
            _("Notify whom? Choose the assignee, the group, its lead or an active agent.")
        )
    return {"to": agent.pk}


def recipients(ticket: Ticket, to: str | int) -> list[User]:
    """Who ``to`` means for the ticket now; only active users."""
    if to == Audience.ASSIGNEE:
        users = [ticket.assignee] if ticket.assignee else []
    elif to == Audience.GROUP:
        users = list(ticket.group.members.all()) if ticket.group else []
    elif to == Audience.LEAD:
        users = [ticket.group.lead] if ticket.group and ticket.group.lead else []
    else:
        users = list(User.objects.filter(pk=to))
    return [user for user in users if user.is_active]


def _dedupe_key(ticket: Ticket, label: str, to: str | int) -> str:
    """One notification per rule application and recipient choice: the engine applies a rule
    once per (rule, ticket, trigger) and runs ``apply`` inside the transaction recording it."""
    application = current_application()
    if application is not None:
        return f"rule:application:{application.pk}:{to}"
    return f"rule:{label}:{ticket.pk}:{ticket.updated_at.isoformat()}:{to}"[:150]


def _apply(ticket: Ticket, params: dict[str, Any], label: str) -> str:
    users = recipients(ticket, params["to"])
    if not users:
        return ""
    rule = label.removeprefix(RULE_LABEL_PREFIX)
    do_notify(
        users,
        ticket=ticket,
        kind=Kind.RULE,
        title=_("%(rule)s: #%(number)s %(subject)s")
        % {"rule": rule, "number": ticket.number, "subject": ticket.subject},
        body=_("The rule “%s” matched this ticket.") % rule,
        actor_label=label,
        dedupe_key=_dedupe_key(ticket, label, params["to"]),
    )
    return "notify " + ", ".join(sorted(user.email for user in users))


def _describe(ticket: Ticket, params: dict[str, Any]) -> str:
    users = recipients(ticket, params["to"])
    if not users:
        return _("notify nobody (no one to notify)")
    return _("notify %s") % ", ".join(sorted(str(user) for user in users))


def _options(store: Store | None) -> list[tuple[str, str]]:
    agents = User.objects.filter(is_active=True).order_by("name", "email")
    return [(value, str(label)) for value, label in Audience.choices] + [
        (agent.email, str(agent)) for agent in agents
    ]


register(
    RuleAction(
        "notify",
        gettext_lazy("Notify (in-app / e-mail)"),
        _validate,
        _apply,
        _describe,
        param="to",
        options=_options,
    )
)
