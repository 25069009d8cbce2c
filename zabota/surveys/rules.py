"""The automation rule action "send_survey": invite the ticket's customer to a survey of the
rule's store (by id or name). The invitation obeys the contact-pressure budget like any other;
a refused one is recorded as skipped with its reason."""

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zabota.automation.actions import ActionError, RuleAction, register
from zabota.automation.engine import current_application
from zabota.commerce.models import Store
from zabota.surveys.constants import InvitationStatus, Trigger
from zabota.surveys.invitations import do_invite
from zabota.surveys.models import Survey
from zabota.tickets.models import Ticket


def _surveys(store: Store | None) -> Any:
    surveys = Survey.objects.select_related("store")
    return surveys if store is None else surveys.filter(store=store)


def _find(params: dict[str, Any], store: Store | None) -> Survey | None:
    value = str(params.get("survey") or "").strip()
    found = None
    if value.isdigit():
        found = _surveys(store).filter(pk=int(value)).first()
    if found is None and value:
        found = _surveys(store).filter(name__iexact=value).order_by("pk").first()
    return found


def _validate(params: dict[str, Any], store: Store | None) -> dict[str, Any]:
    """``survey``: a survey of the rule's store, by id or name."""
    survey = _find(params, store)
    if survey is None:
        raise ActionError(_("Choose a survey of the rule's store."))
    return {"survey": survey.pk}


def _dedupe_key(ticket: Ticket, label: str) -> str:
    """One invitation per rule application: the engine applies a rule once per (rule, ticket,
    trigger) and runs ``apply`` inside the transaction recording it."""
    application = current_application()
    if application is not None:
        return f"rule:application:{application.pk}"
    return f"rule:{label}:{ticket.pk}:{ticket.updated_at.isoformat()}"[:120]


def _apply(ticket: Ticket, params: dict[str, Any], label: str) -> str:
    survey = _surveys(ticket.store).filter(pk=params["survey"]).first()
    if survey is None or not survey.is_active:
        return ""
    invitation = do_invite(
        survey,
        customer=ticket.customer,
        trigger=Trigger.RULE,
        dedupe_key=_dedupe_key(ticket, label),
        ticket=ticket,
    )
    if invitation.status == InvitationStatus.SKIPPED:
        return f"survey {survey.name} skipped: {invitation.skip_reason}"
    return f"survey {survey.name} to {invitation.email}"


def _describe(ticket: Ticket, params: dict[str, Any]) -> str:
    survey = _surveys(ticket.store).filter(pk=params["survey"]).first()
    if survey is None or not survey.is_active:
        return _("send no survey (the survey is gone or inactive)")
    return _("send the survey “%(survey)s” to %(customer)s (if the contact budget allows)") % {
        "survey": survey.name,
        "customer": ticket.customer.name,
    }


def _options(store: Store | None) -> list[tuple[str, str]]:
    return [(survey.name, survey.name) for survey in _surveys(store).order_by("name")]


register(
    RuleAction(
        "send_survey",
        gettext_lazy("Send a survey"),
        _validate,
        _apply,
        _describe,
        param="survey",
        options=_options,
    )
)
