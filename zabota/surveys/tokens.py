"""Signed links to answer a survey invitation.

The token carries the invitation's id and its ``nonce``, signed with ``django.core.signing``
under a salt of its own (worth nothing for any other link). Whether it still works is read
from the invitation, not the token: expired once ``expires_at`` has passed, used once
``answered_at`` is set — so single use needs no table of used tokens, and the lifetime can be
changed per invitation. A nonce that does not match (an invitation re-made under the same id
in another database, a hand-edited token) counts as forged.
"""

from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from zabota.surveys.constants import InvitationStatus
from zabota.surveys.models import Invitation

SALT = "zabota.surveys.invitation"


class Outcome(StrEnum):
    # The invitation waits for its answer: the link works.
    VALID = "valid"
    # Not a token we signed, mangled on the way, for an invitation that does not exist or
    # was skipped (never sent, so its link was never given out).
    FORGED = "forged"
    # Signed by us, but the invitation's answering time is over.
    EXPIRED = "expired"
    # Answered already.
    USED = "used"


@dataclass(frozen=True)
class Checked:
    outcome: Outcome
    invitation: Invitation | None = None


def invitation_token(invitation: Invitation) -> str:
    """The token of an invitation's answer link."""
    return signing.dumps({"i": invitation.pk, "n": invitation.nonce}, salt=SALT)


def answer_url(invitation: Invitation) -> str:
    """The absolute link to answer the invitation (for e-mails and the portal)."""
    base = (getattr(settings, "SITE_URL", "") or settings.ZABOTA_PUBLIC_URL).rstrip("/")
    return base + reverse("surveys_public:answer", kwargs={"token": invitation_token(invitation)})


def check_invitation_token(token: str) -> Checked:
    """What a token is worth now; nothing is changed. A used invitation is reported as used
    even once expired: "already answered, thank you" is the truer page."""
    try:
        payload = signing.loads(token, salt=SALT)
        invitation_id, nonce = int(payload["i"]), str(payload["n"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return Checked(Outcome.FORGED)
    invitation = (
        Invitation.objects.select_related("survey", "store", "customer")
        .filter(pk=invitation_id)
        .first()
    )
    if (
        invitation is None
        or not nonce
        or invitation.nonce != nonce
        or invitation.status == InvitationStatus.SKIPPED
    ):
        return Checked(Outcome.FORGED)
    if invitation.answered_at is not None:
        return Checked(Outcome.USED, invitation)
    if invitation.expires_at is not None and invitation.expires_at <= timezone.now():
        return Checked(Outcome.EXPIRED, invitation)
    return Checked(Outcome.VALID, invitation)
