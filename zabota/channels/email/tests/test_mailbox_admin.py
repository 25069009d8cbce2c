"""Mailbox administration: passwords that are never shown and kept when left blank, validation,
"Test connection" naming exactly the step that failed, and sending failed mail again."""

import pytest
from aiosmtpd.smtp import AuthResult
from django.test import TestCase
from django.urls import reverse

from zabota.channels.email.connection_test import StepName, probe_imap, probe_smtp
from zabota.channels.email.constants import OutboundStatus, Security
from zabota.channels.email.models import Mailbox, OutboundEmail
from zabota.channels.email.tests.servers import (
    closed_port,
    dovecot_server,  # noqa: F401 - fixture "dovecot"
    run_smtp,
    smtp_capture,  # noqa: F401 - fixture "smtp"
)
from zabota.channels.email.tests.transport_helpers import (
    SUPPORT,
    imap_mailbox,
    reply,
    smtp_mailbox,
)

CHANGE = "admin:email_mailbox_change"
TEST_CONNECTION = "admin:email_mailbox_test_connection"


def _form(mailbox: Mailbox, **changes: object) -> dict[str, object]:
    """The change form as the admin page submits it, with ``changes`` applied."""
    data: dict[str, object] = {
        "store": mailbox.store_id,
        "name": mailbox.name,
        "address": mailbox.address,
        "aliases": "\n".join(mailbox.aliases),
        "from_name": mailbox.from_name,
        "imap_host": mailbox.imap_host,
        "imap_port": mailbox.imap_port,
        "imap_security": mailbox.imap_security,
        "imap_username": mailbox.imap_username,
        "imap_password": "",
        "imap_folder": mailbox.imap_folder,
        "imap_archive_folder": mailbox.imap_archive_folder,
        "smtp_host": mailbox.smtp_host,
        "smtp_port": mailbox.smtp_port,
        "smtp_security": mailbox.smtp_security,
        "smtp_username": mailbox.smtp_username,
        "smtp_password": "",
    }
    for flag in ("is_active", "imap_enabled", "smtp_enabled", "send_acknowledgement"):
        if getattr(mailbox, flag):
            data[flag] = "on"
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def configured(world) -> Mailbox:
    return Mailbox.objects.create(
        store=world.store,
        name="Support",
        address=SUPPORT,
        imap_enabled=True,
        imap_host="imap.store.example",
        imap_username="support",
        imap_password="imap-secret",
        smtp_enabled=True,
        smtp_host="smtp.store.example",
        smtp_username="support",
        smtp_password="smtp-secret",
    )


def test_passwords_are_never_shown_and_kept_when_left_blank(client, world, configured):
    """The form never sends a saved password back to the browser (and offers "Test
    connection"); saving with the fields empty keeps both, a new value replaces one, the checkbox
    removes one."""
    client.force_login(world.ada)
    url = reverse(CHANGE, args=[configured.pk])
    # when
    page = client.get(url)
    kept = client.post(url, _form(configured, name="Help desk"))
    # then
    html = page.content.decode()
    assert "imap-secret" not in html and "smtp-secret" not in html
    assert reverse(TEST_CONNECTION, args=[configured.pk]) in html
    assert kept.status_code == 302
    configured.refresh_from_db()
    assert configured.name == "Help desk"
    assert (configured.imap_password, configured.smtp_password) == ("imap-secret", "smtp-secret")
    # when
    client.post(url, _form(configured, imap_password="new-imap", clear_smtp_password="on"))
    # then
    configured.refresh_from_db()
    assert (configured.imap_password, configured.smtp_password) == ("new-imap", "")


def test_the_form_refuses_incomplete_settings(client, world, configured):
    """Turning IMAP on needs a host and a user; aliases must be addresses and not the main one."""
    client.force_login(world.ada)
    url = reverse(CHANGE, args=[configured.pk])
    # when
    response = client.post(
        url, _form(configured, imap_host="", aliases=f"help@store.example\n{SUPPORT}\nnot-mail")
    )
    # then
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "imap_host" in errors
    assert "aliases" in errors


def test_aliases_are_entered_one_per_line(client, world, configured):
    """Lines (or commas) become the case-folded alias list."""
    client.force_login(world.ada)
    # when
    client.post(
        reverse(CHANGE, args=[configured.pk]),
        _form(configured, aliases="Help@Store.example, orders@store.example\n"),
    )
    # then
    configured.refresh_from_db()
    assert configured.aliases == ["help@store.example", "orders@store.example"]


def _steps(report) -> list[tuple[str, bool]]:
    return [(step.name, step.ok) for step in report.steps]


def test_a_working_mailbox_passes_every_step(client, world, dovecot, smtp):
    """Against the test dovecot and SMTP server every step succeeds, and the page says so."""
    # given
    username, password = dovecot.new_user()
    mailbox = imap_mailbox(
        world.store,
        dovecot,
        username,
        password,
        imap_archive_folder="Done",
        smtp_enabled=True,
        smtp_host=smtp.host,
        smtp_port=smtp.port,
        smtp_security=Security.NONE,
    )
    client.force_login(world.ada)
    # when
    page = client.get(reverse(TEST_CONNECTION, args=[mailbox.pk]))
    # then
    imap_report, smtp_report = page.context["reports"]
    assert _steps(imap_report) == [
        (StepName.DNS, True),
        (StepName.CONNECT, True),
        (StepName.GREETING, True),
        (StepName.LOGIN, True),
        (StepName.FOLDER, True),
        (StepName.ARCHIVE, True),
    ]
    assert "the first poll creates it" in imap_report.steps[-1].detail
    assert _steps(smtp_report) == [
        (StepName.DNS, True),
        (StepName.CONNECT, True),
        (StepName.GREETING, True),
        (StepName.EHLO, True),
    ]
    assert page.content.decode().count("works") == 2


def test_wrong_password_and_refused_connection_are_named_precisely(client, world, dovecot):
    """IMAP with a wrong password fails at authentication with dovecot's words; SMTP on a port
    nobody listens on fails at the TCP connection, naming the address that refused."""
    # given
    username, _password = dovecot.new_user()
    port = closed_port()
    mailbox = imap_mailbox(
        world.store,
        dovecot,
        username,
        "wrong",
        smtp_enabled=True,
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_security=Security.NONE,
    )
    client.force_login(world.ada)
    # when
    page = client.get(reverse(TEST_CONNECTION, args=[mailbox.pk]))
    # then
    imap_report, smtp_report = page.context["reports"]
    assert imap_report.failed_step.name == StepName.LOGIN
    assert imap_report.failed_step.detail == "[AUTHENTICATIONFAILED] Authentication failed."
    assert smtp_report.failed_step.name == StepName.CONNECT
    assert smtp_report.failed_step.detail == f"127.0.0.1:{port} refused the connection"
    html = page.content.decode()
    assert "failed at “Authentication”" in html and "failed at “TCP connection”" in html


def test_an_unknown_host_fails_at_the_dns_lookup(world):
    """A host name that does not resolve stops at the first step, for both protocols."""
    # given
    mailbox = Mailbox(
        store=world.store,
        address=SUPPORT,
        imap_host="imap.does-not-exist.invalid",
        smtp_host="smtp.does-not-exist.invalid",
    )
    # when
    reports = [probe_imap(mailbox), probe_smtp(mailbox)]
    # then
    for report in reports:
        assert _steps(report) == [(StepName.DNS, False)]
        assert report.failed_step.detail.startswith(f"{report.host}: ")


def test_a_missing_folder_is_named_with_the_folders_that_exist(world, dovecot):
    """The folder step lists what the server has, so the admin can pick the right name."""
    # given
    mailbox = imap_mailbox(world.store, dovecot, *dovecot.new_user(), imap_folder="Support")
    # when
    report = probe_imap(mailbox)
    # then
    assert report.failed_step.name == StepName.FOLDER
    assert report.failed_step.detail == "“Support” does not exist. Folders on the server: INBOX"


def test_tls_against_a_plain_server_fails_at_the_handshake(world, dovecot):
    """SSL/TLS configured for a port that speaks plain IMAP: the TLS handshake step fails."""
    # given
    mailbox = imap_mailbox(world.store, dovecot, *dovecot.new_user(), imap_security=Security.SSL)
    # when
    report = probe_imap(mailbox)
    # then
    assert _steps(report) == [(StepName.DNS, True), (StepName.CONNECT, True), (StepName.TLS, False)]


def test_missing_starttls_and_rejected_smtp_login_are_named(world, dovecot, smtp):
    """A server without STARTTLS fails that step (IMAP and SMTP alike); an SMTP login the server
    rejects fails at authentication with its reply."""
    # given
    starttls = imap_mailbox(
        world.store,
        dovecot,
        *dovecot.new_user(),
        imap_security=Security.STARTTLS,
        smtp_host=smtp.host,
        smtp_port=smtp.port,
        smtp_security=Security.STARTTLS,
    )

    def refuse(server, session, envelope, mechanism, auth_data):
        return AuthResult(success=False, handled=False)

    # when
    imap_report, smtp_report = probe_imap(starttls), probe_smtp(starttls)
    with run_smtp(authenticator=refuse, auth_require_tls=False) as guarded:
        login = Mailbox(
            store=world.store,
            address=SUPPORT,
            smtp_host=guarded.host,
            smtp_port=guarded.port,
            smtp_security=Security.NONE,
            smtp_username="shop",
            smtp_password="wrong",
        )
        login_report = probe_smtp(login)
    # then
    assert imap_report.failed_step.name == StepName.STARTTLS
    assert imap_report.failed_step.detail == "The server does not offer STARTTLS."
    assert smtp_report.failed_step.name == StepName.STARTTLS
    assert smtp_report.failed_step.detail == "The server does not offer STARTTLS."
    assert login_report.failed_step.name == StepName.LOGIN
    assert login_report.failed_step.detail == "535 5.7.8 Authentication credentials invalid"


def test_only_admins_reach_the_mailbox_admin(client, world, configured):
    """Agents and leads are sent to the admin login; the page does not try any connection."""
    # given
    client.force_login(world.lena)
    # when
    response = client.get(reverse(TEST_CONNECTION, args=[configured.pk]))
    # then
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_failed_mail_is_sent_again_from_the_outbound_list(client, world, smtp):
    """The "Send the failed ones again" action queues failed mail for a new attempt."""
    # given
    smtp_mailbox(world.store, smtp)
    smtp.handler.data_replies.append("554 5.7.1 Rejected")
    outbound = OutboundEmail.objects.get(message=reply(world.maria_ticket, world.anna))
    assert outbound.status == OutboundStatus.FAILED
    client.force_login(world.ada)
    # when
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(
            reverse("admin:email_outboundemail_changelist"),
            {"action": "send_again", "_selected_action": [outbound.pk]},
        )
    # then
    outbound.refresh_from_db()
    assert outbound.status == OutboundStatus.SENT
    assert len(smtp.handler.received) == 1


def test_the_mailbox_list_shows_polling_trouble_and_finds_aliases(client, world, configured):
    """The list marks a mailbox whose last poll failed, with the server's words in the tooltip;
    searching finds a mailbox by one of its other addresses."""
    # given
    Mailbox.objects.filter(pk=configured.pk).update(
        aliases=["orders@store.example"], last_poll_error="[AUTHENTICATIONFAILED] Authentication"
    )
    Mailbox.objects.create(store=world.store, name="Other", address="other@store.example")
    client.force_login(world.ada)
    changelist = reverse("admin:email_mailbox_changelist")
    # when
    listed = client.get(changelist)
    found = client.get(changelist, {"q": "orders@"})
    # then
    assert 'title="[AUTHENTICATIONFAILED] Authentication"' in listed.content.decode()
    assert [m.address for m in found.context["cl"].result_list] == [SUPPORT]
