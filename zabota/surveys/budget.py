"""The contact-pressure budget: one per customer per store, across every survey.

A customer is asked at most once per ``SurveySettings.min_days_between`` days — counting the
invitations that went (or are queued to go) and the responses they submitted through any
channel (a paper card or a kiosk answer with a known customer counts too) — and, with
``once_per_ticket``, never twice about the same ticket. Test sends to staff never count.

A refusal is a sentence for the admin ("surveyed 12 days ago"), translated into the store's
default language when it is made and stored on the skipped invitation: the admin reads why
it was skipped then, not a recomputation that the passing days would change.
"""

from datetime import datetime, timedelta

from django.db.models import Max
from django.db.models.functions import Coalesce
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from zabota.commerce.models import Store
from zabota.customers.models import Customer
from zabota.surveys.constants import InvitationStatus, Trigger
from zabota.surveys.models import Invitation, Response
from zabota.surveys.store_settings import settings_for
from zabota.tickets.models import Ticket

# Invitations that used the budget: sent, queued to be sent, or answered.
_COUNTING = (InvitationStatus.SENT, InvitationStatus.ANSWERED)


def last_contact(store: Store, customer: Customer) -> datetime | None:
    """When the customer was last surveyed in the store: the latest of their counted
    invitations (its send time, or when it is due to go) and their submitted responses."""
    invited = (
        Invitation.objects.filter(store=store, customer=customer, status__in=_COUNTING)
        .exclude(trigger=Trigger.TEST)
        .aggregate(at=Max(Coalesce("sent_at", "send_after")))["at"]
    )
    answered = Response.objects.filter(
        store=store, customer=customer, submitted_at__isnull=False
    ).aggregate(at=Max("submitted_at"))["at"]
    moments = [moment for moment in (invited, answered) if moment is not None]
    return max(moments) if moments else None


def surveyed_about(store: Store, ticket: Ticket) -> bool:
    """Whether the ticket already had a survey: an invitation that used the budget, or a
    submitted response about it."""
    if (
        Invitation.objects.filter(store=store, ticket=ticket, status__in=_COUNTING)
        .exclude(trigger=Trigger.TEST)
        .exists()
    ):
        return True
    return Response.objects.filter(store=store, ticket=ticket, submitted_at__isnull=False).exists()


def _ago(days: int) -> str:
    if days <= 0:
        return _("surveyed earlier today")
    return ngettext("surveyed %(days)d day ago", "surveyed %(days)d days ago", days) % {
        "days": days
    }


def check_budget(
    store: Store, customer: Customer, *, ticket: Ticket | None = None, now: datetime
) -> str | None:
    """None when the customer may be surveyed now; else why not, in the store's language."""
    survey_settings = settings_for(store)
    with translation.override(store.default_language or "en"):
        if ticket is not None and survey_settings.once_per_ticket and surveyed_about(store, ticket):
            return _("already surveyed about this ticket")
        if survey_settings.min_days_between:
            last = last_contact(store, customer)
            window = timedelta(days=survey_settings.min_days_between)
            if last is not None and last > now - window:
                # A queued invitation (due later) counts as a contact today.
                return _ago(max((now - last).days, 0))
    return None
