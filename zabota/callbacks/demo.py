"""Demo data for callbacks: the store's callback SLA and two requests in the queue.

Called by the demo builder (the lead wires it in); safe to call twice.
"""

from datetime import timedelta

import phonenumbers
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from zabota.callbacks.actions import do_record_outcome, do_request_callback
from zabota.callbacks.constants import CallOutcome
from zabota.callbacks.models import CallbackRequest
from zabota.commerce.models import Store
from zabota.customers.constants import IdentityKind
from zabota.customers.models import Identity
from zabota.sla.models import SlaPolicy

POLICY_NAME = "Callbacks: 15 minutes"


def ensure_callback_policy(store: Store) -> SlaPolicy:
    """The policy for channel ``callback``, placed before the store's other policies (the first
    matching one applies)."""
    policy = SlaPolicy.objects.filter(store=store, name=POLICY_NAME).first()
    if policy is not None:
        return policy
    SlaPolicy.objects.filter(store=store).update(position=F("position") + 1)
    return SlaPolicy.objects.create(
        store=store,
        name=POLICY_NAME,
        position=0,
        channels=["callback"],
        first_reply_within=timedelta(minutes=15),
        resolution_within=timedelta(hours=8),
    )


def ensure_demo_callbacks(store: Store) -> list[CallbackRequest]:
    """The callback policy and two requests: one for "as soon as possible" with one unanswered
    call already recorded (a retry is scheduled), one for a window this afternoon."""
    with transaction.atomic():
        ensure_callback_policy(store)
        existing = list(CallbackRequest.objects.filter(store=store).order_by("pk")[:2])
        if existing:
            return existing
        # Two of the demo's own customers with a phone on record (the demo keeps its numbers of
        # customers; a request finds them by the number), else two made up.
        people = _callers(store)
        first = do_request_callback(
            store,
            phone=people[0][0],
            name=people[0][1],
            topic="Delivery to a parcel locker",
            language=people[0][2],
        )
        do_record_outcome(first, outcome=CallOutcome.NO_ANSWER, note="Voicemail.", actor=None)
        now = timezone.now()
        second = do_request_callback(
            store,
            phone=people[1][0],
            name=people[1][1],
            topic="Size exchange",
            language=people[1][2],
            window_start=now + timedelta(hours=3),
            window_end=now + timedelta(hours=5),
        )
    return [first, second]


_MADE_UP = [
    ("+48 601 234 567", "Zofia Wiśniewska", "pl"),
    ("+36 30 123 4567", "Bence Kovács", "hu"),
]


def _callers(store: Store) -> list[tuple[str, str, str]]:
    """(phone, name, language) of two of the store's customers with a phone identity that is a
    callable number (the demo's random ones need not be), else two made up."""
    found: list[tuple[str, str, str]] = []
    identities = (
        Identity.objects.filter(kind=IdentityKind.PHONE, customer__tickets__store=store)
        .select_related("customer")
        .order_by("pk")
        .distinct()
    )
    for identity in identities.iterator():
        if _callable(identity.value):
            found.append((identity.value, identity.customer.name, identity.customer.language))
            if len(found) == 2:
                return found
    return _MADE_UP


def _callable(phone: str) -> bool:
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(phone, None))
    except phonenumbers.NumberParseException:
        return False
