"""Signed "Yes, it is solved" / "No, I still have a problem" links for a proposed solution.

A token names the ticket and the proposal it answers: the moment the ticket went to
awaiting_confirmation (``Ticket.awaiting_since``, in microseconds). It is signed with
``django.core.signing`` under its own salt, so it is worth nothing for any other purpose, and
carries its signing time, so it expires after ``LINK_LIFETIME``. One token serves both answers.

Single use needs no table of used tokens: an answer ends the proposal (the ticket leaves
awaiting_confirmation, under the ticket's row lock), so the same token — or one of an older
proposal, after the customer replied and the agent proposed again — no longer matches. The
timeline row of the answer records the proposal it answered (``data.proposed_at``), which tells
"this link was already used" apart from "the request moved on without it".
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from django.conf import settings
from django.core import signing
from django.urls import reverse

from zabota.core.languages import first_supported
from zabota.tickets import actions
from zabota.tickets.constants import EventKind, Status
from zabota.tickets.models import Ticket, TicketEvent

SALT = "zabota.tickets.confirmation"
# Longer than any sensible confirmation timeout: past the timeout the ticket is solved anyway,
# and the page then says so instead of "expired".
LINK_LIFETIME = timedelta(days=30)
# The ``via`` of answers given by link (timeline rows, status events).
VIA_LINK = "customer_link"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Answer(StrEnum):
    YES = "yes"
    NO = "no"


class Outcome(StrEnum):
    # The ticket awaits this proposal's answer: the link works.
    VALID = "valid"
    # Not a token we signed (or mangled on the way).
    FORGED = "forged"
    # Signed by us, but older than LINK_LIFETIME.
    EXPIRED = "expired"
    # This proposal was already answered through a link.
    USED = "used"
    # The ticket moved on otherwise (a reply, the timeout, an agent) or no longer exists.
    NOT_AWAITING = "not_awaiting"


@dataclass(frozen=True)
class Checked:
    outcome: Outcome
    ticket: Ticket | None = None
    proposed_at: datetime | None = None
    # For USED: the answer given then.
    answered: Answer | None = None


def _round(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(microseconds=1)


def make_token(ticket: Ticket) -> str:
    """A token for the ticket's current proposal. Precondition: it awaits confirmation."""
    if ticket.status != Status.AWAITING_CONFIRMATION or ticket.awaiting_since is None:
        raise ValueError("Only a ticket awaiting confirmation has confirmation links.")
    return signing.dumps({"t": ticket.pk, "r": _round(ticket.awaiting_since)}, salt=SALT)


def links(ticket: Ticket) -> dict[str, str]:
    """Absolute "yes" and "no" URLs for the ticket's current proposal."""
    token = make_token(ticket)
    base = settings.ZABOTA_PUBLIC_URL
    return {
        answer.value: base + reverse(f"web:confirm_{answer.value}", kwargs={"token": token})
        for answer in Answer
    }


def check_token(token: str, *, max_age: timedelta = LINK_LIFETIME) -> Checked:
    """What a token is worth now; nothing is changed."""
    try:
        payload = signing.loads(token, salt=SALT, max_age=max_age)
    except signing.SignatureExpired:
        return Checked(Outcome.EXPIRED)
    except signing.BadSignature:
        return Checked(Outcome.FORGED)
    try:
        ticket_id, round_ = int(payload["t"]), int(payload["r"])
    except (KeyError, TypeError, ValueError):
        return Checked(Outcome.FORGED)
    proposed_at = _EPOCH + timedelta(microseconds=round_)
    ticket = Ticket.objects.select_related("store", "customer").filter(pk=ticket_id).first()
    if ticket is None:
        return Checked(Outcome.NOT_AWAITING)
    if ticket.status == Status.AWAITING_CONFIRMATION and ticket.awaiting_since == proposed_at:
        return Checked(Outcome.VALID, ticket, proposed_at)
    answered = _answer_given(ticket, proposed_at)
    if answered is not None:
        return Checked(Outcome.USED, ticket, proposed_at, answered)
    return Checked(Outcome.NOT_AWAITING, ticket, proposed_at)


def _answer_given(ticket: Ticket, proposed_at: datetime) -> Answer | None:
    stamp = proposed_at.isoformat()
    rows = TicketEvent.objects.filter(ticket=ticket, kind=EventKind.STATUS, data__reason=VIA_LINK)
    for data in rows.values_list("data", flat=True):
        if data.get("proposed_at") == stamp:
            return Answer.YES if data.get("new") == Status.SOLVED else Answer.NO
    return None


def do_answer(token: str, answer: Answer) -> Checked:
    """Apply the customer's answer if the token is still valid; the returned outcome is VALID
    when this call answered, else why it did not (a concurrent answer shows as USED)."""
    checked = check_token(token)
    if checked.outcome != Outcome.VALID or checked.ticket is None:
        return checked
    if answer == Answer.YES:
        ticket = actions.do_confirm_solution(
            checked.ticket, actor=None, via=VIA_LINK, proposed_at=checked.proposed_at
        )
        done = ticket.status == Status.SOLVED
    else:
        ticket = actions.do_reject_solution(
            checked.ticket, via=VIA_LINK, proposed_at=checked.proposed_at
        )
        done = ticket.status == Status.OPEN
    if done and ticket.awaiting_since in (None, checked.proposed_at):
        return Checked(Outcome.VALID, ticket, checked.proposed_at, answer)
    return check_token(token)


def page_language(ticket: Ticket | None) -> str:
    """The customer's language if the UI has it, else the ticket's, else the store's."""
    if ticket is None:
        return settings.LANGUAGE_CODE
    return first_supported(ticket.customer.language, ticket.language, ticket.store.default_language)
