"""``zabota ingest-email``: store one RFC 822 message read from stdin (for Postfix/Exim pipes).

Exit codes follow sendmail's (sysexits.h), which MTAs act on: 0 the message is stored (it is
processed by the worker; a mail that cannot be parsed is quarantined, still 0); 75 EX_TEMPFAIL it
could not be stored (database or disk unavailable, unknown ``--store``): the MTA keeps the mail
and tries again later; 65 EX_DATAERR the input was empty.
"""

import logging
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from zabota.channels.email.constants import Source
from zabota.channels.email.inbound import store_raw
from zabota.channels.email.mailboxes import mailbox_for_address
from zabota.channels.email.models import Mailbox
from zabota.commerce.models import Store

logger = logging.getLogger(__name__)

EX_DATAERR = 65
EX_TEMPFAIL = 75


class Command(BaseCommand):
    help = (
        "Store one e-mail read from standard input and queue it for processing. "
        "Without --store the recipient address decides the store."
    )
    # The MTA waits for us: skip the system checks, they cost time on every mail.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--store", metavar="SLUG", help="Deliver to this store's support address."
        )
        parser.add_argument(
            "--recipient",
            metavar="ADDR",
            default="",
            help="The envelope recipient (Postfix: ${recipient}); routes the mail without --store.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        raw = sys.stdin.buffer.read()
        if not raw.strip():
            raise CommandError(_("No message on standard input."), returncode=EX_DATAERR)
        recipient: str = options["recipient"] or ""
        try:
            mailbox = self._mailbox(options["store"], recipient)
            inbound, created = store_raw(
                raw, source=Source.PIPE, mailbox=mailbox, envelope_recipient=recipient
            )
        except CommandError:
            raise
        except Exception as exc:
            # Database or disk down, or a bug: the MTA keeps the mail and retries, nothing is lost.
            logger.exception("ingest-email could not store the message")
            raise CommandError(
                _("The message could not be stored, try again later: %(error)s") % {"error": exc},
                returncode=EX_TEMPFAIL,
            ) from exc
        if options["verbosity"] > 1:
            state = _("stored") if created else _("already stored")
            self.stdout.write(f"{state}: #{inbound.pk}")

    @staticmethod
    def _mailbox(slug: str | None, recipient: str) -> Mailbox | None:
        if not slug:
            return None
        store = Store.objects.filter(slug=slug).first()
        if store is None:
            raise CommandError(
                _("No store with the slug %(slug)s.") % {"slug": slug}, returncode=EX_TEMPFAIL
            )
        addressed = mailbox_for_address(recipient) if recipient else None
        if addressed is not None and addressed.store_id == store.pk:
            return addressed
        return store.mailboxes.filter(is_active=True).order_by("pk").first() or (
            mailbox_for_address(store.email) if store.email else None
        )
