"""The customer portal: signing in by an e-mailed link, and the quarterly feedback survey.

A customer asks for a link with their e-mail address; the answer is the same whether the
address is known or not (the lookup and the mail happen in a task, so even the response time
tells nothing). The link is signed (its own salt) with the store and the address and works
for ``LINK_LIFETIME``; it signs the customer in to a portal session — a key in the Django
session, not a Django user, so a customer can never reach the agent UI.

The quarterly survey is one per customer per quarter: its submission key is derived from the
survey, the customer and the quarter (an HMAC, so an anonymous survey's key does not name the
customer), which makes a second answer in the same quarter the same response.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.core import signing
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from zabota.commerce.models import Store
from zabota.customers.constants import IdentityKind
from zabota.customers.models import Customer
from zabota.surveys.budget import check_budget
from zabota.surveys.constants import Purpose
from zabota.surveys.models import Response, Survey
from zabota.tickets.models import Ticket

SALT = "zabota.surveys.portal"
LINK_LIFETIME = timedelta(minutes=30)
SESSION_KEY = "zabota_portal"
# The quarterly survey: a personal-manager review first, else the store's NPS survey.
QUARTERLY_PURPOSES = (Purpose.MANAGER_REVIEW, Purpose.NPS)


def normalized_email(value: str) -> str:
    return value.strip().lower()


def sign_in_token(store: Store, email: str) -> str:
    return signing.dumps({"s": store.pk, "e": normalized_email(email)}, salt=SALT)


def sign_in_url(store: Store, email: str) -> str:
    base = (getattr(settings, "SITE_URL", "") or settings.ZABOTA_PUBLIC_URL).rstrip("/")
    return base + reverse(
        "portal:enter", kwargs={"slug": store.slug, "token": sign_in_token(store, email)}
    )


def customer_by_email(email: str) -> Customer | None:
    return (
        Customer.objects.filter(
            merged_into__isnull=True,
            identities__kind=IdentityKind.EMAIL,
            identities__value=normalized_email(email),
        )
        .order_by("pk")
        .first()
    )


def check_sign_in_token(store: Store, token: str) -> Customer | None:
    """The customer the link signs in, or None (forged, expired, another store's link, or an
    address no customer has)."""
    try:
        payload = signing.loads(token, salt=SALT, max_age=LINK_LIFETIME)
        store_id, email = int(payload["s"]), str(payload["e"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    if store_id != store.pk:
        return None
    return customer_by_email(email)


def do_sign_in(session: SessionBase, store: Store, customer: Customer) -> None:
    session.cycle_key()  # no session fixation through a planted session id
    session[SESSION_KEY] = {"store": store.pk, "customer": customer.pk}


def do_sign_out(session: SessionBase) -> None:
    session.pop(SESSION_KEY, None)
    session.cycle_key()


def signed_in_customer(session: SessionBase, store: Store) -> Customer | None:
    data = session.get(SESSION_KEY) or {}
    customer_id = data.get("customer")
    if data.get("store") != store.pk or not isinstance(customer_id, int):
        return None
    return Customer.objects.filter(pk=customer_id, merged_into__isnull=True).first()


def portal_tickets(store: Store, customer: Customer, *, limit: int = 50) -> list[Ticket]:
    """The customer's tickets in the store, latest activity first (merged ones left out)."""
    return list(
        Ticket.objects.filter(store=store, customer=customer, merged_into__isnull=True).order_by(
            "-last_activity_at", "-pk"
        )[:limit]
    )


def quarter_of(moment: datetime) -> str:
    local = timezone.localtime(moment)
    return f"{local.year}Q{(local.month - 1) // 3 + 1}"


def quarterly_key(survey: Survey, customer: Customer, now: datetime) -> str:
    value = f"{survey.pk}:{customer.pk}:{quarter_of(now)}"
    digest = salted_hmac(SALT, value, algorithm="sha256").hexdigest()
    return f"portal-{digest[:48]}"


@dataclass(frozen=True)
class Quarterly:
    survey: Survey
    submission_key: str


def quarterly_survey(store: Store, customer: Customer, *, now: datetime) -> Quarterly | None:
    """The survey to show the customer this quarter, or None: none active, already answered
    this quarter, or the contact budget says not now."""
    candidates = Survey.objects.filter(
        Q(purpose__in=QUARTERLY_PURPOSES), store=store, is_active=True
    ).select_related("store")
    surveys = sorted(candidates, key=lambda s: (QUARTERLY_PURPOSES.index(s.purpose), s.pk))
    if not surveys:
        return None
    survey = surveys[0]
    key = quarterly_key(survey, customer, now)
    if Response.objects.filter(submission_key=key, submitted_at__isnull=False).exists():
        return None
    # A partial answer of this quarter may be completed whatever the budget says since.
    started = Response.objects.filter(submission_key=key).exists()
    if not started and check_budget(store, customer, now=now) is not None:
        return None
    return Quarterly(survey, key)


def send_sign_in_link(store_id: int, email: str, language: str) -> bool:
    """E-mail the sign-in link if a customer has this address (run in a task); True if sent."""
    from email.utils import formataddr

    from django.core.mail import EmailMultiAlternatives
    from django.template.loader import render_to_string
    from django.utils import translation
    from django.utils.translation import gettext as _

    store = Store.objects.filter(pk=store_id).first()
    customer = customer_by_email(email) if store is not None else None
    if store is None or customer is None:
        return False
    with translation.override(language or store.default_language or "en"):
        context = {
            "store_name": store.name,
            "url": sign_in_url(store, email),
            "minutes": int(LINK_LIFETIME.total_seconds() // 60),
        }
        subject = _("Your sign-in link for %s") % store.name
        body = render_to_string("web/surveys/portal/email_sign_in.txt", context)
    EmailMultiAlternatives(
        subject=subject[:250],
        body=body,
        from_email=formataddr((store.name, store.email)),
        to=[normalized_email(email)],
        headers={"Auto-Submitted": "auto-generated"},
    ).send()
    return True
