"""A bad answer is never just a number: an NPS detractor (0–6, when the store follows them up)
or a rating at or below ``SurveySettings.follow_up_at_most`` (on 1–5) opens ONE follow-up
ticket for the lead of the agent's group, to work it through with the agent individually.

The follow-up is a ticket of the store for the respondent: its first message holds the
customer's answers (their own words, as a web-form message: no acknowledgement goes out), and an
internal note holds the scores, the agent and a link to the original conversation. Nothing is
sent to the customer. An anonymous response (or a paper card without a customer) has no customer
to open a ticket for — a ticket needs one — so it opens no follow-up; it is still in the reports
and in the responses list with its score filter "detractors" / "low ratings".

Idempotent: the response row is locked and ``Response.follow_up`` set in the same transaction,
so the event delivered twice opens one ticket."""

import logging
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from zabota.accounts.models import Group, User
from zabota.core import event_types
from zabota.core.events import batch_listener
from zabota.surveys.metrics import DETRACTOR_AT_MOST
from zabota.surveys.models import Response, SurveySettings
from zabota.surveys.reports import format_answer, question_text
from zabota.tickets.actions import do_add_note, do_create_ticket
from zabota.tickets.constants import Channel, Priority
from zabota.tickets.models import Ticket

logger = logging.getLogger(__name__)

# Who the follow-up's note is signed by on the timeline.
NOTE_AUTHOR = "survey follow-up"
DEFAULTS = SurveySettings()


def needs_follow_up(
    survey_settings: SurveySettings, *, nps: int | None, lowest: int | None
) -> bool:
    """Whether an answer with these scores (``lowest``: the lowest rating on 1–5) is bad
    enough to follow up under the store's settings."""
    if survey_settings.follow_up_detractors and nps is not None and nps <= DETRACTOR_AT_MOST:
        return True
    return lowest is not None and lowest <= survey_settings.follow_up_at_most


def lead_and_group(response: Response) -> tuple[User | None, Group | None]:
    """The lead of the agent's group (the response's group, else a group of the store the agent
    is in), else the lead of the store's default group; the group the ticket goes to."""
    store = response.store
    group = response.group
    if group is None and response.agent_id is not None:
        group = (
            Group.objects.filter(store=store, members=response.agent_id).order_by("pk").first()
            or Group.objects.filter(store=store, lead=response.agent_id).order_by("pk").first()
        )
    if group is not None and group.lead_id is not None:
        return group.lead, group
    default = store.default_group
    if default is not None and default.lead_id is not None:
        return default.lead, default
    return None, group or default


def _score_label(response: Response, lowest: int | None) -> str:
    if response.nps is not None and response.nps <= DETRACTOR_AT_MOST:
        return _("NPS %(score)s") % {"score": response.nps}
    if lowest is not None:
        return _("%(score)s of 5") % {"score": lowest}
    return _("a low score")


def _ticket_url(ticket: Ticket) -> str:
    return settings.ZABOTA_PUBLIC_URL + reverse("web:ticket", kwargs={"ticket_id": ticket.pk})


def do_open_follow_up(response_id: int, *, lowest: int | None) -> Ticket | None:
    """Open the response's follow-up if it needs one and has none yet; the ticket, or None.
    Call inside a transaction (the listener's): the response row stays locked until commit."""
    response = (
        Response.objects.select_for_update(of=("self",))
        .select_related("store", "store__default_group", "survey", "customer", "group", "agent")
        .filter(pk=response_id)
        .first()
    )
    if response is None or response.submitted_at is None or response.follow_up_id is not None:
        return None
    survey_settings = SurveySettings.objects.filter(store_id=response.store_id).first() or DEFAULTS
    if not needs_follow_up(survey_settings, nps=response.nps, lowest=lowest):
        return None
    if response.customer is None:
        logger.info("Response %s needs a follow-up but has no customer (anonymous)", response.pk)
        return None
    lead, group = lead_and_group(response)
    customer = response.customer
    answers = list(response.answers.select_related("question").order_by("question__position"))
    for answer in answers:
        answer.response = response
    with translation.override(response.store.default_language):
        subject = _("Follow-up: %(score)s from %(customer)s") % {
            "score": _score_label(response, lowest),
            "customer": customer.name,
        }
        lines = [
            f"{question_text(a, response.language)}\n{format_answer(a, response.language)}"
            for a in answers
        ]
        body = "\n\n".join(lines) or _("(no answers)")
        note = [
            _("Survey “%(survey)s” answered on %(date)s: %(score)s.")
            % {
                "survey": response.survey.name,
                "date": response.submitted_at.date().isoformat(),
                "score": _score_label(response, lowest),
            },
        ]
        if response.agent is not None:
            note.append(_("Agent: %(agent)s") % {"agent": response.agent.name})
        if response.ticket_id is not None:
            original = Ticket.objects.get(pk=response.ticket_id)
            note.append(
                _("Original conversation: #%(number)s %(subject)s — %(url)s")
                % {
                    "number": original.number,
                    "subject": original.subject,
                    "url": _ticket_url(original),
                }
            )
        note.append(
            _(
                "Please work this through with the agent individually, never publicly. "
                "The customer's answers:"
            )
        )
        note.append(body)
    ticket = do_create_ticket(
        store=response.store,
        customer=customer,
        subject=subject,
        body_text=body,
        # A web-form message: the channel that sends no acknowledgement by e-mail.
        channel=Channel.WEB,
        priority=Priority.HIGH,
        language=response.language,
        group=group,
        assignee=lead,
        channel_meta={"survey_response_id": response.pk, "auto": True},
        actor=None,
    )
    do_add_note(ticket, body_text="\n\n".join(note), actor=None, actor_label=NOTE_AUTHOR)
    Response.objects.filter(pk=response.pk).update(follow_up=ticket)
    return ticket


@batch_listener(event_types.SURVEY_ANSWERED)
def follow_up_bad_answers(event_type: str, payloads: Sequence[dict[str, Any]]) -> None:
    """Called with the events of a dispatch (a batch of public submissions is hundreds): the
    stores' settings and the responses that could need a follow-up are read with a query each
    and only the bad answers, few, go through ``do_open_follow_up`` one by one."""
    stores = {payload["store_id"] for payload in payloads}
    by_store = {s.store_id: s for s in SurveySettings.objects.filter(store_id__in=stores)}
    bad = {
        payload["response_id"]: payload.get("lowest")
        for payload in payloads
        if needs_follow_up(
            by_store.get(payload["store_id"], DEFAULTS),
            nps=(payload.get("scores") or {}).get("nps"),
            lowest=payload.get("lowest"),
        )
    }
    if not bad:
        return
    # Without a customer (anonymous, public link) there is nobody to open a ticket for.
    candidates = Response.objects.filter(
        pk__in=bad, customer__isnull=False, follow_up__isnull=True
    ).values_list("pk", flat=True)
    for response_id in sorted(candidates):
        do_open_follow_up(response_id, lowest=bad[response_id])
