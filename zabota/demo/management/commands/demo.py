"""`zabota demo`: a believable store to click through (team, customers, their orders, tickets
about them), and `--tickets N` for benchmarks."""

from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rich.console import Console
from rich.markup import escape

from zabota.demo import data
from zabota.demo.automation import configure_automation, deliver_history, start_demo_clocks
from zabota.demo.build import Setup, build_demo, demo_store, load_setup, wipe_demo
from zabota.demo.bulk import add_bulk_tickets
from zabota.demo.chat import configure_demo_chat
from zabota.demo.surveys import add_demo_surveys


class Command(BaseCommand):
    def add_arguments(self, parser: CommandParser) -> None:
        # argparse cannot format lazy strings, so the texts are translated here, at run time.
        parser.description = _(
            "Create the demo store: its team, customers with their orders, and tickets with "
            "whole conversations about them. "
            "Does nothing if it exists, unless --reset. --tickets N then adds N generated "
            "tickets for benchmarks."
        )
        parser.add_argument("--seed", type=int, default=7, help=_("Random seed (default 7)."))
        parser.add_argument(
            "--customers", type=int, default=400, help=_("Customers of the demo store.")
        )
        parser.add_argument(
            "--stories",
            type=int,
            default=600,
            help=_("Tickets played through the real actions (default 600)."),
        )
        parser.add_argument(
            "--tickets",
            type=int,
            default=0,
            help=_("Then add this many generated tickets with bulk inserts (benchmarks)."),
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help=_("First delete the demo store, its made-up customers and the demo team."),
        )

    def configure_automation(self, setup: Setup, log: Callable[[str], None]) -> None:
        """The history's events first, then calendar, SLA policies, routing and rules."""
        delivered = deliver_history()
        log(
            ngettext(
                "Delivered %(count)d event of the history.",
                "Delivered %(count)d events of the history.",
                delivered,
            )
            % {"count": delivered}
        )
        admin = next(user for user in setup.members.values() if user.is_admin)
        configure_automation(setup.store, admin=admin)
        clocks = start_demo_clocks(setup.store)
        log(
            ngettext(
                "Business hours, SLA policies, routing and rules set up; %(count)d SLA clock.",
                "Business hours, SLA policies, routing and rules set up; %(count)d SLA clocks.",
                clocks,
            )
            % {"count": clocks}
        )

    def handle(self, *args: Any, **options: Any) -> None:
        seed, tickets = options["seed"], options["tickets"]
        if tickets < 0 or options["customers"] < 1 or options["stories"] < 1:
            raise CommandError(
                _("--customers and --stories must be positive, --tickets must not be negative.")
            )
        # Django's OutputWrapper is file-like (write, flush, isatty) but not typed as IO.
        console = Console(file=self.stdout, highlight=False, soft_wrap=True)  # type: ignore[arg-type]

        def log(message: str) -> None:
            console.print(escape(message))

        if connection.vendor == "postgresql":
            # Demo data can be made again: don't wait for the disk on each of the thousands of
            # small commits (every action's outbox dispatch task is enqueued after commit).
            with connection.cursor() as cursor:
                cursor.execute("SET synchronous_commit TO OFF")
        store = demo_store()
        if store is not None and options["reset"]:
            log(_("Deleting the demo store “%(name)s” …") % {"name": store.name})
            wipe_demo(store, log=log)
            store = None
        if store is None:
            log(_("Creating the demo store …"))
            setup = build_demo(
                seed=seed, customers=options["customers"], tickets=options["stories"], log=log
            )
            store = setup.store
            # About 300 survey answers with the default 600 stories; fewer for a small demo.
            answered = add_demo_surveys(
                store, seed=seed, responses=min(300, options["stories"] // 2)
            )
            log(
                ngettext(
                    "%(count)d survey answer in the five ready-made surveys.",
                    "%(count)d survey answers in the five ready-made surveys.",
                    answered,
                )
                % {"count": answered}
            )
            # The chat widget, and two callback requests with their SLA policy (placed first).
            chat = configure_demo_chat(store)
            log(
                _("Live chat widget “%(key)s”: try it at /widget/%(key)s/try/.")
                % {"key": chat.widget_key}
            )
            # Their events (and the follow-up tickets bad answers open, and the callbacks') are
            # delivered before the rules exist, like the history's.
            deliver_history()
            self.configure_automation(setup, log)
        elif not tickets:
            log(
                _("The demo store “%(name)s” exists already; nothing to do.") % {"name": store.name}
            )
            log(_("Use --reset to build it again, or --tickets N to add tickets."))
            return
        if tickets:
            added = add_bulk_tickets(load_setup(store), tickets, seed=seed, console=console)
            log(
                ngettext("Added %(count)d ticket.", "Added %(count)d tickets.", added)
                % {"count": added}
            )
        log("")
        log(_("Demo logins (password %(password)s):") % {"password": data.PASSWORD})
        for role, email in data.LOGINS:
            log(f"  {role:<6} {email}")
