"""How fast orders come in: a CSV export through `zabota import-orders`, and Shopify webhooks.

Run from the repository root::

    .venv/bin/python bench/order_import.py [--orders 100000] [--bad-share 0.02]
        [--batch-size 1000] [--webhooks 2000] [--clients 8] [--web-workers 2]
        [--database zabota_orders_bench]

1. Recreates the PostgreSQL database ``--database`` on 127.0.0.1:5432 (user postgres, trust
   authentication), migrates it and creates the store ``demo`` (base currency EUR, a PLN rate, a
   Shopify webhook secret).
2. Writes a Shopify order export of ``--orders`` orders into a temporary directory
   (``commerce.importing.sample``: one row per line item, 1–3 items per order, about a third as
   many customers as orders, 60 % with a phone, refunds, cancellations, 10 % in PLN), with
   ``--bad-share`` of the orders deliberately spoilt (an amount, a date, a currency, a status, a
   quantity, a missing id or price …).
3. Imports it in this process with the code of `zabota import-orders --format shopify` (the
   command is a thin shell around it), checks that every good order is stored and that every
   line of every bad order is in the report with its reason, then imports the file again and
   checks that nothing changed: no new, no updated order, no order row written, no event, no
   audit row.
4. Starts the app with uvicorn (``--web-workers`` processes, DEBUG off) on a free port of
   127.0.0.1 against the same database and POSTs ``--webhooks`` signed Shopify orders/create
   deliveries (Shopify's order JSON; half of them for customers the import created) to
   ``/api/v1/webhooks/shopify/demo`` from ``--clients`` threads with keep-alive connections;
   every answer must be 200 and every order must be stored. The settings give each process a
   psycopg pool (``ZABOTA_DB_POOL_SIZE``, default 10), so connections stay bounded.

Prints orders/s of the import, of its re-run and of the webhooks, the CPU time per order of the
import process and of its PostgreSQL backend (the wall-clock rate depends on what else the
machine runs; the CPU time much less), and the checks' results; exits with status 1 if a check
failed.
"""

import argparse
import base64
import hashlib
import hmac
import http.client
import json
import os
import platform
import secrets
import shutil
import socket
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DATABASE = "zabota_orders_bench"
STORE = "demo"
SHOP_DOMAIN = "demo.myshopify.com"

sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import inbox  # noqa: E402 - the benches' shared server helpers


def recreate_database(name: str) -> str:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return f"postgres://postgres@127.0.0.1:5432/{name}"


def setup(secret: str) -> Any:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    from zabota.commerce.models import ExchangeRate, Store

    store = Store.objects.create(
        slug=STORE,
        name="Demo Store",
        email="support@store.example",
        currency="EUR",
        shopify_secret=secret,
    )
    ExchangeRate.objects.create(store=store, currency="PLN", rate="0.23", valid_from="2024-01-01")
    return store


def counts() -> dict[str, Any]:
    from django.db.models import Max

    from zabota.commerce.models import Order
    from zabota.core.models import OutboxEvent
    from zabota.customers.models import Customer, CustomerEvent

    return {
        "orders": Order.objects.count(),
        "last_write": Order.objects.aggregate(last=Max("updated_at"))["last"],
        "events": OutboxEvent.objects.count(),
        "customers": Customer.objects.count(),
        "audit": CustomerEvent.objects.count(),
    }


def backend_cpu() -> float:
    """CPU seconds so far of the PostgreSQL backend serving this process's connection (the
    server runs on this machine; Linux /proc)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_cpu() -> tuple[int, int]:
    """Busy and total CPU time of the whole machine so far, in clock ticks (Linux /proc)."""
    ticks = [int(value) for value in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = ticks[3] + ticks[4]  # idle, iowait
    return sum(ticks) - idle, sum(ticks)


def run_import(
    store: Any, path: Path, report_path: Path | None, batch_size: int
) -> tuple[Any, tuple[float, float, float]]:
    """The import as the command runs it, and the CPU seconds of this process and of its
    database backend during it, with the share of the machine that was busy."""
    from zabota.commerce.importing.csv_import import ReportWriter, import_orders, open_order_file
    from zabota.commerce.importing.formats import FORMATS

    database_before, process_before, machine_before = (
        backend_cpu(),
        time.process_time(),
        machine_cpu(),
    )
    started = time.perf_counter()
    order_file = open_order_file(path, FORMATS["shopify"], store=store)
    try:
        if report_path is None:
            summary = import_orders(order_file, store=store, batch_size=batch_size)
        else:
            with report_path.open("w", newline="", encoding="utf-8") as stream:
                report = ReportWriter(stream, order_file.columns.header)
                summary = import_orders(
                    order_file, store=store, report=report, batch_size=batch_size
                )
    finally:
        order_file.close()
    summary.seconds = time.perf_counter() - started  # with the encoding check of the file
    (busy_after, total_after), (busy_before, total_before) = machine_cpu(), machine_before
    cpu = (
        time.process_time() - process_before,
        backend_cpu() - database_before,
        (busy_after - busy_before) / max(total_after - total_before, 1),
    )
    return summary, cpu


def check_report(report_path: Path, sample: Any) -> list[str]:
    """Every line of every bad order reported, with the expected reason; nothing else."""
    import csv

    with report_path.open(newline="", encoding="utf-8") as stream:
        reported = {int(row[0]): row[1] for row in list(csv.reader(stream))[1:]}
    problems = []
    expected = set()
    for name, (lines, bad_line, reason) in sample.bad.items():
        expected.update(lines)
        if not reported.get(bad_line, "").startswith(reason):
            problems.append(f"{name} line {bad_line}: {reported.get(bad_line)!r}, not {reason!r}")
        problems += [f"{name}: line {line} not reported" for line in lines if line not in reported]
    problems += [f"line {line} reported but good" for line in set(reported) - expected]
    return problems


# --- webhooks ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def uvicorn(database_url: str, secret_key: str, workers: int, port: int) -> Iterator[Path]:
    """The app as `zabota serve` runs it (uvicorn, DEBUG off), ``workers`` processes."""
    var_dir = Path(tempfile.mkdtemp(prefix="zabota-orders-bench-"))
    log = var_dir / "uvicorn.log"
    env = {k: v for k, v in os.environ.items() if k != "ZABOTA_DEBUG"} | {
        "DATABASE_URL": database_url,
        "ZABOTA_SECRET_KEY": secret_key,
        "ZABOTA_VAR_DIR": str(var_dir),
        "ZABOTA_ALLOWED_HOSTS": "127.0.0.1",
    }
    with inbox.uvicorn_app(port, workers, log, env):
        yield log


@contextmanager
def peak_connections(database: str) -> Iterator[list[int]]:
    """The most connections to ``database`` seen while the block runs (sampled every 0.2 s)."""
    import psycopg

    peak = [0]
    done = threading.Event()

    def watch() -> None:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as connection:
            while not done.is_set():
                row = connection.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [database]
                ).fetchone()
                peak[0] = max(peak[0], row[0] if row else 0)
                done.wait(0.2)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        yield peak
    finally:
        done.set()
        watcher.join()


PRODUCTS = [
    ("Linen dress", "M / Sage", "LD-M-SAGE", Decimal("89.00")),
    ("Wool scarf", "", "WS-1", Decimal("35.50")),
]


def shopify_order(n: int, email: str, phone: str) -> dict[str, Any]:
    """An orders/create payload as Shopify documents it (the fields we read, and a few more)."""
    created = f"2026-11-{1 + n % 20:02d}T{n % 24:02d}:{n % 60:02d}:00+01:00"
    items = []
    subtotal = Decimal(0)
    for i, (title, size, sku, price) in enumerate(PRODUCTS[: 1 + n % 2]):
        quantity = 1 + (n + i) % 2
        subtotal += price * quantity
        items.append(
            {
                "id": 9_000_000_000 + n * 10 + i,
                "title": title,
                "variant_title": size,
                "sku": sku,
                "quantity": quantity,
                "price": str(price),
                "total_discount": "0.00",
                "product_id": 7_000 + i,
                "variant_id": 8_000 + i,
            }
        )
    shipping = Decimal("9.90")
    address = {
        "first_name": "Anna",
        "last_name": "Nowak",
        "address1": "ul. Długa 5",
        "city": "Warszawa",
        "zip": "00-238",
        "country_code": "PL",
        "phone": phone,
    }
    return {
        "id": 6_200_000_000 + n,
        "name": f"#W{n}",
        "order_number": 50_000 + n,
        "email": email,
        "phone": phone or None,
        "created_at": created,
        "processed_at": created,
        "updated_at": created,
        "currency": "EUR",
        "presentment_currency": "EUR",
        "total_price": str(subtotal + shipping),
        "subtotal_price": str(subtotal),
        "total_tax": "0.00",
        "total_discounts": "0.00",
        "financial_status": "paid",
        "fulfillment_status": None,
        "cancelled_at": None,
        "closed_at": None,
        "customer": {
            "id": 4_000_000 + n,
            "email": email,
            "first_name": "Anna",
            "last_name": "Nowak",
            "phone": phone or None,
        },
        "billing_address": address,
        "shipping_address": address,
        "line_items": items,
        "shipping_lines": [{"title": "InPost", "price": str(shipping), "code": "inpost"}],
        "discount_codes": [],
        "refunds": [],
        "fulfillments": [],
    }


def post_webhooks(port: int, secret: str, bodies: list[bytes], clients: int) -> dict[str, Any]:
    statuses: Counter[int] = Counter()
    errors: list[str] = []
    lock = threading.Lock()
    queue = iter(enumerate(bodies))

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            with lock:
                item = next(queue, None)
            if item is None:
                break
            _n, body = item
            digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
            headers = {
                "Content-Type": "application/json",
                "X-Shopify-Topic": "orders/create",
                "X-Shopify-Hmac-Sha256": base64.b64encode(digest).decode(),
                "X-Shopify-Webhook-Id": str(uuid.uuid4()),
                "X-Shopify-Shop-Domain": SHOP_DOMAIN,
            }
            try:
                connection.request("POST", f"/api/v1/webhooks/shopify/{STORE}", body, headers)
                response = connection.getresponse()
                text = response.read()
            except (OSError, http.client.HTTPException) as exc:
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                with lock:
                    errors.append(repr(exc))
                continue
            with lock:
                statuses[response.status] += 1
                if response.status != 200 and len(errors) < 5:
                    errors.append(f"{response.status}: {text[:200]!r}")
        connection.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"seconds": time.perf_counter() - started, "statuses": statuses, "errors": errors}


def webhook_payloads(count: int) -> list[bytes]:
    """Half for customers of the import (the sample's e-mail pattern), half for new ones."""
    from zabota.customers.models import Identity

    known = list(
        Identity.objects.filter(kind="email")
        .order_by("pk")
        .values_list("value", flat=True)[: count // 2]
    )
    bodies = []
    for n in range(count):
        email = known[n] if n < len(known) else f"webhook.{n}@example.net"
        phone = f"+48 7{n:08d}" if n % 3 else ""
        bodies.append(json.dumps(shopify_order(n, email, phone)).encode())
    return bodies


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--bad-share", type=float, default=0.02)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--webhooks", type=int, default=2000, help="0 skips the webhook part")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--database", default=DATABASE)
    args = parser.parse_args()

    load = os.getloadavg()[0]
    secret_key = secrets.token_urlsafe(50)
    shopify_secret = "shpss_" + secrets.token_hex(16)
    database_url = recreate_database(args.database)
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "zabota.settings",
            "DATABASE_URL": database_url,
            "ZABOTA_SECRET_KEY": secret_key,
        }
    )
    os.environ.pop("ZABOTA_DEBUG", None)
    store = setup(shopify_secret)
    from django.db import connection

    from zabota.commerce.importing.sample import write_shopify_sample

    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="zabota-orders-") as tmp:
        started = time.perf_counter()
        sample = write_shopify_sample(
            Path(tmp) / "orders.csv", args.orders, bad_share=args.bad_share
        )
        generated = time.perf_counter() - started
        size = sample.path.stat().st_size
        report_path = Path(tmp) / "rejected.csv"

        first, cpu = run_import(store, sample.path, report_path, args.batch_size)
        after_first = counts()
        report_problems = check_report(report_path, sample)
        failures += report_problems
        if after_first["orders"] != sample.good or first.created != sample.good:
            failures.append(f"{after_first['orders']} orders stored, {sample.good} good")
        if first.rejected_orders != len(sample.bad):
            failures.append(f"{first.rejected_orders} rejected, {len(sample.bad)} bad")

        again, _cpu = run_import(store, sample.path, None, args.batch_size)
        after_again = counts()
        if (again.created, again.updated) != (0, 0) or after_again != after_first:
            failures.append(
                f"the re-run changed something: {again.created} new, {again.updated} updated, "
                f"{after_first} → {after_again}"
            )

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg_version = cursor.fetchone()[0]
    hooks: dict[str, Any] | None = None
    if args.webhooks:
        bodies = webhook_payloads(args.webhooks)
        before = counts()
        connection.close()
        port = free_port()
        with (
            uvicorn(database_url, secret_key, args.web_workers, port) as log,
            peak_connections(args.database) as peak,
        ):
            hooks = post_webhooks(port, shopify_secret, bodies, args.clients)
        hooks["peak_connections"] = peak[0]
        hooks["log"] = log
        stored = counts()["orders"] - before["orders"]
        hooks["stored"] = stored
        if hooks["statuses"] != Counter({200: args.webhooks}) or stored != args.webhooks:
            failures.append(
                f"webhooks: answers {dict(hooks['statuses'])}, {stored} orders stored, "
                f"errors {hooks['errors'][:2]}; server log {hooks['log']}"
            )
        else:  # the server's var dir and log are kept only for a failed run
            shutil.rmtree(hooks["log"].parent, ignore_errors=True)

    rows_per_order = sample.rows / sample.orders
    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, PostgreSQL {pg_version} on 127.0.0.1; load average "
        f"{load:.1f} before the run.\n"
        f"Export: {sample.orders:,} Shopify orders in {sample.rows:,} rows "
        f"({rows_per_order:.2f} rows per order, {size / 1e6:.0f} MB), {len(sample.bad):,} "
        f"deliberately bad; written in {generated:.1f} s.\n"
    )
    print("| measure | value |\n|---|---|")
    python_cpu, database_cpu, busy = cpu
    print(
        f"| import, first run | {first.imported / first.seconds:,.0f} orders/s "
        f"({first.imported:,} imported in {first.seconds:.1f} s, batches of {args.batch_size}) |"
    )
    print(
        f"| CPU per imported order: import process / PostgreSQL backend | "
        f"{1e6 * python_cpu / first.imported:.0f} µs / {1e6 * database_cpu / first.imported:.0f}"
        f" µs ({python_cpu:.0f} s / {database_cpu:.0f} s); machine busy {100 * busy:.0f} % |"
    )
    print(
        f"| rejected | {first.rejected_orders:,} orders ({first.rejected_lines:,} lines), each "
        f"line in the report with its reason: {'yes' if not report_problems else 'NO'} |"
    )
    print(
        f"| customers created / refreshed | {first.customers_created:,} / "
        f"{first.customers_refreshed:,}; {after_first['events']:,} outbox events written |"
    )
    print(
        f"| import, same file again | {again.imported / again.seconds:,.0f} orders/s "
        f"({again.seconds:.1f} s): {again.created} new, {again.updated} updated, "
        f"{again.unchanged:,} unchanged; nothing written: "
        f"{'yes' if after_again == after_first else 'NO'} |"
    )
    if hooks is not None:
        print(
            f"| Shopify orders/create webhooks | {args.webhooks / hooks['seconds']:,.0f} orders/s "
            f"({args.webhooks:,} in {hooks['seconds']:.1f} s, {args.clients} clients, uvicorn "
            f"× {args.web_workers}); answers {dict(hooks['statuses'])}, "
            f"{hooks['stored']:,} orders stored; at most {hooks['peak_connections']} database "
            f"connections |"
        )
    if failures:
        print("\nFAILED:")
        for failure in failures[:20]:
            print(f"- {failure}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
