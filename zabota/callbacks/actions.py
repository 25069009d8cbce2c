"""State changes of callback requests. ``do_*`` trusts its arguments; ``check_*`` validates.

The ticket does the talking: every request opens a ticket with channel ``callback`` (so routing,
rules and the SLA clock apply as to any other), and every call an agent records adds an internal
note and moves the ticket's status in the same transaction as the request's own row.
"""

import contextlib
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from zabota.accounts.models import User
from zabota.callbacks.constants import (
    CALLABLE_STATES,
    DEFAULT_CALL_WITHIN,
    MAX_FAILED_ATTEMPTS,
    RETRY_DELAYS,
    TOPIC_MAX_LENGTH,
    CallbackState,
    CallOutcome,
)
from zabota.callbacks.errors import CallbackError
from zabota.callbacks.models import CallAttempt, CallbackRequest
from zabota.callbacks.phone import normalize_callback_phone, phone_region
from zabota.commerce.models import Store
from zabota.customers.actions import do_add_identity, get_or_create_customer_by_identity
from zabota.customers.constants import IdentityKind
from zabota.customers.models import Customer, Identity
from zabota.customers.normalize import InvalidIdentity, normalize_email
from zabota.sla.actions import do_record_reply, matching_policy
from zabota.sla.calendar import (
    CalendarSnapshot,
    add_business_time,
    always_open_calendar,
    next_opening,
)
from zabota.sla.queries import calendar_snapshot, store_calendar_snapshot
from zabota.tickets.actions import do_add_note, do_change_status, do_create_ticket
from zabota.tickets.constants import Channel, Status
from zabota.tickets.models import Ticket

if TYPE_CHECKING:
    from zabota.chat.models import Visitor

# A window further ahead than this is a typo (or a prank), not a plan.
MAX_WINDOW_AHEAD = timedelta(days=60)
NOTE_MAX_LENGTH = 2000


# --- requesting a call -------------------------------------------------------------------------


def _clean_email(email: str) -> str:
    if not email.strip():
        return ""
    try:
        return normalize_email(email)
    except InvalidIdentity as exc:
        raise CallbackError({"email": _("Enter a valid e-mail address.")}) from exc


def _check_window(start: datetime | None, end: datetime | None, now: datetime) -> None:
    errors: dict[str, str] = {}
    for field, moment in (("window_start", start), ("window_end", end)):
        if moment is not None and (moment.tzinfo is None or moment.utcoffset() is None):
            errors[field] = _("Give the time with its time zone.")
    if errors:
        raise CallbackError(errors)
    if end is not None and end <= now:
        errors["window_end"] = _("The end of the window has already passed.")
    elif start is not None and end is not None and end <= start:
        errors["window_end"] = _("The window must end after it starts.")
    if start is not None and start > now + MAX_WINDOW_AHEAD:
        errors["window_start"] = _("Choose a time within the next %(days)d days.") % {
            "days": MAX_WINDOW_AHEAD.days
        }
    if errors:
        raise CallbackError(errors)


def _customer_for(*, phone: str, email: str, name: str, language: str) -> Customer:
    """The customer with this phone number; else the one with this e-mail address (who gets the
    number); else a new customer. A free e-mail address is added to the customer found."""
    known_phone = Identity.objects.filter(kind=IdentityKind.PHONE, value=phone).exists()
    if not known_phone and email:
        customer, _created = get_or_create_customer_by_identity(
            IdentityKind.EMAIL, email, display_name=name, language=language, actor=None
        )
        _add_identity_if_free(customer, IdentityKind.PHONE, phone)
        return customer
    customer, _created = get_or_create_customer_by_identity(
        IdentityKind.PHONE, phone, display_name=name, language=language, actor=None
    )
    if email:
        _add_identity_if_free(customer, IdentityKind.EMAIL, email)
    return customer


def _add_identity_if_free(customer: Customer, kind: str, value: str) -> None:
    if Identity.objects.filter(kind=kind, value=value).exists():
        return
    # Taken meanwhile: do_add_identity's savepoint rolled its insert back.
    with contextlib.suppress(IntegrityError):
        do_add_identity(customer, kind=kind, value=value, actor=None)


def _call_target(ticket: Ticket) -> tuple[CalendarSnapshot, timedelta]:
    """The business calendar and the time to call within: the first-reply target of the SLA
    policy the ticket matches (its calendar, or 24/7 as the SLA clock does), else
    ``DEFAULT_CALL_WITHIN`` on the store's default calendar."""
    found = matching_policy(ticket)
    within: timedelta | None = found[0].first_reply_within if found is not None else None
    if found is not None and within is not None:
        policy, factor = found
        if policy.calendar_id is not None:
            calendar = calendar_snapshot(policy.calendar_id)
        else:
            calendar = always_open_calendar(ticket.store.time_zone)
        return calendar, within * factor
    return store_calendar_snapshot(ticket.store), DEFAULT_CALL_WITHIN


def callback_due(
    ticket: Ticket, *, now: datetime, window_start: datetime | None, window_end: datetime | None
) -> datetime:
    """When the team should call: the start of a window that lies ahead, else the callback
    target counted in business time from now — but never after the end of the customer's
    window."""
    if window_start is not None and window_start > now:
        return window_start
    calendar, within = _call_target(ticket)
    due = add_business_time(calendar, now, within)
    if window_end is not None and window_end < due:
        return window_end
    return due


def _local(store: Store, moment: datetime) -> str:
    """``2026-11-16 14:00`` in the store's time zone: unambiguous in every language."""
    return f"{moment.astimezone(ZoneInfo(store.time_zone)):%Y-%m-%d %H:%M}"


def _window_text(store: Store, start: datetime | None, end: datetime | None) -> str:
    zone = f" ({store.time_zone})"
    if start is None and end is None:
        return _("as soon as possible")
    if start is None:
        return _("before %(end)s") % {"end": _local(store, end)} + zone  # type: ignore[arg-type]
    if end is None:
        return _("from %(start)s") % {"start": _local(store, start)} + zone
    until = _local(store, end)
    if until[:10] == _local(store, start)[:10]:
        until = until[11:]
    return f"{_local(store, start)} – {until}{zone}"


def do_request_callback(
    store: Store,
    *,
    phone: str,
    name: str = "",
    email: str = "",
    window_start: datetime | None = None,
    window_end: datetime | None = None,
    topic: str = "",
    language: str = "",
    visitor: "Visitor | None" = None,
) -> CallbackRequest:
    """Queue a call to ``phone``: find or create the customer, open a callback ticket (routed
    and clocked like any other) and store the request with its due time.

    Raises ``CallbackError`` for a phone number that cannot be read (a national one needs the
    store's country or a language that names one), a bad e-mail address or a bad window.
    """
    now = timezone.now()
    language = language or (visitor.language if visitor is not None else "")
    region = phone_region(store_country=getattr(store, "country", "") or "", language=language)
    number = normalize_callback_phone(phone, region=region)
    email = _clean_email(email or (visitor.email if visitor is not None else ""))
    _check_window(window_start, window_end, now)
    name = " ".join((name or (visitor.name if visitor is not None else "")).split())[:150]
    topic = " ".join(topic.split())[:TOPIC_MAX_LENGTH]
    with transaction.atomic():
        customer = _customer_for(phone=number, email=email, name=name, language=language)
        if visitor is not None and visitor.customer_id is None:
            type(visitor).objects.filter(pk=visitor.pk, customer__isnull=True).update(
                customer=customer
            )
        # The ticket speaks the store's language: it is read by the store's team.
        with translation.override(store.default_language):
            subject = (
                _("Callback request: %(topic)s") % {"topic": topic}
                if topic
                else _("Callback request")
            )
            lines = [
                _("Please call me back."),
                _("Phone: %(phone)s") % {"phone": number},
                _("When: %(window)s") % {"window": _window_text(store, window_start, window_end)},
            ]
            if name:
                lines.append(_("Name: %(name)s") % {"name": name})
            if topic:
                lines.append(_("Topic: %(topic)s") % {"topic": topic})
        ticket = do_create_ticket(
            store=store,
            customer=customer,
            subject=subject,
            body_text="\n".join(lines),
            channel=Channel.CALLBACK,
            language=language[:8],
            channel_meta={"phone": number, "visitor_id": visitor.pk if visitor else None},
            actor=None,
            at=now,
        )
        return CallbackRequest.objects.create(
            ticket=ticket,
            store=store,
            visitor=visitor,
            phone=number,
            name=name,
            email=email,
            window_start=window_start,
            window_end=window_end,
            topic=topic,
            language=language[:8],
            due_at=callback_due(ticket, now=now, window_start=window_start, window_end=window_end),
            created_at=now,
        )


# --- recording calls ---------------------------------------------------------------------------


def retry_time(store: Store, failures: int, *, now: datetime) -> datetime:
    """When to call again after ``failures`` unanswered calls (1-based): after the delay of
    that step, moved to the next opening of the store's calendar if it is closed then (the
    next business morning)."""
    delay = RETRY_DELAYS[min(failures, len(RETRY_DELAYS)) - 1]
    return next_opening(store_calendar_snapshot(store), now + delay)


def _outcome_note(request: CallbackRequest, outcome: str, note: str) -> str:
    if outcome == CallOutcome.REACHED:
        head = _("Call: reached the customer at %(phone)s.") % {"phone": request.phone}
    elif outcome == CallOutcome.WRONG_NUMBER:
        head = _("Call: %(phone)s is a wrong number.") % {"phone": request.phone}
    elif request.state == CallbackState.GIVEN_UP:
        head = _("Call: no answer (attempt %(n)d). Gave up after %(max)d unanswered calls.") % {
            "n": request.attempts,
            "max": MAX_FAILED_ATTEMPTS,
        }
    else:
        assert request.next_attempt_at is not None
        head = _("Call: no answer (attempt %(n)d). Next attempt %(at)s.") % {
            "n": request.attempts,
            "at": _local(request.store, request.next_attempt_at),
        }
    return f"{head}\n\n{note}" if note else head


def do_record_outcome(
    request: CallbackRequest,
    *,
    outcome: str,
    note: str = "",
    actor: User | None,
    at: datetime | None = None,
) -> CallAttempt:
    """Record one call and its consequences:

    - reached / wrong number: the request is done and the ticket solved;
    - no answer: a retry is scheduled (``retry_time``) and the ticket waits (pending) until the
      sweep reopens it then; the ``MAX_FAILED_ATTEMPTS``-th unanswered call gives up instead
      (the ticket stays pending: the customer may call or write).

    Each call adds an internal note to the ticket. Precondition: ``outcome`` is a
    ``CallOutcome`` and the request is in a ``CALLABLE_STATES`` state (``check_record_outcome``).
    """
    now = at or timezone.now()
    with transaction.atomic():
        request = (
            CallbackRequest.objects.select_for_update()
            .select_related("store", "ticket")
            .get(pk=request.pk)
        )
        attempt = CallAttempt.objects.create(
            request=request, agent=actor, outcome=outcome, note=note.strip(), at=now
        )
        request.attempts += 1
        request.next_attempt_at = None
        if outcome == CallOutcome.REACHED:
            request.state, status, reason = CallbackState.REACHED, Status.SOLVED, "callback_reached"
        elif outcome == CallOutcome.WRONG_NUMBER:
            request.state, status = CallbackState.WRONG_NUMBER, Status.SOLVED
            reason = "callback_wrong_number"
        else:
            failures = request.calls.filter(outcome=CallOutcome.NO_ANSWER).count()
            status = Status.PENDING
            if failures >= MAX_FAILED_ATTEMPTS:
                request.state, reason = CallbackState.GIVEN_UP, "callback_given_up"
            else:
                request.state, reason = CallbackState.RETRY_SCHEDULED, "callback_no_answer"
                request.next_attempt_at = retry_time(request.store, failures, now=now)
        request.save(update_fields=["attempts", "state", "next_attempt_at", "updated_at"])
        ticket = request.ticket
        do_add_note(
            ticket, body_text=_outcome_note(request, outcome, note.strip()), actor=actor, at=now
        )
        do_change_status(ticket, status=status, actor=actor, reason=reason, at=now)
        if ticket.first_reply_at is None:
            # A call, answered or not, is the team's first response: the callback SLA's
            # first-reply target is met by it (a note alone would leave it running).
            Ticket.objects.filter(pk=ticket.pk).update(first_reply_at=now)
            transaction.on_commit(lambda: do_record_reply(ticket.pk, at=now))
    return attempt


def check_record_outcome(
    request: CallbackRequest, *, outcome: str, note: str = "", actor: User
) -> CallAttempt:
    """An agent's call: a known outcome, a note of sensible length, and a request that is not
    finished (reached or wrong number) nor on a merged ticket. Whether the agent may act on the
    request at all is ``access.access_callback_by_id``'s business."""
    if outcome not in CallOutcome.values:
        raise CallbackError({"outcome": _("Choose how the call went.")})
    if len(note) > NOTE_MAX_LENGTH:
        raise CallbackError(
            {"note": _("Keep the note under %(n)d characters.") % {"n": NOTE_MAX_LENGTH}}
        )
    if request.state not in CALLABLE_STATES:
        raise CallbackError({"outcome": _("This callback is already done.")})
    if request.ticket.merged_into_id is not None:
        raise CallbackError({"outcome": _("The ticket was merged into another one.")})
    return do_record_outcome(request, outcome=outcome, note=note, actor=actor)


def do_reopen_for_retry(request: CallbackRequest, *, now: datetime) -> bool:
    """The scheduled retry came due: the request waits for a call again (due now) and its
    pending ticket reopens, so it shows up in the team's queue. Idempotent: a request no longer
    scheduled, or not yet due, is left alone. A ticket someone solved or closed meanwhile is
    not reopened."""
    with transaction.atomic():
        request = (
            CallbackRequest.objects.select_for_update().select_related("ticket").get(pk=request.pk)
        )
        if (
            request.state != CallbackState.RETRY_SCHEDULED
            or request.next_attempt_at is None
            or request.next_attempt_at > now
        ):
            return False
        request.state = CallbackState.WAITING
        request.due_at = request.next_attempt_at
        request.next_attempt_at = None
        request.save(update_fields=["state", "due_at", "next_attempt_at", "updated_at"])
        if request.ticket.status == Status.PENDING:
            do_change_status(
                request.ticket, status=Status.OPEN, actor=None, reason="callback_retry_due", at=now
            )
    return True
