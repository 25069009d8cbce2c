"""The admin of received mail: the log with filters, raw downloads, retry, held senders."""

from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from zabota.channels.email import process as process_module
from zabota.channels.email.constants import InboundStatus
from zabota.channels.email.models import InboundEmail
from zabota.channels.email.parse import ParseError
from zabota.channels.email.tests.inbound_helpers import deliver, mail

pytest_plugins = ["zabota.channels.email.tests.inbound_fixtures"]

CHANGELIST = "admin:email_inboundemail_changelist"


def _as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_log_lists_each_mail_with_its_fate_and_ticket(world, mailbox):
    """Status, outcome, sender, subject and a link to the ticket; filterable by status."""
    # given
    processed = deliver(mail(subject="Broken lamp"))
    deliver(b"\x00 not a mail")
    client = _as(world.ada)
    # when
    everything = client.get(reverse(CHANGELIST))
    quarantined = client.get(reverse(CHANGELIST), {"status__exact": "quarantined"})
    # then
    assert everything.status_code == 200
    page = everything.content.decode()
    assert "Broken lamp" in page and "maria@example.pl" in page
    assert reverse("web:ticket", args=[processed.ticket_id]) in page
    assert quarantined.context["cl"].result_count == 1


def test_raw_message_downloads_for_admins_only(world, mailbox):
    """Admins download the exact bytes as an .eml attachment; anyone else gets nothing."""
    # given
    raw = mail(subject="Keep me")
    inbound = deliver(raw)
    url = reverse("admin:email_inboundemail_raw", args=[inbound.pk])
    # when
    by_admin = _as(world.ada).get(url)
    by_lead = _as(world.lena).get(url)
    # then
    assert by_admin.status_code == 200
    assert by_admin.content == raw
    assert by_admin["Content-Type"] == "message/rfc822"
    assert by_admin["Content-Disposition"] == f'attachment; filename="inbound-{inbound.pk}.eml"'
    assert by_lead.status_code == 302 and raw not in by_lead.content


def test_detail_page_is_read_only_with_the_raw_link(world, mailbox):
    inbound = deliver(b"\x00 not a mail")
    response = _as(world.ada).get(reverse("admin:email_inboundemail_change", args=[inbound.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert reverse("admin:email_inboundemail_raw", args=[inbound.pk]) in page
    assert escape(inbound.error) in page
    assert 'name="_save"' not in page


def test_retry_processes_a_quarantined_mail_again(
    world, mailbox, monkeypatch, django_capture_on_commit_callbacks
):
    """After the cause is fixed (here: a parser that refused the mail), "retry" processes it."""

    # given a mail quarantined by a parser that could not read it
    def refuse(raw, **kwargs):
        raise ParseError("unsupported structure")

    monkeypatch.setattr(process_module, "parse_email", refuse)
    inbound = deliver(mail(subject="Second chance"))
    assert inbound.status == InboundStatus.QUARANTINED
    monkeypatch.undo()
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = _as(world.ada).post(
            reverse(CHANGELIST), {"action": "retry", "_selected_action": [inbound.pk]}
        )
    # then
    assert response.status_code == 302
    inbound.refresh_from_db()
    assert inbound.status == InboundStatus.PROCESSED
    assert inbound.ticket.subject == "Second chance" and inbound.error == ""


def test_held_senders_page_releases_and_discards(
    world, mailbox, settings, django_capture_on_commit_callbacks
):
    """Admins see who is held (sender, count, newest) and release or discard per sender."""
    # given a small burst limit and two flooding senders
    settings.ZABOTA_EMAIL_BURST_LIMIT = (1, 600)
    for sender in ("flood@peer.example", "spam@peer.example"):
        for i in range(3):
            deliver(mail(sender=sender, subject=f"{sender} {i}"))
    client = _as(world.ada)
    # when
    page = client.get(reverse("admin:email_inboundemail_held"))
    # then
    assert page.status_code == 200
    senders = {(h.sender, h.count) for h in page.context["senders"]}
    assert senders == {("flood@peer.example", 2), ("spam@peer.example", 2)}
    assert "Held senders (4 mails)" in client.get(reverse(CHANGELIST)).content.decode()
    # when
    decide = reverse("admin:email_inboundemail_held_decide")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(decide, {"sender": "flood@peer.example", "decision": "release"})
    client.post(decide, {"sender": "spam@peer.example", "decision": "discard"})
    # then
    flood = InboundEmail.objects.filter(sender="flood@peer.example").order_by("pk")
    assert [i.status for i in flood] == [InboundStatus.PROCESSED] * 3
    spam = InboundEmail.objects.filter(sender="spam@peer.example").order_by("pk")
    assert [i.status for i in spam] == [InboundStatus.PROCESSED] + [InboundStatus.IGNORED] * 2
    assert client.get(reverse("admin:email_inboundemail_held")).context["senders"] == []


def test_held_senders_page_is_for_admins_only(world):
    response = _as(world.lena).get(reverse("admin:email_inboundemail_held"))
    assert response.status_code == 302
