"""Invitation links: signed for one invitation, single use, expiring; anything else is forged."""

from datetime import timedelta

import pytest
from django.core import signing
from django.test import override_settings
from django.utils import timezone

from zabota.surveys.constants import InvitationStatus
from zabota.surveys.respond import do_submit_response
from zabota.surveys.tests.answering import every_kind_survey, invite
from zabota.surveys.tokens import (
    SALT,
    Outcome,
    answer_url,
    check_invitation_token,
    invitation_token,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def invitation(world):
    return invite(every_kind_survey(world.store), world.maria)


def test_a_fresh_link_is_valid_for_its_invitation(invitation):
    checked = check_invitation_token(invitation_token(invitation))
    assert checked.outcome == Outcome.VALID
    assert checked.invitation == invitation


@override_settings(ZABOTA_PUBLIC_URL="https://help.shop.example")
def test_the_answer_url_is_absolute_on_the_public_address(invitation):
    url = answer_url(invitation)
    assert url.startswith("https://help.shop.example/s/a/")
    token = url.removeprefix("https://help.shop.example/s/a/").rstrip("/")
    assert check_invitation_token(token).invitation == invitation


@pytest.mark.parametrize(
    "mangle",
    [
        lambda token: token[:-2],  # cut off on the way
        lambda token: token.replace(token[5], "x" if token[5] != "x" else "y", 1),
        lambda token: "nonsense",
        lambda token: "",
    ],
)
def test_a_mangled_link_is_forged(invitation, mangle):
    checked = check_invitation_token(mangle(invitation_token(invitation)))
    assert checked.outcome == Outcome.FORGED
    assert checked.invitation is None


def test_a_link_signed_for_something_else_or_with_a_wrong_nonce_is_forged(invitation):
    other_salt = signing.dumps({"i": invitation.pk, "n": invitation.nonce}, salt="other")
    wrong_nonce = signing.dumps({"i": invitation.pk, "n": "guessed"}, salt=SALT)
    no_such = signing.dumps({"i": invitation.pk + 1000, "n": invitation.nonce}, salt=SALT)
    for token in (other_salt, wrong_nonce, no_such):
        assert check_invitation_token(token).outcome == Outcome.FORGED


def test_a_skipped_invitation_has_no_working_link(invitation):
    invitation.status = InvitationStatus.SKIPPED
    invitation.save()
    assert check_invitation_token(invitation_token(invitation)).outcome == Outcome.FORGED


def test_a_link_expires_with_its_invitation(invitation):
    token = invitation_token(invitation)
    invitation.expires_at = timezone.now() - timedelta(seconds=1)
    invitation.save()
    checked = check_invitation_token(token)
    assert checked.outcome == Outcome.EXPIRED
    assert checked.invitation == invitation


def test_an_answered_link_is_used_even_once_expired(invitation):
    # given
    token = invitation_token(invitation)
    survey = invitation.survey
    do_submit_response(
        survey,
        answers={survey.q["speed"].pk: 5},
        channel="email",
        submission_key="one",
        language="en",
        invitation=invitation,
    )
    # then
    assert check_invitation_token(token).outcome == Outcome.USED
    invitation.refresh_from_db()
    invitation.expires_at = timezone.now() - timedelta(days=1)
    invitation.save()
    assert check_invitation_token(token).outcome == Outcome.USED
