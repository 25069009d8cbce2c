"""`zabota import-orders`: Shopify, WooCommerce and generic CSV exports, validated row by row,
imported in bulk with the result of the per-order upserts, and idempotent."""

import csv
import io
import os
import subprocess
import sys
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction

from zabota.commerce.constants import (
    FinancialStatus,
    FulfillmentStatus,
    OrderStatus,
    Segment,
    Source,
)
from zabota.commerce.importing import csv_import
from zabota.commerce.importing.bulk import bulk_upsert_orders
from zabota.commerce.importing.csv_import import open_order_file
from zabota.commerce.importing.formats import FORMATS
from zabota.commerce.importing.rows import Parsed, parse_amount, parse_datetime
from zabota.commerce.importing.sample import write_shopify_sample
from zabota.commerce.models import (
    CustomerSegment,
    CustomerStats,
    ExchangeRate,
    Order,
    Refund,
)
from zabota.commerce.order_data import LineData, OrderData, RefundData
from zabota.commerce.sync import ORDER_FIELDS, _line_key, do_upsert_order
from zabota.commerce.tests.factories import order_data
from zabota.core.models import OutboxEvent
from zabota.customers.actions import do_create_customer
from zabota.customers.models import Customer, CustomerEvent, Identity

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
ZABOTA = Path(sys.executable).parent / "zabota"


def run(*args: str, store: str = "demo") -> tuple[int, str, str]:
    """The command as an admin runs it: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_orders", *args, "--store", store, stdout=out, stderr=err)
        code = 0
    except CommandError as exc:
        err.write(str(exc))
        code = exc.returncode
    return code, out.getvalue(), err.getvalue()


def last_event_id() -> int:
    return OutboxEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def event_counts(after: int) -> dict[str, int]:
    counts: dict[str, int] = {}
    for kind in OutboxEvent.objects.filter(pk__gt=after).values_list("type", flat=True):
        counts[kind] = counts.get(kind, 0) + 1
    return counts


def customer_with(value: str) -> Customer:
    return Identity.objects.select_related("customer").get(value=value).customer


def stats_of(world, customer: Customer) -> CustomerStats:
    return CustomerStats.objects.get(store=world.store, customer=customer)


def segments_of(world, customer: Customer) -> set[str]:
    return set(
        CustomerSegment.objects.filter(store=world.store, customer=customer).values_list(
            "segment", flat=True
        )
    )


# --- formats -----------------------------------------------------------------------------------


def test_a_shopify_export_becomes_orders_lines_customers_and_figures(world):
    """One row per line item, the order's columns on its first row: grouped by order name,
    matched to customers by case-folded e-mail, new customers get e-mail and phone."""
    # given
    mark = last_event_id()
    # when
    code, out, err = run(str(DATA / "shopify_orders.csv"), "--format", "shopify")
    # then
    assert code == 0, err
    assert "Imported 5 new orders, updated 0, 0 unchanged; 0 rejected" in out
    first = Order.objects.get(source=Source.SHOPIFY, external_id="5100000001")
    assert first.number == "#1001"
    assert first.customer == world.maria
    assert first.financial_status == FinancialStatus.PAID
    assert first.fulfillment_status == FulfillmentStatus.FULFILLED
    assert first.placed_at == datetime(2026, 9, 1, 8, 15, tzinfo=UTC)
    assert (first.subtotal, first.shipping_total, first.discount_total, first.total) == (
        Decimal("119.00"),
        Decimal("10.00"),
        Decimal("10.00"),
        Decimal("119.00"),
    )
    assert first.discount_codes == "WELCOME10"
    assert first.shipping_method == "InPost Paczkomaty"
    assert first.shipping_address["city"] == "Warszawa"
    assert [(line.sku, line.title, line.quantity, line.total) for line in first.lines.all()] == [
        ("LD-M-BL", "Linen dress - M / Blue", 1, Decimal("89.00")),
        ("WS-1", "Wool scarf", 1, Decimal("30.00")),
    ]
    assert customer_with("+48601234567") == world.maria  # Maria's phone added from the order
    gabor = customer_with("gabor.nagy@example.hu")
    assert gabor.display_name == "Gábor Nagy"
    assert customer_with("+36301234567") == gabor  # a national number read with the country
    assert customer_with("+48512345678").display_name == "Ola Wiśniewska"  # phone only
    # a partial refund: LTV is paid minus refunded
    assert stats_of(world, world.ivan).lifetime_value == Decimal("60.00")
    assert Order.objects.get(number="#1003").refunded_amount == Decimal("20.00")
    # the cancelled order does not count; the HUF order has no rate
    cancelled = Order.objects.get(number="#1004")
    assert cancelled.status == OrderStatus.CANCELLED
    assert cancelled.financial_status == FinancialStatus.VOIDED
    assert stats_of(world, gabor).order_count == 1
    assert stats_of(world, gabor).unconverted_orders == 1
    assert stats_of(world, world.maria).lifetime_value == Decimal("119.00")
    assert Segment.INDIFFERENT in segments_of(world, gabor)  # bought once, never wrote
    assert event_counts(mark) == {
        "order.created": 5,
        "order.cancelled": 1,
        "order.refunded": 1,
        "customer.created": 2,  # Gábor, Ola
        # Gábor and Ola: indifferent; Maria and Ivan have written to the store
        "customer.segment_changed": 2,
    }


def test_a_woocommerce_export_maps_statuses_decimal_commas_and_local_times(world):
    """Semicolons, decimal commas, a BOM, times without offset (the store's time zone), wc-
    statuses; a refunded order without a refund column was refunded in full."""
    # given
    ExchangeRate.objects.create(
        store=world.store, currency="PLN", rate=Decimal("0.25"), valid_from="2026-01-01"
    )
    # when
    code, out, err = run(str(DATA / "woocommerce_orders.csv"), "--format", "woocommerce")
    # then
    assert code == 0, err
    assert "Imported 5 new orders" in out
    completed = Order.objects.get(source=Source.WOOCOMMERCE, external_id="701")
    assert completed.number == "WC-701"
    assert (completed.status, completed.financial_status, completed.fulfillment_status) == (
        OrderStatus.CLOSED,
        FinancialStatus.PAID,
        FulfillmentStatus.FULFILLED,
    )
    assert completed.total == Decimal("212.99")
    assert completed.shipping_total == Decimal("12.99")
    assert completed.placed_at == datetime(2026, 9, 2, 14, 30, tzinfo=ZoneInfo("Europe/Warsaw"))
    assert completed.lines.count() == 2
    assert completed.customer == world.maria
    assert completed.fx_rate == Decimal("0.25")
    refunded = Order.objects.get(external_id="703")
    assert refunded.financial_status == FinancialStatus.REFUNDED
    assert refunded.refunded_amount == Decimal("64.00")
    assert Order.objects.get(external_id="704").status == OrderStatus.CANCELLED
    on_hold = Order.objects.get(external_id="705")
    assert (on_hold.status, on_hold.financial_status) == (
        OrderStatus.OPEN,
        FinancialStatus.PENDING,
    )
    zsofia = customer_with("zsofia.kis@example.hu")
    assert Order.objects.get(external_id="702").discount_codes == "JESIEN10"
    # 212.99 PLN paid at 0.25 EUR per PLN
    assert stats_of(world, world.maria).lifetime_value == Decimal("53.25")
    assert stats_of(world, zsofia).order_count == 1
    assert stats_of(world, customer_with("olga@example.ru")).lifetime_value == Decimal("0.00")


def test_the_generic_layout_with_one_row_per_line_and_a_partial_refund(world):
    """Our own column names; an order's rows follow each other; a status word may be written
    as a label ("Partially refunded")."""
    # when
    code, out, err = run(str(DATA / "generic_orders.csv"), "--format", "generic")
    # then
    assert code == 0, err
    assert "Imported 3 new orders" in out
    two = Order.objects.get(source=Source.GENERIC, external_id="G-2")
    assert [line.title for line in two.lines.order_by("pk")] == ["Wool scarf", "Cotton shirt"]
    assert two.placed_at == datetime(2026, 9, 11, 10, 0, tzinfo=UTC)  # 12:00 in Warsaw
    three = Order.objects.get(external_id="G-3")
    assert three.customer == customer_with("+48699111222")
    assert three.lines.count() == 0
    assert three.subtotal == Decimal("0.00")
    assert three.refunded_amount == Decimal("15.00")
    assert three.financial_status == FinancialStatus.PARTIALLY_REFUNDED
    assert stats_of(world, three.customer).lifetime_value == Decimal("25.00")


def test_map_reads_our_fields_from_the_files_own_columns(world):
    """--map COLUMN=field for a file in nobody's layout."""
    # when
    code, out, err = run(
        str(DATA / "custom_layout.csv"),
        "--format",
        "generic",
        "--map",
        "Ref=external_id",
        "--map",
        "Buyer e-mail=email",
        "--map",
        "Amount=total",
        "--map",
        "Date=placed_at",
        "--map",
        "Paid=financial_status",
    )
    # then
    assert code == 0, err
    assert "Imported 2 new orders" in out
    assert Order.objects.get(external_id="X-100").customer == world.maria
    assert stats_of(world, world.maria).lifetime_value == Decimal("75.00")
    assert Order.objects.get(external_id="X-101").financial_status == FinancialStatus.PENDING


# --- validation --------------------------------------------------------------------------------


def test_bad_rows_are_rejected_with_their_line_numbers_and_the_good_ones_imported(world, tmp_path):
    """Physical line numbers (a quoted cell over two lines counts two), one bad line rejects its
    whole order, a repeated order is rejected; the report lists line, reason and the row."""
    # given
    report = tmp_path / "rejected.csv"
    # when
    code, out, err = run(
        str(DATA / "generic_bad.csv"), "--format", "generic", "--report", str(report)
    )
    # then
    assert code == 1
    assert "Imported 2 new orders, updated 0, 0 unchanged; 7 rejected (9 lines)" in out
    assert set(Order.objects.values_list("external_id", flat=True)) == {"B-1", "B-7"}
    with report.open(newline="", encoding="utf-8") as stream:
        rows = list(csv.reader(stream))
    assert rows[0][:3] == ["line", "reason", "external_id"]
    reasons = {int(row[0]): row[1] for row in rows[1:]}
    assert reasons == {
        3: "total: not an amount: '12.5O'",
        4: "currency: not a currency code: 'EURO' (expected three letters, e.g. EUR)",
        6: "placed_at: not a date: 'yesterday' (expected e.g. 2024-05-31 14:05:00 +02:00)",
        7: "external_id: missing",
        8: "line_quantity: not a whole number: 'two' (line 9 of the same order)",
        9: "line_quantity: not a whole number: 'two'",
        10: "line_quantity: not a whole number: 'two' (line 9 of the same order)",
        11: "financial_status: unknown status 'paidd'",
        13: (
            "order B-1 appeared before, on line 2: the rows of one order must follow each "
            "other, and an order may appear only once"
        ),
    }
    assert next(row for row in rows if row[0] == "4")[8] == "Socks,\ntwo pairs"
    assert "line 3: total: not an amount: '12.5O'" in err
    assert "lines 8–10 (order B-5): line 9: line_quantity: not a whole number: 'two'" in err
    assert "7 orders rejected." in err


def test_a_file_without_a_required_column_imports_nothing(world, tmp_path):
    # given
    path = tmp_path / "orders.csv"
    path.write_text("external_id,email,total\n1,maria@example.pl,10.00\n")
    # when
    code, _out, err = run(str(path), "--format", "generic")
    # then
    assert code == 2
    assert "no column for placed_at" in err
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.csv", "--format", "generic"], "Cannot read"),
        (["{data}/custom_layout.csv", "--format", "generic", "--map", "Ref=idd"], "unknown field"),
        (["{data}/custom_layout.csv", "--format", "generic", "--map", "Nope=total"], "no column"),
        (["{data}/custom_layout.csv", "--format", "generic", "--map", "Ref"], "COLUMN=field"),
    ],
)
def test_usage_and_file_errors_exit_2(world, args, message):
    # when
    code, _out, err = run(*(a.format(data=DATA) for a in args))
    # then
    assert code == 2
    assert message in err


def test_an_unknown_store_exits_2(world):
    # when
    code, _out, err = run(str(DATA / "generic_orders.csv"), "--format", "generic", store="nope")
    # then
    assert code == 2
    assert "No store with the slug nope" in err


def test_a_file_in_another_encoding_is_a_file_error_unless_named(world, tmp_path):
    # given
    path = tmp_path / "latin1.csv"
    path.write_bytes(
        "external_id,email,first_name,total,placed_at\n1,zofia@example.pl,Zófia,10.00,2026-09-01\n".encode(
            "latin-1"
        )
    )
    # when
    refused = run(str(path), "--format", "generic")
    named = run(str(path), "--format", "generic", "--encoding", "latin-1")
    # then
    assert refused[0] == 2 and "not utf-8-sig text" in refused[2]
    assert named[0] == 0, named[2]
    assert customer_with("zofia@example.pl").first_name == "Zófia"


def test_amounts_and_dates_in_the_forms_exports_write():
    tz = ZoneInfo("Europe/Warsaw")
    assert parse_amount("1234.5") == Decimal("1234.5")
    assert parse_amount("1,234.50") == Decimal("1234.50")
    assert parse_amount("1.234,50") == Decimal("1234.50")
    assert parse_amount("12,5") == Decimal("12.5")
    assert parse_amount("1 234,50") == Decimal("1234.50")
    for bad in ("1,234", "12.5O", "€12", "", "1e5"):
        with pytest.raises(ValueError):
            parse_amount(bad)
    assert parse_datetime("2026-09-01 10:15:00 +0200", tz) == datetime(
        2026, 9, 1, 8, 15, tzinfo=UTC
    )
    assert parse_datetime("2026-09-01T08:15:00Z", tz) == datetime(2026, 9, 1, 8, 15, tzinfo=UTC)
    assert parse_datetime("2026-09-01 10:15", tz) == datetime(2026, 9, 1, 8, 15, tzinfo=UTC)
    assert parse_datetime("2026-09-01 08:15:00 UTC", tz) == datetime(2026, 9, 1, 8, 15, tzinfo=UTC)
    with pytest.raises(ValueError):
        parse_datetime("09/01/2026", tz)


# --- dry run, re-runs, progress -----------------------------------------------------------------


def test_importing_the_same_file_again_changes_nothing(world):
    """Upserts by external id: the second run finds every order as stored — no write, no event,
    no audit row."""
    # given
    path = str(DATA / "shopify_orders.csv")
    run(path, "--format", "shopify")
    stamps = dict(Order.objects.values_list("pk", "updated_at"))
    events, audit = last_event_id(), CustomerEvent.objects.count()
    # when
    code, out, err = run(path, "--format", "shopify")
    # then
    assert code == 0, err
    assert "Imported 0 new orders, updated 0, 5 unchanged; 0 rejected" in out
    assert dict(Order.objects.values_list("pk", "updated_at")) == stamps
    assert last_event_id() == events
    assert CustomerEvent.objects.count() == audit


def test_a_changed_export_updates_the_orders_that_changed(world, tmp_path):
    """A later export: one order paid meanwhile, one with another line; the rest unchanged."""
    # given
    run(str(DATA / "generic_orders.csv"), "--format", "generic")
    mark = last_event_id()
    text = (DATA / "generic_orders.csv").read_text()
    changed = text.replace("Cotton shirt,CS-M,1,50.00", "Silk blouse,SB-M,1,50.00")
    path = tmp_path / "later.csv"
    path.write_text(changed.replace("G-1,1,", "G-1,1b,"))
    # when
    code, out, err = run(str(path), "--format", "generic")
    # then
    assert code == 0, err
    assert "Imported 0 new orders, updated 2, 1 unchanged" in out
    assert Order.objects.get(external_id="G-1").number == "1b"
    assert "Silk blouse" in Order.objects.get(external_id="G-2").lines.values_list(
        "title", flat=True
    )
    # a number changed: order.updated; replaced lines change no order field: no event
    assert event_counts(mark) == {"order.updated": 1}
    assert OutboxEvent.objects.get(pk__gt=mark).payload["changed"] == ["number"]


def test_a_dry_run_counts_what_would_change_and_writes_nothing(world, tmp_path):
    # given
    report = tmp_path / "rejected.csv"
    customers, events = Customer.objects.count(), last_event_id()
    # when
    good = run(str(DATA / "shopify_orders.csv"), "--format", "shopify", "--dry-run")
    bad = run(
        str(DATA / "generic_bad.csv"), "--format", "generic", "--dry-run", "--report", str(report)
    )
    # then
    assert good[0] == 0, good[2]
    assert "Dry run, nothing written. Would import 5 new orders, update 0" in good[1]
    assert bad[0] == 1
    assert "Would import 2 new orders, update 0, leave 0 unchanged; 7 rejected (9 lines)" in bad[1]
    assert len(report.read_text().splitlines()) > 1
    assert not Order.objects.exists()
    assert Customer.objects.count() == customers
    assert last_event_id() == events


def test_the_progress_bars_count_the_files_lines_then_the_customers_refreshed(world):
    """Not on a terminal, rich prints the bars once, finished; --verbosity 0 prints none."""
    # when
    shown = run(str(DATA / "shopify_orders.csv"), "--format", "shopify")
    quiet = run(str(DATA / "generic_orders.csv"), "--format", "generic", "--verbosity", "0")
    # then
    lines, customers = shown[2].splitlines()
    assert lines.startswith("Lines read") and " 8/8 " in lines
    # Maria, Gábor, Ivan and Ola
    assert customers.startswith("Customers refreshed") and " 4/4 " in customers
    assert quiet[2] == ""


def test_the_console_script_runs_the_command(tmp_path):
    """`zabota import-orders` is the management command; a missing file exits 2 before the
    database is touched."""
    if not ZABOTA.exists():
        pytest.skip("the zabota console script is not installed")
    env = {**os.environ, "ZABOTA_SECRET_KEY": settings.SECRET_KEY, "ZABOTA_VAR_DIR": str(tmp_path)}
    # when
    helped = subprocess.run(
        [str(ZABOTA), "import-orders", "--help"], capture_output=True, env=env, timeout=60
    )
    missing = subprocess.run(
        [str(ZABOTA), "import-orders", "nope.csv", "--format", "generic"],
        capture_output=True,
        env=env,
        timeout=60,
    )
    # then
    assert helped.returncode == 0 and b"--dry-run" in helped.stdout
    assert missing.returncode == 2
    assert b"no such file" in missing.stderr


# --- the bulk path is the per-order path --------------------------------------------------------


def _parsed(name: str, fmt: str, world) -> list[OrderData]:
    order_file = open_order_file(DATA / name, FORMATS[fmt], store=world.store)
    try:
        return [item.data for item in order_file if isinstance(item, Parsed)]
    finally:
        order_file.close()


def _scenario(world) -> tuple[list[OrderData], list[OrderData]]:
    """A first delivery of orders and a later one that changes some of them."""
    nameless = do_create_customer(identities=[("email", "nameless@example.pl")], actor=None)
    do_create_customer(identities=[("phone", "+48600000001")], actor=None)
    first = [
        *_parsed("shopify_orders.csv", "shopify", world),
        *_parsed("woocommerce_orders.csv", "woocommerce", world),
        *_parsed("generic_orders.csv", "generic", world),
        # a stored customer without a name gets the order's name
        order_data("N-1", email=nameless.identities.get().value, source=Source.GENERIC),
        # a new customer's first order has no name, the second one has
        _with(order_data("N-2", email="newbie@example.pl"), first_name="", last_name=""),
        order_data("N-3", email="newbie@example.pl", total="30.00"),
        # the phone is somebody else's: not added; then the phone alone finds that somebody
        _with(order_data("N-4", email="other@example.pl"), phone="+48 600 000 001"),
        _with(order_data("N-5", email=""), phone="+48600000001"),
        # an e-mail order brings a new phone, a phone-only order later finds it
        _with(order_data("N-6", email="phoned@example.pl"), phone="+48 600 000 002"),
        _with(order_data("N-7", email="", total="12.00"), phone="0048600000002"),
        order_data("N-8", email="maria@example.pl", currency="PLN", total="400.00"),
        _with(
            order_data("N-9", email="not an address", total="50.00"),
            refunds=(RefundData("r-0", Decimal("5.00"), datetime(2026, 10, 5, tzinfo=UTC)),),
        ),
    ]
    later_time = datetime(2026, 10, 5, tzinfo=UTC)
    second = [
        *first[:3],  # unchanged
        order_data(
            "N-1",
            email="nameless@example.pl",
            source=Source.GENERIC,
            total="150.00",
            updated_at=later_time,
        ),
        order_data(
            "N-3",
            email="newbie@example.pl",
            total="30.00",
            status=OrderStatus.CANCELLED,
            updated_at=later_time,
        ),
        # an older report of N-8: skipped, but its refund is still recorded
        _with(
            order_data(
                "N-8",
                email="ivan@example.ru",
                currency="PLN",
                total="400.00",
                updated_at=datetime(2026, 9, 1, tzinfo=UTC),
            ),
            refunds=(RefundData("r-1", Decimal("100.00"), later_time),),
        ),
        # another customer (moved) and other lines
        _with(
            order_data("N-6", email="ivan@example.ru", updated_at=later_time),
            lines=(LineData(title="Wool scarf", quantity=2, price=Decimal("50.00")),),
        ),
        order_data("N-10", email="nameless@example.pl", total="2000.00"),
        # a refund without a date of its own, reported again earlier: the earlier date wins
        _with(
            order_data("N-9", email="not an address", total="50.00"),
            refunds=(RefundData("r-0", Decimal("5.00"), datetime(2026, 10, 2, tzinfo=UTC)),),
        ),
    ]
    return first, second


def _with(data: OrderData, **changes: object) -> OrderData:
    customer_fields = {"phone", "first_name", "last_name", "email"}
    customer = replace(data.customer, **{k: v for k, v in changes.items() if k in customer_fields})
    rest = {k: v for k, v in changes.items() if k not in customer_fields}
    return replace(data, customer=customer, **rest)  # type: ignore[arg-type]


def _snapshot(world) -> dict[str, object]:
    """Everything an upsert writes, keyed by natural keys (identities, external ids), so that
    two runs with different primary keys compare."""
    key_of = {
        customer.pk: tuple(sorted(f"{i.kind}:{i.value}" for i in customer.identities.all()))
        for customer in Customer.objects.prefetch_related("identities")
    }
    order_key = {o.pk: (o.source, o.external_id) for o in Order.objects.all()}
    orders = {}
    for order in Order.objects.prefetch_related("lines", "refunds"):
        values = {name: getattr(order, name) for name in ORDER_FIELDS if name != "customer_id"}
        values["customer"] = key_of.get(order.customer_id)
        values["refunded_amount"] = order.refunded_amount
        values["lines"] = [_line_key(line) for line in order.lines.order_by("pk")]
        values["refunds"] = sorted(
            (r.external_id, r.amount, r.refunded_at) for r in order.refunds.all()
        )
        orders[order_key[order.pk]] = values
    refund_key = {r.pk: r.external_id for r in Refund.objects.all()}
    customers = {}
    for customer in Customer.objects.all():
        stats = CustomerStats.objects.filter(store=world.store, customer=customer).first()
        customers[key_of[customer.pk]] = {
            "names": (customer.first_name, customer.last_name, customer.display_name),
            "audit": sorted(
                (e.kind, repr(e.data)) for e in CustomerEvent.objects.filter(customer=customer)
            ),
            "stats": None
            if stats is None
            else {
                f: getattr(stats, f)
                for f in (
                    "lifetime_value",
                    "order_count",
                    "average_order_value",
                    "first_order_at",
                    "last_order_at",
                    "returned_orders",
                    "return_rate",
                    "unconverted_orders",
                )
            },
            "segments": segments_of(world, customer),
        }
    events: Counter[str] = Counter()
    for event in OutboxEvent.objects.exclude(type="customer.segment_changed"):
        payload = dict(event.payload)
        payload.pop("store_id", None)
        if "order_id" in payload:
            payload["order_id"] = order_key[payload["order_id"]]
        if "customer_id" in payload:
            payload["customer_id"] = key_of.get(payload["customer_id"])
        if "refund_id" in payload:
            payload["refund_id"] = refund_key[payload["refund_id"]]
        events[f"{event.type} {sorted(payload.items())}"] += 1
    return {"orders": orders, "customers": customers, "events": events}


@pytest.mark.parametrize("refresh", ["per batch", "at the end"])
def test_the_bulk_path_writes_what_the_per_order_upserts_write(world, refresh):
    """The same deliveries through ``do_upsert_order`` one by one and through
    ``bulk_upsert_orders`` in batches — refreshing figures with each batch, or once at the end
    as the import does: the same orders, lines, refunds, customers, identities, audit rows,
    figures, segments and events (segment events aside: the bulk path publishes the net change
    of a batch or import)."""
    # given
    ExchangeRate.objects.create(
        store=world.store, currency="PLN", rate=Decimal("0.20"), valid_from="2026-01-01"
    )
    ExchangeRate.objects.create(
        store=world.store, currency="PLN", rate=Decimal("0.25"), valid_from="2026-09-03"
    )
    first, second = _scenario(world)
    # when: one by one
    with transaction.atomic():
        for data in first:
            do_upsert_order(world.store, data)
        one_by_one = [_snapshot(world)]
        for data in second:
            do_upsert_order(world.store, data)
        one_by_one.append(_snapshot(world))
        transaction.set_rollback(True)
    # when: in batches of 4
    batched_ = []
    for delivery in (first, second):
        affected: set[int] = set()
        for start in range(0, len(delivery), 4):
            result = bulk_upsert_orders(
                world.store, delivery[start : start + 4], refresh=refresh == "per batch"
            )
            affected |= result.affected
        if refresh == "at the end":
            csv_import.refresh_figures(world.store, affected)
        batched_.append(_snapshot(world))
    # then
    for per_order, bulk in zip(one_by_one, batched_, strict=True):
        assert bulk["orders"] == per_order["orders"]
        assert bulk["customers"] == per_order["customers"]
        assert bulk["events"] == per_order["events"]
    orders = batched_[1]["orders"]
    assert orders[(Source.GENERIC, "N-1")]["customer"] == ("email:nameless@example.pl",)
    assert orders[(Source.SHOPIFY, "N-8")]["financial_status"] == FinancialStatus.PARTIALLY_REFUNDED
    assert orders[(Source.SHOPIFY, "N-5")]["customer"] == ("phone:+48600000001",)
    assert orders[(Source.SHOPIFY, "N-9")]["refunds"] == [
        ("r-0", Decimal("5.00"), datetime(2026, 10, 2, tzinfo=UTC))
    ]
    assert orders[(Source.SHOPIFY, "N-7")]["customer"] == (
        "email:phoned@example.pl",
        "phone:+48600000002",
    )


# --- acceptance --------------------------------------------------------------------------------


def test_acceptance_an_export_with_two_percent_bad_orders(world, tmp_path):
    """Acceptance (issue 4), at 2,000 orders (bench/order_import.py runs 100,000): all good
    orders imported, every bad row reported with its line number and reason, and importing the
    file again changes nothing."""
    # given
    sample = write_shopify_sample(tmp_path / "export.csv", 2000, bad_share=0.02)
    report = tmp_path / "rejected.csv"
    # when
    code, out, _err = run(
        str(sample.path), "--format", "shopify", "--report", str(report), "--verbosity", "0"
    )
    # then
    assert code == 1
    assert len(sample.bad) == 40
    assert Order.objects.count() == sample.good == 1960
    assert f"Imported {sample.good} new orders, updated 0, 0 unchanged; 40 rejected" in out
    with report.open(newline="", encoding="utf-8") as stream:
        reported = {int(row[0]): row[1] for row in list(csv.reader(stream))[1:]}
    expected_lines = {line for lines, _bad, _reason in sample.bad.values() for line in lines}
    assert set(reported) == expected_lines
    for lines, bad_line, reason in sample.bad.values():
        assert reported[bad_line].startswith(reason), (bad_line, reported[bad_line])
        for line in lines:
            assert reason in reported[line]
    assert not Order.objects.filter(number__in=list(sample.bad)).exists()
    # when: the same file again
    events, audit = last_event_id(), CustomerEvent.objects.count()
    stamps = dict(Order.objects.values_list("pk", "updated_at"))
    code, out, _err = run(str(sample.path), "--format", "shopify", "--verbosity", "0")
    # then
    assert code == 1
    assert f"Imported 0 new orders, updated 0, {sample.good} unchanged; 40 rejected" in out
    assert dict(Order.objects.values_list("pk", "updated_at")) == stamps
    assert (last_event_id(), CustomerEvent.objects.count()) == (events, audit)


# --- failures ----------------------------------------------------------------------------------


def test_a_batch_that_meets_a_concurrent_insert_is_done_again(world, monkeypatch):
    """A webhook that creates one of the batch's customers or orders between our read and our
    insert fails the batch on a unique key: it is rolled back and written once more."""
    # given
    attempts = []
    real = csv_import.bulk_upsert_orders

    def racing(store, batch, **kwargs):
        attempts.append(len(batch))
        if len(attempts) == 1:
            real(store, batch, **kwargs)
            raise IntegrityError("duplicate key value violates unique constraint")
        return real(store, batch, **kwargs)

    monkeypatch.setattr(csv_import, "bulk_upsert_orders", racing)
    # when
    code, out, err = run(str(DATA / "shopify_orders.csv"), "--format", "shopify")
    # then
    assert code == 0, err
    assert attempts == [5, 5]
    assert "Imported 5 new orders" in out
    assert Order.objects.count() == 5
    assert OutboxEvent.objects.filter(type="order.created").count() == 5


def test_an_import_that_stopped_before_its_refresh_is_completed_by_the_next_run(world, monkeypatch):
    """The figures are refreshed after the last batch: a crash in between leaves orders without
    figures, and running the import again — nothing new to write — computes them."""

    # given
    def crash(*args, **kwargs):
        raise RuntimeError("killed")

    monkeypatch.setattr(csv_import, "refresh_figures", crash)
    path = str(DATA / "shopify_orders.csv")
    with pytest.raises(RuntimeError):
        run(path, "--format", "shopify")
    assert Order.objects.count() == 5
    assert not CustomerStats.objects.exists()
    monkeypatch.undo()
    # when
    code, out, err = run(path, "--format", "shopify")
    # then
    assert code == 0, err
    assert "Imported 0 new orders, updated 0, 5 unchanged" in out
    assert stats_of(world, world.maria).lifetime_value == Decimal("119.00")
    assert CustomerStats.objects.count() == 4
    # and a third run has nothing left to do
    events = last_event_id()
    run(path, "--format", "shopify")
    assert last_event_id() == events


def test_a_corrected_report_imports_like_the_original_file(world, tmp_path):
    """The report keeps the file's header after line and reason: fixed, it is imported with
    the same options (its two extra columns are ignored)."""
    # given
    report = tmp_path / "rejected.csv"
    run(str(DATA / "generic_bad.csv"), "--format", "generic", "--report", str(report))
    fixed = report.read_text(encoding="utf-8").replace("12.5O", "12.50")
    report.write_text(fixed, encoding="utf-8")
    # when
    code, out, _err = run(str(report), "--format", "generic")
    # then
    assert code == 1
    # B-2 fixed; the repeated B-1, alone in the report, is found as stored; five still bad
    assert "Imported 1 new orders, updated 0, 1 unchanged; 5 rejected" in out
    assert Order.objects.get(external_id="B-2").total == Decimal("12.50")


def test_a_line_that_is_not_csv_is_rejected_with_the_orders_beside_it(world, tmp_path):
    """A quote inside a cell, or one left open to the end of the file, would make a lenient
    reader swallow the following lines into one cell. Such a line is rejected, and so are the
    orders just before and after it — it may be one of their rows."""
    # given
    report = tmp_path / "rejected.csv"
    # when
    code, out, err = run(
        str(DATA / "generic_broken.csv"), "--format", "generic", "--report", str(report)
    )
    # then
    assert code == 1
    assert set(Order.objects.values_list("external_id", flat=True)) == {"K-1", "K-4"}
    with report.open(newline="", encoding="utf-8") as stream:
        reasons = {int(row[0]): row[1] for row in list(csv.reader(stream))[1:]}
    assert reasons == {
        3: "next to this order, not CSV: ',' expected after '\"'",
        4: "not CSV: ',' expected after '\"'",
        5: "next to this order, not CSV: ',' expected after '\"'",
        7: "next to this order, not CSV: unexpected end of data",
        8: "not CSV: unexpected end of data",
    }
    assert "line 3 (order K-2): line 4: next to this order, not CSV" in err
    assert "Imported 2 new orders, updated 0, 0 unchanged; 5 rejected (5 lines)" in out
