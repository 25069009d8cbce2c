"""POST /api/v1/inbound/email: raw MIME, authenticated by the mailbox's HMAC signature."""

import pytest
from django.core.cache import cache
from django.test import Client

from zabota.api import inbound as inbound_api
from zabota.channels.email.constants import InboundStatus, Source
from zabota.channels.email.mailboxes import webhook_signature
from zabota.channels.email.models import InboundEmail
from zabota.channels.email.tests.inbound_helpers import (
    SUPPORT,
    mail,
)
from zabota.core.ratelimit import API_AUTH_FAILURES_PER_IP, INBOUND_EMAIL_PER_IP, Limit

pytest_plugins = ["zabota.channels.email.tests.inbound_fixtures"]

URL = "/api/v1/inbound/email"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


def post(
    body: bytes, *, mailbox_address: str | None = SUPPORT, signature: str | None = None, **extra
):
    headers = {}
    if mailbox_address is not None:
        headers["X-Zabota-Mailbox"] = mailbox_address
    if signature is not None:
        headers["X-Zabota-Signature"] = signature
    return Client(**extra).post(URL, body, content_type="message/rfc822", headers=headers)


def assert_error(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    assert response.json()["code"] == code and response.json()["message"]


def test_signed_mail_is_stored_and_processed(world, mailbox, django_capture_on_commit_callbacks):
    """202 with the stored id; the mail is processed into a ticket of the mailbox's store."""
    # given
    raw = mail(subject="Via webhook")
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = post(raw, signature=webhook_signature(mailbox.webhook_secret, raw))
    # then
    assert response.status_code == 202
    inbound = InboundEmail.objects.get()
    assert response.json() == {"id": inbound.pk, "duplicate": False}
    assert (inbound.source, inbound.mailbox) == (Source.WEBHOOK, mailbox)
    assert bytes(inbound.raw) == raw
    assert inbound.status == InboundStatus.PROCESSED and inbound.ticket.subject == "Via webhook"


def test_the_same_mail_again_is_reported_as_duplicate(world, mailbox):
    """Relays retry: a second POST of the same mail is accepted and marked duplicate."""
    raw = mail()
    signature = webhook_signature(mailbox.webhook_secret, raw)
    first, second = post(raw, signature=signature), post(raw, signature=signature)
    assert first.json()["duplicate"] is False
    assert second.status_code == 202 and second.json() == {
        "id": first.json()["id"],
        "duplicate": True,
    }
    assert InboundEmail.objects.count() == 1


@pytest.mark.parametrize(
    "case",
    ["missing", "wrong secret", "other body", "unknown mailbox", "no mailbox header", "bare hex"],
)
def test_bad_or_missing_signatures_are_refused(world, mailbox, case):
    """Anything but the body's HMAC with the named mailbox's secret is 401 invalid_signature,
    and nothing is stored."""
    # given
    raw = mail()
    good = webhook_signature(mailbox.webhook_secret, raw)
    requests = {
        "missing": dict(signature=None),
        "wrong secret": dict(signature=webhook_signature("guessed", raw)),
        "other body": dict(signature=webhook_signature(mailbox.webhook_secret, raw + b"x")),
        "unknown mailbox": dict(signature=good, mailbox_address="nobody@store.example"),
        "no mailbox header": dict(signature=good, mailbox_address=None),
        "bare hex": dict(signature=good.removeprefix("sha256=")),
    }
    # when
    response = post(raw, **requests[case])
    # then
    assert_error(response, 401, "invalid_signature")
    assert not InboundEmail.objects.exists()


def test_inactive_mailbox_is_refused(world, mailbox):
    mailbox.is_active = False
    mailbox.save()
    raw = mail()
    response = post(raw, signature=webhook_signature(mailbox.webhook_secret, raw))
    assert_error(response, 401, "invalid_signature")


def test_too_large_mail_is_refused(world, mailbox, settings):
    """Over ZABOTA_MAX_EMAIL_BYTES: 413 payload_too_large before anything is stored."""
    settings.ZABOTA_MAX_EMAIL_BYTES = 2000
    raw = mail(body="x" * 3000)
    response = post(raw, signature=webhook_signature(mailbox.webhook_secret, raw))
    assert_error(response, 413, "payload_too_large")
    assert not InboundEmail.objects.exists()


def test_mail_larger_than_djangos_form_limit_is_accepted(world, mailbox, settings):
    """The body is read as a stream: a mail with a big attachment is not cut at Django's
    DATA_UPLOAD_MAX_MEMORY_SIZE."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    raw = mail(attachments=[("scan.pdf", "application/pdf", b"%PDF" + b"0" * 5000)])
    response = post(raw, signature=webhook_signature(mailbox.webhook_secret, raw))
    assert response.status_code == 202, response.content
    assert bytes(InboundEmail.objects.get().raw) == raw


def test_empty_body_is_a_bad_request(world, mailbox):
    response = post(b"", signature=webhook_signature(mailbox.webhook_secret, b""))
    assert_error(response, 400, "bad_request")


def test_failed_signatures_are_throttled_per_address(world, mailbox):
    """After repeated bad signatures an address gets 429 even with a good one; others don't."""
    # given
    raw = mail()
    good = webhook_signature(mailbox.webhook_secret, raw)
    for _ in range(API_AUTH_FAILURES_PER_IP.max_hits):
        assert post(raw, signature="sha256=00").status_code == 401
    # when
    same = post(raw, signature=good)
    other = post(raw, signature=good, REMOTE_ADDR="198.51.100.9")
    # then
    assert_error(same, 429, "throttled")
    assert other.status_code == 202


def test_requests_per_address_are_limited(world, mailbox, monkeypatch):
    """A relay that floods the endpoint is answered 429 with Retry-After once over the limit
    (a small limit with a long window here, so that no window ends during the test)."""
    # given
    limit = Limit(INBOUND_EMAIL_PER_IP.name, 5, 3600)
    monkeypatch.setattr(inbound_api, "INBOUND_EMAIL_PER_IP", limit)
    raw = mail()
    signature = webhook_signature(mailbox.webhook_secret, raw)
    for _ in range(limit.max_hits):
        assert post(raw, signature=signature).status_code == 202
    # when
    response = post(raw, signature=signature)
    # then
    assert_error(response, 429, "throttled")
    assert 0 < int(response["Retry-After"]) <= limit.window_seconds
    assert post(raw, signature=signature, REMOTE_ADDR="198.51.100.9").status_code == 202


def test_endpoint_is_in_the_openapi_document_without_token_auth(db):
    spec = Client().get("/api/v1/openapi.json").json()
    operation = spec["paths"][URL]["post"]
    assert "security" not in operation
    assert {"401", "413", "202"} <= set(operation["responses"])
