"""``zabota api-token EMAIL [--name NAME]``: create a personal REST API token.

The raw token is printed alone on the last line, so that scripts can take it with ``tail -1``.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from zabota.accounts.actions import do_create_api_token
from zabota.accounts.models import User


class Command(BaseCommand):
    def add_arguments(self, parser: CommandParser) -> None:
        # argparse cannot format lazy strings, so the texts are translated here, at run time.
        parser.description = _("Create a REST API token for a user and print it (last line).")
        parser.add_argument("email", help=_("E-mail address of the user the token acts as."))
        parser.add_argument(
            "--name",
            default="cli",
            help=_("What the token is for (shown in the token list)."),
        )

    def handle(self, *args: Any, email: str, name: str, **options: Any) -> None:
        user = User.objects.filter(email__iexact=email.strip()).first()
        if user is None:
            raise CommandError(_("No user with the e-mail address %(email)s.") % {"email": email})
        if not user.is_active:
            raise CommandError(_("The account of %(email)s is deactivated.") % {"email": email})
        # The operator at the console acts for the user: the token is theirs.
        raw = do_create_api_token(user, name=name, actor=user)
        self.stdout.write(
            _("Created API token “%(name)s” for %(user)s <%(email)s>. It is shown only once:")
            % {"name": name, "user": user.name, "email": user.email}
        )
        self.stdout.write(raw)
