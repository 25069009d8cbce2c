"""Offering a survey to a customer: ``do_invite`` records the invitation (or why it was
skipped) and queues its e-mail; ``do_send_test`` mails a survey to the staff member asking.

One invitation per (survey, ``dedupe_key``): the listeners and rules call ``do_invite`` again
when an event is delivered twice, and get the first invitation back. The customer's row is
locked while the budget is checked, so two triggers at the same moment (a solved ticket and a
delivery) cannot both pass it.
"""

import secrets
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from zabota.accounts.models import User
from zabota.commerce.models import Order
from zabota.customers.constants import IdentityKind
from zabota.customers.models import Customer, Identity
from zabota.surveys.budget import check_budget
from zabota.surveys.constants import InvitationStatus, SurveyChannel, Trigger
from zabota.surveys.models import Invitation, Survey
from zabota.surveys.store_settings import settings_for
from zabota.surveys.texts import languages_of, pick_language
from zabota.tickets.models import Ticket

# Invitations that go as an e-mailed link (the exit survey's link goes by e-mail too).
MAILED_CHANNELS = frozenset({SurveyChannel.EMAIL, SurveyChannel.EXIT})


def invitation_email(customer: Customer) -> str:
    """The address a survey goes to: the customer's first verified e-mail identity, else their
    first e-mail identity ("" if none). Nothing in Zabota marks identities verified yet (a
    customer who writes or answers a confirmation link from an address shows it is theirs), so
    requiring the flag would survey nobody; a verified address wins once there is one."""
    identities = Identity.objects.filter(customer=customer, kind=IdentityKind.EMAIL)
    identity = identities.order_by("-verified", "created_at", "pk").first()
    return identity.value if identity is not None else ""


def invitation_language(
    survey: Survey, customer: Customer, ticket: Ticket | None, requested: str | None = None
) -> str:
    """The requested language, else the customer's, the ticket's, the store's — the first the
    survey is written in; else the survey's default language."""
    available = languages_of(survey.texts) or [survey.default_language]
    store_language = survey.store.default_language
    for code in (requested, customer.language, ticket.language if ticket else "", store_language):
        picked = pick_language(code, available, "")
        if picked:
            return picked
    return survey.default_language


def do_invite(
    survey: Survey,
    *,
    customer: Customer,
    trigger: str,
    dedupe_key: str,
    ticket: Ticket | None = None,
    order: Order | None = None,
    channel: str = SurveyChannel.EMAIL,
    send_after: datetime | None = None,
    language: str | None = None,
) -> Invitation:
    """Invite the customer to the survey, or record why not (status skipped, ``skip_reason``
    in the store's language). An e-mail invitation due now is queued after the commit; one due
    later (``send_after``) is queued by the housekeeping job when its time comes. Idempotent by
    (survey, ``dedupe_key``)."""
    existing = Invitation.objects.filter(survey=survey, dedupe_key=dedupe_key).first()
    if existing is not None:
        return existing
    now = timezone.now()
    due = max(send_after or now, now)
    store = survey.store
    with transaction.atomic():
        # Serialises the budget check of this customer's concurrent triggers.
        Customer.objects.select_for_update().filter(pk=customer.pk).first()
        existing = Invitation.objects.filter(survey=survey, dedupe_key=dedupe_key).first()
        if existing is not None:
            return existing
        reason = check_budget(store, customer, ticket=ticket, now=now)
        email = invitation_email(customer)
        if reason is None and channel in MAILED_CHANNELS and not email:
            with translation.override(store.default_language or "en"):
                reason = _("no e-mail address")
        link_days = settings_for(store).link_valid_days
        invitation = Invitation(
            survey=survey,
            store=store,
            customer=customer,
            ticket=ticket,
            order=order,
            agent_id=ticket.assignee_id if ticket else None,
            group_id=ticket.group_id if ticket else None,
            channel=channel,
            trigger=trigger,
            status=InvitationStatus.SKIPPED if reason else InvitationStatus.SENT,
            skip_reason=(reason or "")[:300],
            language=invitation_language(survey, customer, ticket, language),
            email=email,
            nonce=secrets.token_hex(16),
            dedupe_key=dedupe_key[:120],
            created_at=now,
            send_after=due,
            expires_at=due + timedelta(days=link_days),
        )
        try:
            with transaction.atomic():
                invitation.save()
        except IntegrityError:
            # The same trigger, handled by another worker a moment ago.
            return Invitation.objects.get(survey=survey, dedupe_key=dedupe_key[:120])
        if invitation.status == InvitationStatus.SENT and channel in MAILED_CHANNELS:
            if due <= now:
                transaction.on_commit(lambda: _enqueue(invitation.pk))
        elif invitation.status == InvitationStatus.SENT:
            # Shown where the customer is (the portal): it is "sent" as it is made.
            invitation.sent_at = now
            invitation.save(update_fields=["sent_at"])
    return invitation


def _enqueue(invitation_id: int) -> None:
    from zabota.surveys.tasks import send_invitation

    send_invitation.enqueue(invitation_id)


def _customer_for(user: User) -> Customer:
    """The customer record a test to a staff member is addressed to: the one with their e-mail
    address, else a new one (invitations always belong to a customer)."""
    email = user.email.strip().lower()
    identity = (
        Identity.objects.select_related("customer")
        .filter(kind=IdentityKind.EMAIL, value=email)
        .first()
    )
    if identity is not None:
        return identity.customer
    from zabota.customers.actions import do_create_customer

    return do_create_customer(
        display_name=user.name or email,
        identities=[(IdentityKind.EMAIL, email)],
        actor=user,
    )


def do_send_test(survey: Survey, *, to_user: User, language: str) -> Invitation:
    """ "Send a test to me": the survey's e-mail, in ``language``, to the staff member, at once.
    It bypasses the budget and never counts in it (trigger test); the answer page it links to
    checks the answers but stores nothing, so a test never shows in the reports nor opens a
    follow-up."""
    customer = _customer_for(to_user)
    now = timezone.now()
    with transaction.atomic():
        invitation = Invitation.objects.create(
            survey=survey,
            store=survey.store,
            customer=customer,
            channel=SurveyChannel.EMAIL,
            trigger=Trigger.TEST,
            status=InvitationStatus.SENT,
            language=language or survey.default_language,
            email=to_user.email,
            nonce=secrets.token_hex(16),
            dedupe_key=f"test:{to_user.pk}:{secrets.token_hex(8)}",
            created_at=now,
            send_after=now,
            expires_at=now + timedelta(days=settings_for(survey.store).link_valid_days),
        )
        transaction.on_commit(lambda: _enqueue(invitation.pk))
    return invitation
