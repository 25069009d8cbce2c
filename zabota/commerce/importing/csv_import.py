"""Import an order CSV into a store: every order validated, the good ones written in batches
through :func:`bulk.bulk_upsert_orders`, the rejected ones reported with their line numbers;
then the figures and segments of every customer whose orders changed are refreshed, once per
customer (a customer's orders are spread over the whole file: refreshing them with every batch
that has one would do the same work about three times over).

A batch is one transaction: a failure part-way leaves whole batches imported and nothing of the
rest; running the import again completes it (upserts by external id), and refreshes the
customers whose figures were left behind their orders. A dry run writes each batch and rolls it
back, so that its counts are exactly those of a real run.
"""

import csv
import gc
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from zabota.accounts.models import User
from zabota.commerce import metrics
from zabota.commerce.importing.bulk import BulkResult, bulk_upsert_orders
from zabota.commerce.importing.formats import CsvFormat
from zabota.commerce.importing.rows import OrderFile, Parsed, Rejected
from zabota.commerce.models import Store
from zabota.commerce.order_data import OrderData

BATCH = 1000
# Customers whose figures are refreshed in one transaction at the end.
REFRESH_BATCH = 2000
# Rejections kept in memory for the command's listing; the report file gets all of them.
KEPT_REJECTIONS = 20


@dataclass
class ImportSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected_orders: int = 0
    rejected_lines: int = 0
    customers_created: int = 0
    customers_refreshed: int = 0
    seconds: float = 0.0
    first_rejections: list[Rejected] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return self.created + self.updated + self.unchanged

    def add(self, result: BulkResult) -> None:
        self.created += result.created
        self.updated += result.updated
        self.unchanged += result.unchanged
        self.customers_created += result.customers_created


class ReportWriter:
    """The rejected rows as CSV: line, reason, then the row's cells under the file's own header
    — so the report, once corrected, can be imported again with the same options."""

    def __init__(self, stream: TextIO, header: Sequence[str]) -> None:
        self.writer = csv.writer(stream)
        self.writer.writerow(["line", "reason", *header])

    def write(self, rejected: Rejected) -> None:
        for line, cells in zip(rejected.lines, rejected.rows, strict=True):
            self.writer.writerow([line, reason_for_line(rejected, line), *cells])


def reason_for_line(rejected: Rejected, line: int) -> str:
    if line == rejected.bad_line or rejected.bad_line not in rejected.lines:
        return rejected.reason
    return _("%(reason)s (line %(line)d of the same order)") % {
        "reason": rejected.reason,
        "line": rejected.bad_line,
    }


def describe(rejected: Rejected) -> str:
    """ "line 12: Total: not an amount: 'abc'", or for an order of several rows
    "lines 12–14 (order #1001): line 13: Lineitem price: missing"."""
    if rejected.lines == (rejected.bad_line,):
        return _("line %(line)d: %(reason)s") % {
            "line": rejected.bad_line,
            "reason": rejected.reason,
        }
    if len(rejected.lines) == 1:
        return _("line %(first)d (order %(order)s): line %(line)d: %(reason)s") % {
            "first": rejected.lines[0],
            "order": rejected.ref,
            "line": rejected.bad_line,
            "reason": rejected.reason,
        }
    return _("lines %(first)d–%(last)d (order %(order)s): line %(line)d: %(reason)s") % {
        "first": rejected.lines[0],
        "last": rejected.lines[-1],
        "order": rejected.ref,
        "line": rejected.bad_line,
        "reason": rejected.reason,
    }


def _write_batch(
    store: Store, batch: list[OrderData], *, dry_run: bool, actor: User | None
) -> BulkResult:
    # A concurrent webhook may insert one of the batch's orders or customers between our reads
    # and our inserts: the batch is rolled back and done again, finding them stored.
    for attempt in range(2):
        try:
            with transaction.atomic():
                result = bulk_upsert_orders(store, batch, actor=actor, refresh=False)
                if dry_run:
                    transaction.set_rollback(True)
            return result
        except IntegrityError:
            if attempt:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


# (what is being done: "orders" or "customers", how far, of how many) → None
Progress = Callable[[str, int, int], None]


def import_orders(
    order_file: OrderFile,
    *,
    store: Store,
    dry_run: bool = False,
    report: ReportWriter | None = None,
    batch_size: int = BATCH,
    actor: User | None = None,
    progress: Progress | None = None,
) -> ImportSummary:
    """Import every good order of ``order_file`` into ``store``. ``progress`` hears of the
    lines read after each batch, then of the customers refreshed."""
    with _fewer_collections():
        return _import(order_file, store, dry_run, report, batch_size, actor, progress)


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """The import allocates millions of short-lived objects: with the default thresholds the
    cyclic garbage collector runs every few thousand allocations and, now and then, walks the
    whole heap (a tenth of the import's time). Objects alive before the import are frozen out of
    its collections, and the youngest generation is collected less often."""
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(50_000, *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def _import(
    order_file: OrderFile,
    store: Store,
    dry_run: bool,
    report: ReportWriter | None,
    batch_size: int,
    actor: User | None,
    progress: Progress | None,
) -> ImportSummary:
    summary = ImportSummary()
    started = time.perf_counter()
    affected: set[int] = set()
    try:
        for group, line in _groups(order_file, batch_size):
            batch = []
            for item in group:
                if isinstance(item, Parsed):
                    batch.append(item.data)
                    continue
                summary.rejected_orders += 1
                summary.rejected_lines += len(item.lines)
                if len(summary.first_rejections) < KEPT_REJECTIONS:
                    summary.first_rejections.append(item)
                if report is not None:
                    report.write(item)
            if batch:
                result = _write_batch(store, batch, dry_run=dry_run, actor=actor)
                summary.add(result)
                if not dry_run:
                    affected.update(result.affected)
            if progress is not None:
                progress("orders", line - 1, order_file.data_lines)
    finally:
        # Also when a broken line stops the import: the batches before it are committed.
        refresh_figures(store, affected, progress=progress)
    summary.customers_refreshed = len(affected)
    summary.seconds = time.perf_counter() - started
    return summary


def _groups(
    order_file: OrderFile, batch_size: int
) -> Iterator[tuple[list[Parsed | Rejected], int]]:
    """The file's orders in groups of ``batch_size`` good ones (with the rejected ones among
    them, in file order), each with the last line read."""
    group: list[Parsed | Rejected] = []
    good = 0
    for item in order_file:
        group.append(item)
        good += isinstance(item, Parsed)
        if good >= batch_size:
            yield group, order_file.line
            group, good = [], 0
    yield group, order_file.line


def refresh_figures(
    store: Store, customer_ids: Iterable[int], *, progress: Progress | None = None
) -> None:
    """``metrics.refresh`` of these customers, a transaction per ``REFRESH_BATCH``."""
    ids = sorted(customer_ids)
    for start in range(0, len(ids), REFRESH_BATCH):
        with transaction.atomic():
            metrics.refresh(store, ids[start : start + REFRESH_BATCH])
        if progress is not None:
            progress("customers", min(start + REFRESH_BATCH, len(ids)), len(ids))


def open_order_file(
    path: str | Path,
    fmt: CsvFormat,
    *,
    store: Store,
    mapping: Sequence[tuple[str, str]] = (),
    encoding: str = "utf-8-sig",
) -> OrderFile:
    return OrderFile(path, fmt, store=store, mapping=mapping, encoding=encoding)
