"""The registry of rule actions: each validates its parameters against the rule's store when
the rule is saved and applies itself through the ticket actions, labelled with the rule."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from zabota.accounts.models import Group, User
from zabota.commerce.models import Store
from zabota.core.events import collect_published
from zabota.tickets import actions as ticket_actions
from zabota.tickets.constants import Priority, Status
from zabota.tickets.macros import render_macro
from zabota.tickets.models import Macro, Tag, Ticket


class ActionError(ValueError):
    """An action of an unknown type or with parameters it cannot use."""


@dataclass(frozen=True)
class RuleAction:
    type: str
    label: Any
    # (params, store or None) → cleaned params; raises ActionError.
    validate: Callable[[dict[str, Any], Store | None], dict[str, Any]]
    # (ticket, cleaned params, actor label) → a summary of what was done, "" if nothing.
    apply: Callable[[Ticket, dict[str, Any], str], str]
    # (ticket, cleaned params) → what ``apply`` would do, for the rule's test view.
    describe: Callable[[Ticket, dict[str, Any]], str]
    # The one parameter the rule form edits.
    param: str = ""
    # (store or None) → [(value, label)] offered as suggestions for that parameter in the form.
    options: Callable[[Store | None], list[tuple[str, str]]] | None = None


ACTIONS: dict[str, RuleAction] = {}


def register(action: RuleAction) -> RuleAction:
    ACTIONS[action.type] = action
    return action


def _text(params: dict[str, Any], key: str, label: Any) -> str:
    value = params.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ActionError(_("%s is required.") % label)
    return value.strip()


def _choice(params: dict[str, Any], key: str, choices: list[tuple[Any, Any]], label: Any) -> Any:
    """A value of ``choices``, given as the value or, as typed in the rule form, its label."""
    allowed = {str(value): value for value, _label in choices}
    allowed.update({str(name).lower(): value for value, name in choices})
    value = str(params.get(key)).strip()
    found = allowed.get(value, allowed.get(value.lower()))
    if found is None:
        raise ActionError(
            _("“%(value)s” is not a valid %(what)s.") % {"value": value, "what": label}
        )
    return found


def _pk_or_name(
    queryset: Any, params: dict[str, Any], key: str, name_field: str, label: Any
) -> Any:
    """The object named by id or, as typed in the rule form, by name; raises ActionError."""
    value = str(params.get(key) or "").strip()
    found = None
    if value.isdigit():
        found = queryset.filter(pk=int(value)).first()
    if found is None and value:
        found = queryset.filter(**{f"{name_field}__iexact": value}).first()
    if found is None:
        raise ActionError(_("Choose a %s of the rule's store.") % label)
    return found


# Suggestions for the rule form's value field.


def _tag_options(store: Store | None) -> list[tuple[str, str]]:
    tags = Tag.objects.all() if store is None else Tag.objects.filter(store=store)
    names = tags.order_by("name").values_list("name", flat=True).distinct()[:200]
    return [(name, name) for name in names]


def _group_options(store: Store | None) -> list[tuple[str, str]]:
    groups = Group.objects.all() if store is None else Group.objects.filter(store=store)
    return [(group.name, group.name) for group in groups.order_by("name")]


def _agent_options(store: Store | None) -> list[tuple[str, str]]:
    agents = User.objects.filter(is_active=True).order_by("name", "email")
    return [(agent.email, agent.name or agent.email) for agent in agents]


def _macro_options(store: Store | None) -> list[tuple[str, str]]:
    macros = Macro.objects.filter(is_active=True)
    if store is not None:
        macros = macros.filter(Q(store=store) | Q(store__isnull=True))
    return [(macro.name, macro.name) for macro in macros.order_by("name")]


# Tags


def _validate_tag(params: dict[str, Any], store: Store | None) -> dict[str, Any]:
    return {"tag": _text(params, "tag", _("Tag"))[:64]}


def _apply_tag(ticket: Ticket, params: dict[str, Any], label: str) -> str:
    tag = ticket_actions.get_or_create_tag(ticket.store, params["tag"])
    # The change publishes its event only if the tag was not there yet (read under the lock).
    with collect_published() as published:
        ticket_actions.do_change_tags(ticket, add=[tag], actor=None, actor_label=label)
    return f"tag {tag.name}" if published else ""


register(
    RuleAction(
        "add_tag",
        _("Add tag"),
        _validate_tag,
        _apply_tag,
        lambda ticket, params: str(_("add tag %s")) % params["tag"],
        param="tag",
        options=_tag_options,
    )
)


# Priority


def _validate_priority(params: dict[str, Any], store: Store | None) -> dict[str, Any]:
    return {"priority": _choice(params, "priority", list(Priority.choices), _("priority"))}


def _apply_priority(ticket: Ticket, params: dict[str, Any], label: str) -> str:
    if ticket.priority == params["priority"]:
        return ""
    ticket_actions.do_change_priority(
        ticket, priority=params["priority"], actor=None, actor_label=label
    )
    return f"priority {Priority(params['priority']).label}"


register(
    RuleAction(
        "set_priority",
        _("Set priority"),
        _validate_priority,
        _apply_priority,
        lambda ticket, params: str(_("set priority %s")) % Priority(params["priority"]).label,
        param="priority",
        options=lambda store: [(str(value), str(label)) for value, label in Priority.choices],
    )
)


# Group and agent


def _validate_group(params: dict[str, Any], store: Store | None) -> dict[str, Any]:
    groups = Group.objects.all() if store is None else Group.objects.filter(store=store)
    return {"group": _pk_or_name(groups, params, "group", "name", _("group")).pk}


def _apply_group(ticket: Ticket, params: dict[str, Any], label: str) -> str:
    group = Group.objects.filter(pk=params["group"], store=ticket.store).first()
    if group is None or ticket.group_id == group.pk:
        return ""
    # A new group keeps the assignee only if they are in it.
    assignee = (
        ticket.assignee
        if ticket.assignee and group.members.filter(pk=ticket.assignee.pk).exists()
        else None
    )
    ticket_actions.do_assign(ticket, assignee=assignee, group=group, actor=None, actor_label=label)
    return f"group {group.name}"


register(
    RuleAction(
        "assign_group",
        _("Assign to group"),
        _validate_group,
        _apply_group,
        lambda ticket, params: (
            str(_("assign to group %s"))
            % Group.objects.filter(pk=params["group"]).values_list("name", flat=True).first()
        ),
        param="group",
        options=_group_options,
    )
)


def _validate_agent(params: dict[str, Any], store: Store | None) -> dict[str, Any]:
    agents = User.objects.filter(is_active=True)
    return {"agent": _pk_or_name(agents, params, "agent", "email", _("active agent")).pk}


def _apply_agent(ticket: Ticket, params: dict[str, Any], label: str) -> str:
    agent = User.objects.filter(pk=params["agent"], is_active=True).first()
    if agent is None or ticket.assignee_id == agent.pk:
        return ""
    group = ticket.group
    if (
        group is not None
        and not group.members.filter(pk=agent.pk).exists()
        and group.lead_id != agent.pk
    ):
        group = None
    ticket_actions.do_assign(ticket, assignee=agent, group=group, actor=None, actor_label=label)
    return f"agent {agent}"


register(
    RuleAction(
        "assign_agent",
        _("Assign to agent"),
        _validate_agent,
        _apply_agent,
        lambda ticket, params: (
            str(_("assign to %s")) % User.objects.filter(pk=params["agent"]).first()
        ),
        param="agent",
        options=_agent_options,
    )
)


# Status


def _validate_status(params: dict[str, Any], store: Store | None) -> dict[str, Any]:
    return {"status": _choice(params, "status", list(Status.choices), _("status"))}


def _apply_status(ticket: Ticket, params: dict[str, Any], label: str) -> str:
    if ticket.status == params["status"]:
        return ""
    ticket_actions.do_change_status(ticket, status=params["status"], actor=None, actor_label=label)
    return f"status {params['status']}"


register(
    RuleAction(
        "set_status",
        _("Set status"),
        _validate_status,
        _apply_status,
        lambda ticket, params: str(_("set status %s")) % Status(params["status"]).label,
        param="status",
        options=lambda store: [(str(value), str(label)) for value, label in Status.choices],
    )
)


# Internal note


def _validate_note(params: dict[str, Any], store: Store | None) -> dict[str, Any]:
    return {"text": _text(params, "text", _("Note"))}


def _apply_note(ticket: Ticket, params: dict[str, Any], label: str) -> str:
    ticket_actions.do_add_note(ticket, body_text=params["text"], actor=None, actor_label=label)
    return "note"


register(
    RuleAction(
        "add_note",
        _("Add internal note"),
        _validate_note,
        _apply_note,
        lambda ticket, params: str(_("add an internal note")),
        param="text",
    )
)


# Reply with a macro


def _validate_macro(params: dict[str, Any], store: Store | None) -> dict[str, Any]:
    macros = Macro.objects.filter(is_active=True)
    if store is not None:
        macros = macros.filter(Q(store=store) | Q(store__isnull=True))
    return {"macro": _pk_or_name(macros, params, "macro", "name", _("active macro")).pk}


def _apply_macro(ticket: Ticket, params: dict[str, Any], label: str) -> str:
    """Replies as the ticket's assignee: a reply needs an author the customer can answer to,
    so a ticket nobody is assigned to gets no reply."""
    macro = Macro.objects.filter(pk=params["macro"], is_active=True).first()
    if macro is None or ticket.assignee is None:
        return ""
    body = render_macro(macro, ticket, ticket.assignee)
    ticket_actions.do_add_reply(
        ticket,
        body_text=body,
        then_status=macro.set_status or Status.PENDING,
        macro_id=macro.pk,
        actor=ticket.assignee,
    )
    return f"macro {macro.name}"


register(
    RuleAction(
        "reply_macro",
        _("Reply with a macro (as the assignee)"),
        _validate_macro,
        _apply_macro,
        lambda ticket, params: (
            str(_("reply with macro %s"))
            % Macro.objects.filter(pk=params["macro"]).values_list("name", flat=True).first()
        ),
        param="macro",
        options=_macro_options,
    )
)


def parse_action(raw: Any, store: Store | None) -> tuple[RuleAction, dict[str, Any]]:
    """A stored ``{type, params}`` as its registry entry and cleaned params; raises ActionError."""
    if not isinstance(raw, dict):
        raise ActionError(_("An action needs a type and parameters."))
    action = ACTIONS.get(raw.get("type", ""))
    if action is None:
        raise ActionError(_("Unknown action “%s”.") % raw.get("type", ""))
    params = raw.get("params") or {}
    if not isinstance(params, dict):
        raise ActionError(_("The parameters of an action are a mapping."))
    return action, action.validate(params, store)
