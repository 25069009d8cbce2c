"""Reading an order CSV: the header resolved against a layout, rows grouped into orders, every
value validated, each order turned into an :class:`OrderData` or rejected with its line numbers.

Line numbers are physical lines of the file (1 is the header), so that they match what an
editor shows, also when a quoted cell spans several lines: a row is numbered by its first line.
"""

import codecs
import csv
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from zabota.commerce.constants import PAID_IN_FULL, FinancialStatus
from zabota.commerce.importing.formats import (
    FIELDS,
    LINE_FIELDS,
    REQUIRED,
    SHIPPING_ADDRESS_KEYS,
    CsvFormat,
    StatusError,
)
from zabota.commerce.models import Store
from zabota.commerce.order_data import CustomerData, LineData, OrderData, RefundData

# The external id of the one refund a row's refunded amount becomes.
REFUND_ID = "csv"
MAX_ID_LENGTH = 64
# Order amounts have 14 digits, 2 of them decimals.
MAX_AMOUNT = Decimal("1e12")

_PLAIN_AMOUNT = re.compile(r"-?\d+(?:\.\d+)?")
_CURRENCY = re.compile(r"[A-Z]{3}")
_COUNTRY = re.compile(r"[A-Za-z]{2}")


class FileError(Exception):
    """The file cannot be read as an order export of the chosen layout: nothing is imported."""


class RowError(Exception):
    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line = line
        self.reason = reason


@dataclass(frozen=True)
class Parsed:
    data: OrderData
    lines: tuple[int, ...]


@dataclass(frozen=True)
class Rejected:
    """An order (or a row that belongs to none) that is not imported, and why."""

    # Every line of the order, and the line whose value is wrong.
    lines: tuple[int, ...]
    bad_line: int
    reason: str
    rows: tuple[list[str], ...]
    # How the file names the order ("#1001"), "" when it does not.
    ref: str


def normalized_header(value: str) -> str:
    return " ".join(value.lower().split())


class Columns:
    """A file's header resolved against a layout: for each field, the positions of the columns
    that carry it, preferred first."""

    def __init__(
        self, header: Sequence[str], fmt: CsvFormat, mapping: Sequence[tuple[str, str]] = ()
    ) -> None:
        self.header = list(header)
        position: dict[str, int] = {}
        for index, name in enumerate(header):
            position.setdefault(normalized_header(name), index)
        columns = dict(fmt.columns)
        mapped: dict[str, list[str]] = {}
        for column, field in mapping:
            if field not in FIELDS:
                raise FileError(
                    _("--map %(column)s=%(field)s: unknown field %(field)r (known: %(known)s)")
                    % {"column": column, "field": field, "known": ", ".join(FIELDS)}
                )
            if normalized_header(column) not in position:
                raise FileError(
                    _("--map %(column)s=%(field)s: the file has no column %(column)r")
                    % {"column": column, "field": field}
                )
            mapped.setdefault(field, []).append(normalized_header(column))
        columns.update({field: tuple(names) for field, names in mapped.items()})
        self.positions: dict[str, tuple[int, ...]] = {
            field: tuple(position[name] for name in names if name in position)
            for field, names in columns.items()
        }
        if not self.positions.get("external_id") and fmt.id_fallback:
            self.positions["external_id"] = self.positions.get(fmt.id_fallback, ())
        self.group_by = fmt.group_by if self.positions.get(fmt.group_by) else "external_id"
        missing = [field for field in REQUIRED if not self.positions.get(field)]
        if missing:
            raise FileError(
                _(
                    "The file has no column for %(fields)s (%(format)s layout expects %(columns)s)."
                    " Name the file's column with --map COLUMN=field."
                )
                % {
                    "fields": ", ".join(missing),
                    "format": fmt.name,
                    "columns": "; ".join(
                        f"{field}: {' / '.join(repr(c) for c in columns.get(field, ()))}"
                        for field in missing
                    ),
                }
            )
        self.has_lines = bool(self.positions.get("line_title") or self.positions.get("line_sku"))
        self.width = len(header)

    def get(self, cells: Sequence[str], field: str) -> str:
        for index in self.positions.get(field, ()):
            if index < len(cells):
                value = cells[index].strip()
                if value:
                    return value
        return ""

    def label(self, cells: Sequence[str], field: str) -> str:
        """The header of the column a field's value came from on this row, for messages."""
        positions = self.positions.get(field, ())
        for index in positions:
            if index < len(cells) and cells[index].strip():
                return self.header[index]
        return self.header[positions[0]] if positions else field


# --- values ------------------------------------------------------------------------------------


def parse_amount(text: str) -> Decimal:
    """ "1234.5", "1,234.50", "1.234,50", "12,5", "1 234,50" → Decimal. Raises ValueError with
    the reason for anything else, and for "1,234" (thousands or decimals?)."""
    value = text.replace(" ", "").replace("\u00a0", "").replace("'", "")
    if not _PLAIN_AMOUNT.fullmatch(value):
        comma, dot = value.rfind(","), value.rfind(".")
        if comma >= 0 and dot >= 0:
            # Both: the last one separates the decimals.
            if comma > dot:
                value = value.replace(".", "").replace(",", ".")
            else:
                value = value.replace(",", "")
        elif comma >= 0:
            if value.count(",") > 1 or len(value) - comma - 1 == 3:
                raise ValueError(_("ambiguous amount %(value)r (thousands or decimals?)"))
            value = value.replace(",", ".")
        if not _PLAIN_AMOUNT.fullmatch(value):
            raise ValueError(_("not an amount: %(value)r"))
    try:
        amount = Decimal(value)
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only numbers
        raise ValueError(_("not an amount: %(value)r")) from exc
    if abs(amount) >= MAX_AMOUNT:
        raise ValueError(_("amount too large: %(value)r"))
    return amount


def parse_datetime(text: str, tz: tzinfo) -> datetime:
    """ISO 8601 and the platforms' export forms ("2024-05-31 14:05:00 +0200", "2024-05-31
    14:05", "2024-05-31"); a time without offset is in the store's time zone."""
    value = text.strip()
    if value.endswith((" UTC", " GMT")):
        value = value[:-4] + "+00:00"
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(
            _("not a date: %(value)r (expected e.g. 2024-05-31 14:05:00 +02:00)")
        ) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment


class _Row:
    """One row's values with the line number and column names that errors report."""

    def __init__(self, columns: Columns, line: int, cells: list[str], tz: tzinfo) -> None:
        self.columns = columns
        self.line = line
        self.cells = cells
        self.tz = tz

    def text(self, field: str) -> str:
        return self.columns.get(self.cells, field)

    def error(self, field: str, message: str, value: str = "", **more: object) -> RowError:
        """``message`` may use %(value)s (and ``more``); the column's header goes first."""
        column = self.columns.label(self.cells, field)
        return RowError(self.line, f"{column}: {message % {'value': value, **more}}")

    def required(self, field: str) -> str:
        value = self.text(field)
        if not value:
            raise self.error(field, _("missing"))
        return value

    def amount(self, field: str, *, signed: bool = False) -> Decimal | None:
        """None when empty. A negative amount is an error unless ``signed`` (then its size
        counts: exports write discounts and refunds either way)."""
        value = self.text(field)
        if not value:
            return None
        try:
            amount = parse_amount(value)
        except ValueError as exc:
            raise self.error(field, str(exc), value) from exc
        if amount < 0:
            if not signed:
                raise self.error(field, _("negative amount %(value)r"), value)
            amount = -amount
        return amount

    def moment(self, field: str) -> datetime | None:
        value = self.text(field)
        if not value:
            return None
        try:
            return parse_datetime(value, self.tz)
        except ValueError as exc:
            raise self.error(field, str(exc), value) from exc

    def quantity(self, field: str) -> int:
        value = self.text(field)
        if not value:
            return 1
        if not value.isdigit():
            raise self.error(field, _("not a whole number: %(value)r"), value)
        return int(value)


# --- orders ------------------------------------------------------------------------------------


class OrderBuilder:
    """Turns the rows of one order into an :class:`OrderData` (raises :class:`RowError`)."""

    def __init__(self, fmt: CsvFormat, columns: Columns, store: Store) -> None:
        self.fmt = fmt
        self.columns = columns
        self.tz = ZoneInfo(store.time_zone)
        self.base_currency = store.currency.upper()

    def build(self, rows: Sequence[tuple[int, list[str]]]) -> OrderData:
        line, cells = rows[0]
        row = _Row(self.columns, line, cells, self.tz)
        external_id = row.required("external_id")
        if len(external_id) > MAX_ID_LENGTH:
            raise row.error(
                "external_id", _("longer than %(max)d characters"), external_id, max=MAX_ID_LENGTH
            )
        try:
            status, financial, fulfillment = self.fmt.statuses(row.text)
        except StatusError as exc:
            raise row.error(exc.field, _("unknown status %(value)r"), exc.value) from exc
        currency = row.text("currency").upper() or self.base_currency
        if not _CURRENCY.fullmatch(currency):
            raise row.error(
                "currency",
                _("not a currency code: %(value)r (expected three letters, e.g. EUR)"),
                row.text("currency"),
            )
        total = row.amount("total")
        if total is None:
            raise row.error("total", _("missing"))
        placed_at = row.moment("placed_at")
        if placed_at is None:
            raise row.error("placed_at", _("missing"))
        paid_at = row.moment("paid_at")
        cancelled_at = row.moment("cancelled_at")
        paid_amount = row.amount("paid_amount")
        outstanding = row.amount("outstanding_balance")
        if (
            paid_amount is None
            and outstanding is not None
            and financial == FinancialStatus.PARTIALLY_PAID
        ):
            paid_amount = max(total - outstanding, Decimal(0))
        refunded = row.amount("refunded_amount", signed=True)
        refunded_at = row.moment("refunded_at")
        if not refunded and self.fmt.refunded_means_total:
            refunded = total if financial == FinancialStatus.REFUNDED else refunded
        refunds: tuple[RefundData, ...] = ()
        if refunded:
            if refunded > total:
                raise row.error(
                    "refunded_amount",
                    _("refunded %(value)s is more than the total %(total)s"),
                    str(refunded),
                    total=total,
                )
            refunds = (
                RefundData(
                    external_id=REFUND_ID,
                    amount=refunded,
                    refunded_at=refunded_at or cancelled_at or paid_at or placed_at,
                ),
            )
            financial = _after_refund(financial, total, paid_amount, refunded)
        return OrderData(
            source=self.fmt.source,
            external_id=external_id,
            # As the platform writes it: Shopify's "#1001", as its webhooks give it.
            number=row.text("number") or external_id,
            currency=currency,
            total=total,
            placed_at=placed_at,
            customer=self._customer(row),
            status=status,
            financial_status=financial,
            fulfillment_status=fulfillment,
            subtotal=row.amount("subtotal"),
            discount_total=row.amount("discount_total", signed=True) or Decimal(0),
            shipping_total=row.amount("shipping_total") or Decimal(0),
            tax_total=row.amount("tax_total") or Decimal(0),
            paid_amount=paid_amount,
            discount_codes=row.text("discount_codes"),
            shipping_method=row.text("shipping_method"),
            shipping_address=self._address(row),
            paid_at=paid_at,
            cancelled_at=cancelled_at,
            cancel_reason=row.text("cancel_reason"),
            updated_at=row.moment("updated_at"),
            lines=self._lines(rows) if self.columns.has_lines else None,
            refunds=refunds,
        )

    @staticmethod
    def _customer(row: _Row) -> CustomerData:
        first, last = row.text("first_name"), row.text("last_name")
        if not first and not last:
            first, _sep, last = row.text("name").partition(" ")
        country = row.text("country")
        return CustomerData(
            email=row.text("email"),
            # Spreadsheet exports (Shopify's among them) prefix numbers with ' to keep them text.
            phone=row.text("phone").lstrip("'"),
            first_name=first.strip(),
            last_name=last.strip(),
            country=country.upper() if _COUNTRY.fullmatch(country) else "",
        )

    @staticmethod
    def _address(row: _Row) -> dict[str, str]:
        address = {}
        for key in SHIPPING_ADDRESS_KEYS:
            value = row.text(f"shipping_{key}").lstrip("'" if key == "phone" else "")
            if value:
                address[key] = value
        return address

    def _lines(self, rows: Sequence[tuple[int, list[str]]]) -> tuple[LineData, ...] | None:
        """The order's lines; None (leave the stored ones alone) when no row has one."""
        lines = []
        for line, cells in rows:
            row = _Row(self.columns, line, cells, self.tz)
            title, sku = row.text("line_title"), row.text("line_sku")
            if not title and not sku:
                if any(row.text(field) for field in LINE_FIELDS):
                    raise RowError(line, _("a line item without product name or SKU"))
                continue
            price = row.amount("line_price")
            if price is None:
                raise row.error("line_price", _("missing"))
            lines.append(
                LineData(
                    title=title or sku,
                    quantity=row.quantity("line_quantity"),
                    price=price,
                    sku=sku,
                    variant=row.text("line_variant"),
                    total=row.amount("line_total"),
                    external_id=row.text("line_id"),
                )
            )
        return tuple(lines) or None


def _after_refund(
    financial: FinancialStatus, total: Decimal, paid: Decimal | None, refunded: Decimal
) -> FinancialStatus:
    """The payment status a refund leaves, by the rule of ``sync`` (a paid order becomes
    partially or fully refunded), applied to the row itself so that importing it again finds
    nothing to change."""
    if financial not in (FinancialStatus.PAID, FinancialStatus.PARTIALLY_REFUNDED):
        return financial
    if paid is None:
        paid = total if financial in PAID_IN_FULL else Decimal(0)
    return FinancialStatus.REFUNDED if refunded >= paid else FinancialStatus.PARTIALLY_REFUNDED


# --- the file ----------------------------------------------------------------------------------


def _next_to(reason: str) -> str:
    return _("next to this order, %(reason)s") % {"reason": reason}


def _sniff_delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in (",", ";", "\t")}
    return max(counts, key=lambda d: (counts[d], d == ","))


class OrderFile:
    """An order export opened for reading: iterate it for :class:`Parsed` and :class:`Rejected`
    orders in file order. Raises :class:`FileError` when it cannot be read at all (missing,
    not text in ``encoding``, no header, a required column missing)."""

    def __init__(
        self,
        path: str | Path,
        fmt: CsvFormat,
        *,
        store: Store,
        mapping: Sequence[tuple[str, str]] = (),
        encoding: str = "utf-8-sig",
    ) -> None:
        self.path = Path(path)
        self.fmt = fmt
        self.data_lines = self._check(encoding)
        self._file: TextIO = self.path.open(encoding=encoding, newline="")
        try:
            first_line = self._file.readline()
            self._file.seek(0)
            # strict: a malformed line is an error (reported) instead of swallowing the lines
            # after it into one cell.
            self._reader = csv.reader(
                self._file, delimiter=_sniff_delimiter(first_line), strict=True
            )
            header = next(self._reader, None)
            if not header or not any(cell.strip() for cell in header):
                raise FileError(_("The file is empty: no header line."))
            self.columns = Columns(header, fmt, mapping)
        except (FileError, csv.Error) as exc:
            self._file.close()
            raise FileError(str(exc)) from exc
        self.builder = OrderBuilder(fmt, self.columns, store)

    def _check(self, encoding: str) -> int:
        """Lines after the header (for the progress bar); the whole file is decoded once, so
        that a wrong encoding is a file error before anything is imported."""
        try:
            decoder = codecs.getincrementaldecoder(encoding)()
        except LookupError as exc:
            raise FileError(_("Unknown encoding %(encoding)r.") % {"encoding": encoding}) from exc
        lines = 0
        offset = 0
        last = b""
        try:
            with self.path.open("rb") as raw:
                while True:
                    block = raw.read(1 << 20)
                    try:
                        decoder.decode(block, final=not block)
                    except UnicodeDecodeError as exc:
                        raise FileError(
                            _(
                                "The file is not %(encoding)s text (byte %(offset)d); "
                                "give its encoding with --encoding."
                            )
                            % {"encoding": encoding, "offset": offset + exc.start}
                        ) from exc
                    if not block:
                        break
                    lines += block.count(b"\n")
                    offset += len(block)
                    last = block[-1:]
        except OSError as exc:
            raise FileError(
                _("Cannot read %(path)s: %(error)s") % {"path": self.path, "error": exc.strerror}
            ) from exc
        if last and last != b"\n":
            lines += 1
        return max(lines - 1, 0)

    @property
    def line(self) -> int:
        """The last physical line read so far."""
        return self._reader.line_num

    def close(self) -> None:
        self._file.close()

    def _rows(self) -> Iterator[tuple[int, list[str] | csv.Error]]:
        """(first line, cells) per row, or (its line, the error) for a line that is not CSV
        (a quote in the middle of a cell, a quote left open at the end of the file)."""
        previous = self._reader.line_num
        while True:
            try:
                cells = next(self._reader)
            except StopIteration:
                return
            except csv.Error as exc:
                # The reader carries on with the next line.
                yield previous + 1, exc
            else:
                yield previous + 1, cells
            previous = self._reader.line_num

    def __iter__(self) -> Iterator[Parsed | Rejected]:
        columns = self.columns
        group_by = columns.group_by
        seen: dict[str, int] = {}
        group: list[tuple[int, list[str]]] = []
        key = ""
        # A line that is not CSV may belong to the order before it or to the one after it:
        # both are rejected with it, rather than imported without one of their rows.
        broken: tuple[int, str] | None = None
        for start, cells in self._rows():
            if isinstance(cells, csv.Error):
                reason = _("not CSV: %(error)s") % {"error": cells}
                if group:
                    yield self._broken(key, group, start, _next_to(reason))
                    group = []
                yield Rejected((start,), start, reason, ([],), "")
                broken = (start, reason)
                continue
            if not any(cell.strip() for cell in cells):
                continue
            row_key = columns.get(cells, group_by)
            if group and row_key == key:
                group.append((start, cells))
                continue
            if group:
                yield self._order(key, group, seen, broken)
                broken = None
            group, key = [(start, cells)], row_key
            if not row_key:  # a row without an order id belongs to no order
                yield self._order(key, group, seen, broken)
                group, broken = [], None
        if group:
            yield self._order(key, group, seen, broken)

    def _broken(
        self, key: str, group: list[tuple[int, list[str]]], line: int, reason: str
    ) -> Rejected:
        return Rejected(
            lines=tuple(start for start, _cells in group),
            bad_line=line,
            reason=reason,
            rows=tuple(cells for _start, cells in group),
            ref=key,
        )

    def _order(
        self,
        key: str,
        group: list[tuple[int, list[str]]],
        seen: dict[str, int],
        broken: tuple[int, str] | None = None,
    ) -> Parsed | Rejected:
        lines = tuple(line for line, _cells in group)
        if broken is not None:
            if key:
                seen.setdefault(key, lines[0])
            line, reason = broken
            return self._broken(key, group, line, _next_to(reason))
        try:
            for line, cells in group:
                if len(cells) > self.columns.width:
                    raise RowError(
                        line,
                        _("%(cells)d cells, but the header has %(columns)d columns")
                        % {"cells": len(cells), "columns": self.columns.width},
                    )
            if not key:
                row = _Row(self.columns, lines[0], group[0][1], self.builder.tz)
                raise row.error(self.columns.group_by, _("missing"))
            if key in seen:
                raise RowError(
                    lines[0],
                    _(
                        "order %(order)s appeared before, on line %(line)d: the rows of one "
                        "order must follow each other, and an order may appear only once"
                    )
                    % {"order": key, "line": seen[key]},
                )
            seen[key] = lines[0]
            return Parsed(self.builder.build(group), lines)
        except RowError as exc:
            return Rejected(
                lines=lines,
                bad_line=exc.line,
                reason=exc.reason,
                rows=tuple(cells for _line, cells in group),
                ref=key,
            )
