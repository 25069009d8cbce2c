"""Automation rules in the agent UI (admins): the list, the form with rows of conditions and
actions (htmx adds rows), and the "test this rule" view, which changes nothing."""

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from zabota.accounts.models import User
from zabota.automation.actions import ACTIONS
from zabota.automation.conditions import FIELDS, OPERATORS
from zabota.automation.constants import TRIGGERS, Match
from zabota.automation.engine import preview
from zabota.automation.models import Rule
from zabota.automation.rules import (
    access_rule_by_id,
    can_manage_rules,
    check_save_rule,
    recent_tickets,
    rules_list,
)
from zabota.commerce.models import Store

LIST_OPS = ("in", "not_in")


def _admin(request: HttpRequest) -> User:
    user = cast(User, request.user)
    if not can_manage_rules(user):
        raise PermissionDenied("rules are for admins")
    return user


def _rule(request: HttpRequest, rule_id: int) -> Rule:
    try:
        return access_rule_by_id(cast(User, request.user), rule_id)
    except Rule.DoesNotExist as exc:
        raise Http404("rule") from exc


def _value_lists(store: Store | None) -> list[tuple[str, list[tuple[str, str]]]]:
    """The suggestions for the value fields: per condition field with choices and per action
    with options, a datalist id and its (value, label) pairs."""
    lists = [
        (f"opts-cond-{name}", [(str(value), str(label)) for value, label in field.choices()])
        for name, field in FIELDS.items()
        if field.choices is not None
    ]
    lists += [
        (f"opts-act-{name}", action.options(store))
        for name, action in ACTIONS.items()
        if action.options is not None
    ]
    return lists


def _choices() -> dict[str, Any]:
    return {
        "fields": [(name, field.label) for name, field in FIELDS.items()],
        "operators": [(name, label) for name, (label, _test) in OPERATORS.items()],
        "action_types": [(name, action.label) for name, action in ACTIONS.items()],
        "triggers": list(TRIGGERS.items()),
        "matches": Match.choices,
        "stores": Store.objects.order_by("name"),
    }


def _rows(rule: Rule) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """The rule's conditions and actions as the form's rows (values as typed)."""
    conditions = []
    for raw in rule.conditions:
        value = raw.get("value")
        text = ", ".join(str(item) for item in value) if isinstance(value, list) else value
        conditions.append(
            {"field": raw.get("field", ""), "op": raw.get("op", ""), "value": str(text or "")}
        )
    actions = []
    for raw in rule.actions:
        action = ACTIONS.get(raw.get("type", ""))
        param = action.param if action else ""
        value = (raw.get("params") or {}).get(param, "")
        actions.append({"type": raw.get("type", ""), "value": str(value)})
    return conditions, actions


def _posted(request: HttpRequest) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    post = request.POST
    conditions: list[dict[str, Any]] = []
    for field, op, value in zip(
        post.getlist("cond_field"),
        post.getlist("cond_op"),
        post.getlist("cond_value"),
        strict=False,
    ):
        if not field:
            continue
        parsed: Any = value
        if op in LIST_OPS:
            parsed = [item.strip() for item in value.split(",") if item.strip()]
        conditions.append({"field": field, "op": op, "value": parsed})
    actions: list[dict[str, Any]] = []
    for kind, value in zip(post.getlist("act_type"), post.getlist("act_value"), strict=False):
        if not kind:
            continue
        action = ACTIONS.get(kind)
        actions.append({"type": kind, "params": {action.param if action else "value": value}})
    return conditions, actions


@login_required
@require_GET
def rules(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "web/automation/rules.html",
        {"rules": rules_list(cast(User, request.user)), "section": "automation"},
    )


@login_required
@require_http_methods(["GET", "POST"])
def rule_form(request: HttpRequest, rule_id: int | None = None) -> HttpResponse:
    """GET shows the form; POST validates against the registries and saves, or shows the form
    again with the errors next to their rows."""
    user = _admin(request)
    rule = _rule(request, rule_id) if rule_id is not None else Rule()
    errors: dict[str, list[str]] = {}
    conditions, actions = _rows(rule)
    if request.method == "POST":
        posted_conditions, posted_actions = _posted(request)
        store_id = request.POST.get("store") or ""
        store = Store.objects.filter(pk=int(store_id)).first() if store_id.isdigit() else None
        try:
            order = int(request.POST.get("order") or 0)
        except ValueError:
            order = 0
        try:
            rule = check_save_rule(
                rule,
                store=store,
                name=request.POST.get("name", "").strip(),
                is_active=request.POST.get("is_active") == "on",
                order=max(order, 0),
                triggers=request.POST.getlist("triggers"),
                match=request.POST.get("match", Match.ALL),
                conditions=posted_conditions,
                actions=posted_actions,
                actor=user,
            )
        except ValidationError as exc:
            errors = exc.message_dict
            rule.conditions, rule.actions = posted_conditions, posted_actions
            conditions, actions = _rows(rule)
        else:
            messages.success(request, _("Rule “%s” saved.") % rule.name)
            return redirect("web:automation_rules")
    context = {
        "rule": rule,
        "condition_rows": conditions or [{"field": "", "op": "", "value": ""}],
        "action_rows": actions or [{"type": "", "value": ""}],
        "errors": errors,
        "section": "automation",
        "value_lists": _value_lists(rule.store),
        **_choices(),
    }
    return render(request, "web/automation/rule_form.html", context, status=400 if errors else 200)


@login_required
@require_GET
def rule_row(request: HttpRequest, kind: str) -> HttpResponse:
    """One empty condition or action row, for the form's "add" buttons (htmx)."""
    _admin(request)
    template = {"condition": "_condition_row.html", "action": "_action_row.html"}.get(kind)
    if template is None:
        raise Http404("row kind")
    row = {"field": "", "op": "", "value": "", "type": ""}
    return render(request, f"web/automation/{template}", {"row": row, **_choices()})


@login_required
@require_GET
def rule_test(request: HttpRequest, rule_id: int) -> HttpResponse:
    """Which of the last 50 tickets the rule matches now and what it would do; changes nothing."""
    rule = _rule(request, rule_id)
    return render(
        request,
        "web/automation/rule_test.html",
        {"rule": rule, "matches": preview(rule, recent_tickets(rule)), "section": "automation"},
    )
