"""Test data for the transports: mailboxes pointing at the test servers, replies sent through the
real action, and a translation catalogue for checking the language of outgoing mail."""

from datetime import timedelta
from pathlib import Path

import polib
from django.test import TestCase
from django.utils import timezone

from zabota.accounts.models import User
from zabota.channels.email.constants import Security
from zabota.channels.email.models import Mailbox, OutboundEmail
from zabota.channels.email.tests.servers import Dovecot, SmtpServer
from zabota.commerce.models import Store
from zabota.tickets.actions import do_add_reply
from zabota.tickets.models import Message, Ticket

SUPPORT = "support@store.example"
# The footer every reply carries (templates/email/_footer.*), as its msgid.
FOOTER_MSGID = "Request #%(number)s at %(store)s. To add anything, simply reply to this e-mail."


def smtp_mailbox(store: Store, server: SmtpServer, **fields: object) -> Mailbox:
    """The store's support mailbox, sending through the aiosmtpd test server."""
    values: dict[str, object] = {
        "name": "Support",
        "address": SUPPORT,
        "smtp_enabled": True,
        "smtp_host": server.host,
        "smtp_port": server.port,
        "smtp_security": Security.NONE,
        **fields,
    }
    return Mailbox.objects.create(store=store, **values)


def imap_mailbox(
    store: Store, dovecot: Dovecot, username: str, password: str, **fields: object
) -> Mailbox:
    """The store's support mailbox, polling a user's INBOX on the test dovecot."""
    values: dict[str, object] = {
        "name": "Support",
        "address": SUPPORT,
        "imap_enabled": True,
        "imap_host": dovecot.host,
        "imap_port": dovecot.port,
        "imap_security": Security.NONE,
        "imap_username": username,
        "imap_password": password,
        **fields,
    }
    return Mailbox.objects.create(store=store, **values)


def reply(ticket: Ticket, agent: User, text: str = "Your parcel left yesterday.") -> Message:
    """An agent's reply through the real action, with what its commit triggers (the e-mail)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return do_add_reply(ticket, body_text=text, actor=agent)


def make_due(outbound: OutboundEmail) -> None:
    """Let the time until the next attempt pass."""
    OutboundEmail.objects.filter(pk=outbound.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )


def catalogue(root: Path, language: str, translations: dict[str, str]) -> Path:
    """A LOCALE_PATHS directory whose ``language`` catalogue holds ``translations``."""
    po = polib.POFile()
    po.metadata = {"Content-Type": "text/plain; charset=utf-8", "Language": language}
    for msgid, msgstr in translations.items():
        po.append(polib.POEntry(msgid=msgid, msgstr=msgstr))
    target = root / "locale" / language / "LC_MESSAGES"
    target.mkdir(parents=True, exist_ok=True)
    po.save_as_mofile(str(target / "django.mo"))
    return root / "locale"
