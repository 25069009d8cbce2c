"""``zabota import-orders FILE --format shopify|woocommerce|generic``: import an order export.

Exit codes: 0 every row was imported; 1 some orders were rejected (the good ones are imported;
the rejected rows are listed on stderr and written to ``--report``); 2 nothing was imported
because of the command line or the file (unknown store or column, unreadable file).
See docs/commerce-import.md.
"""

from pathlib import Path
from typing import Any, TextIO, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from zabota.commerce.importing.csv_import import (
    ImportSummary,
    ReportWriter,
    describe,
    import_orders,
    open_order_file,
)
from zabota.commerce.importing.formats import FIELDS, FORMATS
from zabota.commerce.importing.rows import FileError
from zabota.commerce.models import Store

EX_REJECTED = 1
EX_USAGE = 2
# Rejections listed on stderr; the report has all of them.
SHOWN = 10


def _mapping(values: list[str]) -> list[tuple[str, str]]:
    pairs = []
    for value in values:
        column, sep, field = value.rpartition("=")
        if not sep or not column.strip() or not field.strip():
            raise CommandError(
                _("--map takes COLUMN=field, got %(value)r") % {"value": value},
                returncode=EX_USAGE,
            )
        pairs.append((column.strip(), field.strip()))
    return pairs


class Command(BaseCommand):
    help = (
        "Import orders from a CSV export (Shopify, WooCommerce or the generic layout). "
        "Orders are upserted by their id: importing a file again changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", metavar="FILE", help="the CSV file")
        parser.add_argument(
            "--store",
            metavar="SLUG",
            help="the store the orders belong to (may be left out when there is only one)",
        )
        parser.add_argument(
            "--format", choices=sorted(FORMATS), required=True, help="the file's layout"
        )
        parser.add_argument(
            "--map",
            metavar="COLUMN=field",
            action="append",
            default=[],
            help=(
                "read our field from the file's COLUMN (repeatable); fields: " + ", ".join(FIELDS)
            ),
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="validate and count what would change, write nothing",
        )
        parser.add_argument(
            "--report",
            metavar="FILE",
            help="write the rejected rows to this CSV file (line, reason, the row)",
        )
        parser.add_argument(
            "--encoding", default="utf-8-sig", help="the file's encoding (default UTF-8)"
        )
        parser.add_argument(
            "--batch-size", type=int, default=1000, help="orders per transaction (default 1000)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            # Before any database access: a typo in the path is the commonest mistake.
            raise CommandError(
                _("Cannot read %(path)s: no such file.") % {"path": path}, returncode=EX_USAGE
            )
        mapping = _mapping(options["map"])
        store = self._store(options["store"])
        fmt = FORMATS[options["format"]]
        try:
            order_file = open_order_file(
                path,
                fmt,
                store=store,
                mapping=mapping,
                encoding=options["encoding"],
            )
        except FileError as exc:
            raise CommandError(str(exc), returncode=EX_USAGE) from exc
        try:
            report_stream = None
            if options["report"]:
                try:
                    report_stream = open(options["report"], "w", newline="", encoding="utf-8")  # noqa: SIM115
                except OSError as exc:
                    raise CommandError(
                        _("Cannot write the report %(path)s: %(error)s")
                        % {"path": options["report"], "error": exc.strerror},
                        returncode=EX_USAGE,
                    ) from exc
            report = (
                ReportWriter(report_stream, order_file.columns.header) if report_stream else None
            )
            progress = self._progress(options["verbosity"])
            with progress:
                # Lines of the file (an order may take several), then customers refreshed.
                descriptions = {"orders": _("Lines read"), "customers": _("Customers refreshed")}
                tasks = {
                    "orders": progress.add_task(descriptions["orders"], total=order_file.data_lines)
                }

                def advance(stage: str, done: int, total: int) -> None:
                    if stage not in tasks:  # the second bar's clock starts with its work
                        tasks[stage] = progress.add_task(descriptions[stage], total=total)
                    progress.update(tasks[stage], completed=done, total=total)

                summary = import_orders(
                    order_file,
                    store=store,
                    dry_run=options["dry_run"],
                    report=report,
                    batch_size=max(options["batch_size"], 1),
                    progress=advance,
                )
        except FileError as exc:
            raise CommandError(str(exc), returncode=EX_USAGE) from exc
        finally:
            order_file.close()
            if report_stream is not None:
                report_stream.close()
        self._print(summary, dry_run=options["dry_run"], report=options["report"])
        if summary.rejected_orders:
            raise CommandError(
                ngettext(
                    "%(count)d order rejected.",
                    "%(count)d orders rejected.",
                    summary.rejected_orders,
                )
                % {"count": summary.rejected_orders},
                returncode=EX_REJECTED,
            )

    @staticmethod
    def _store(slug: str | None) -> Store:
        if slug:
            store = Store.objects.filter(slug=slug).first()
            if store is None:
                raise CommandError(
                    _("No store with the slug %(slug)s.") % {"slug": slug}, returncode=EX_USAGE
                )
            return store
        stores = list(Store.objects.order_by("pk")[:2])
        if len(stores) != 1:
            raise CommandError(_("Name the store with --store SLUG."), returncode=EX_USAGE)
        return stores[0]

    def _progress(self, verbosity: int) -> Progress:
        # Onto the real stderr stream: rich draws the bar itself (BaseCommand's wrapper would
        # add a newline to every redraw). Not a terminal: only the final state is printed.
        console = Console(file=cast(TextIO, self.stderr._out), quiet=verbosity == 0, stderr=True)
        return Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
        )

    def _print(self, summary: ImportSummary, *, dry_run: bool, report: str | None) -> None:
        values = {
            "created": summary.created,
            "updated": summary.updated,
            "unchanged": summary.unchanged,
            "rejected": summary.rejected_orders,
            "lines": summary.rejected_lines,
            "seconds": summary.seconds,
            "rate": summary.imported / summary.seconds if summary.seconds else 0,
        }
        if dry_run:
            line = _(
                "Dry run, nothing written. Would import %(created)d new orders, update "
                "%(updated)d, leave %(unchanged)d unchanged; %(rejected)d rejected "
                "(%(lines)d lines)."
            )
        else:
            line = _(
                "Imported %(created)d new orders, updated %(updated)d, %(unchanged)d unchanged; "
                "%(rejected)d rejected (%(lines)d lines). %(seconds).1f s, %(rate).0f orders/s."
            )
        self.stdout.write(line % values)
        for rejected in summary.first_rejections[:SHOWN]:
            self.stderr.write(describe(rejected))
        more = summary.rejected_orders - min(SHOWN, len(summary.first_rejections))
        if more > 0:
            self.stderr.write(
                (
                    _("… and %(count)d more orders, listed in %(report)s.")
                    if report
                    else _("… and %(count)d more orders; --report FILE lists them all.")
                )
                % {"count": more, "report": report}
            )
        elif summary.rejected_orders and report:
            self.stderr.write(_("Rejected rows written to %(report)s.") % {"report": report})
