"""A generated Shopify order export with deliberately bad orders, for the import's acceptance
test and ``bench/order_import.py``: realistic enough to exercise every path (several lines per
order, repeat customers, phones, refunds, cancellations, two currencies) and reproducible from
its seed. Not used by the application itself."""

import csv
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

# The columns of Shopify's order export (Orders → Export → CSV for Excel), in its order.
SHOPIFY_HEADER = [
    "Name", "Email", "Financial Status", "Paid at", "Fulfillment Status", "Fulfilled at",
    "Accepts Marketing", "Currency", "Subtotal", "Shipping", "Taxes", "Total", "Discount Code",
    "Discount Amount", "Shipping Method", "Created at", "Lineitem quantity", "Lineitem name",
    "Lineitem price", "Lineitem compare at price", "Lineitem sku", "Lineitem requires shipping",
    "Lineitem taxable", "Lineitem fulfillment status", "Billing Name", "Billing Street",
    "Billing Address1", "Billing Address2", "Billing Company", "Billing City", "Billing Zip",
    "Billing Province", "Billing Country", "Billing Phone", "Shipping Name", "Shipping Street",
    "Shipping Address1", "Shipping Address2", "Shipping Company", "Shipping City",
    "Shipping Zip", "Shipping Province", "Shipping Country", "Shipping Phone", "Notes",
    "Note Attributes", "Cancelled at", "Payment Method", "Payment Reference", "Refunded Amount",
    "Vendor", "Outstanding Balance", "Employee", "Location", "Device ID", "Id", "Tags",
    "Risk Level", "Source", "Lineitem discount", "Tax 1 Name", "Tax 1 Value", "Tax 2 Name",
    "Tax 2 Value", "Tax 3 Name", "Tax 3 Value", "Tax 4 Name", "Tax 4 Value", "Tax 5 Name",
    "Tax 5 Value", "Phone", "Receipt Number", "Duties", "Billing Province Name",
    "Shipping Province Name", "Payment ID", "Payment Terms Name", "Next Payment Due At",
    "Payment References",
]  # fmt: skip

FIRST_NAMES = ["Maria", "Anna", "Piotr", "Gábor", "Ivan", "Olga", "Zsófia", "Jan", "Eva", "Tomasz"]
LAST_NAMES = ["Kowalska", "Nowak", "Nagy", "Petrov", "Horváth", "Wiśniewski", "Smirnova", "Kis"]
PRODUCTS = [
    ("Linen dress", "LD", Decimal("89.00")),
    ("Wool scarf", "WS", Decimal("35.50")),
    ("Leather bag", "LB", Decimal("149.00")),
    ("Cotton shirt", "CS", Decimal("29.90")),
    ("Silk blouse", "SB", Decimal("64.00")),
    ("Denim jacket", "DJ", Decimal("119.00")),
]
SIZES = ["XS", "S", "M", "L", "XL"]

# What a deliberately bad order gets wrong: (cell to spoil, bad value, reason fragment).
DEFECTS = [
    ("Total", "12O.00", "Total: not an amount"),
    ("Created at", "31/12/2025 10:00", "Created at: not a date"),
    ("Id", "", "Id: missing"),
    ("Currency", "EURO", "Currency: not a currency code"),
    ("Financial Status", "paidd", "Financial Status: unknown status"),
    ("Lineitem quantity", "two", "Lineitem quantity: not a whole number"),
    ("Lineitem price", "", "Lineitem price: missing"),
    ("Total", "-5.00", "Total: negative amount"),
]


@dataclass
class Sample:
    path: Path
    orders: int
    good: int
    rows: int
    # Order name → (its lines, the bad line, the reason fragment expected in the report).
    bad: dict[str, tuple[list[int], int, str]] = field(default_factory=dict)


def write_shopify_sample(
    path: Path,
    orders: int,
    *,
    bad_share: float = 0.02,
    customers: int | None = None,
    seed: int = 4,
    now: datetime | None = None,
) -> Sample:
    """Write ``orders`` orders (``bad_share`` of them spoilt, spread evenly) as Shopify exports
    them: one row per line item, the order's columns on its first row only."""
    rng = random.Random(seed)
    now = now or datetime(2026, 11, 1, tzinfo=UTC)
    customers = customers or max(orders // 3, 1)
    bad_every = round(1 / bad_share) if bad_share else 0
    sample = Sample(path=path, orders=orders, good=0, rows=0)
    people = [_person(rng, i) for i in range(customers)]
    index = {name: i for i, name in enumerate(SHOPIFY_HEADER)}
    line_no = 1
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(SHOPIFY_HEADER)
        for n in range(orders):
            rows = _order_rows(rng, n, people[rng.randrange(customers)], now, index)
            first = line_no + 1
            lines = list(range(first, first + len(rows)))
            if bad_every and n % bad_every == bad_every // 2:
                column, value, reason = DEFECTS[(n // bad_every) % len(DEFECTS)]
                target = 0 if column.startswith(("Total", "Created", "Id", "Curr", "Fin")) else -1
                rows[target][index[column]] = value
                sample.bad[rows[0][index["Name"]]] = (lines, lines[target], reason)
            else:
                sample.good += 1
            writer.writerows(rows)
            line_no += len(rows)
            sample.rows += len(rows)
    return sample


def _person(rng: random.Random, i: int) -> dict[str, str]:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    email = f"{first.lower()}.{i}@example.com".replace("á", "a").replace("ó", "o")
    if rng.random() < 0.1:  # the platform keeps the case the customer typed
        email = email.capitalize()
    # Shopify's export writes phones as text for spreadsheets: a leading apostrophe.
    phone = f"'+48 5{i:08d}" if rng.random() < 0.6 else ""
    return {"name": f"{first} {last}", "email": email, "phone": phone}


def _order_rows(
    rng: random.Random, n: int, person: dict[str, str], now: datetime, index: dict[str, int]
) -> list[list[str]]:
    placed = now - timedelta(minutes=rng.randrange(2 * 365 * 24 * 60))
    items = [
        (*rng.choice(PRODUCTS), rng.choice(SIZES), rng.choice((1, 1, 1, 2, 3)))
        for _ in range(rng.choice((1, 1, 2, 2, 3)))
    ]
    currency = "PLN" if rng.random() < 0.1 else "EUR"
    subtotal = sum((price * qty for _t, _s, price, _z, qty in items), Decimal(0))
    shipping = Decimal("0.00") if subtotal > 100 else Decimal("9.90")
    discount = Decimal("10.00") if rng.random() < 0.15 and subtotal > 50 else Decimal("0.00")
    total = subtotal + shipping - discount
    roll = rng.random()
    financial, refunded, cancelled, fulfillment = "paid", Decimal(0), "", "fulfilled"
    if roll < 0.05:
        financial, fulfillment = "pending", ""
    elif roll < 0.08:
        financial, cancelled, fulfillment = "voided", _shopify_time(placed + timedelta(hours=2)), ""
    elif roll < 0.11:
        financial, refunded = "refunded", total
    elif roll < 0.15:
        financial, refunded = "partially_refunded", (total / 2).quantize(Decimal("0.01"))
    elif roll < 0.3:
        fulfillment = "unfulfilled"
    paid_at = _shopify_time(placed + timedelta(minutes=3)) if financial != "pending" else ""
    rows = []
    for position, (title, sku, price, size, qty) in enumerate(items):
        row = [""] * len(index)
        row[index["Name"]] = f"#{1001 + n}"
        row[index["Email"]] = person["email"]
        row[index["Created at"]] = _shopify_time(placed)
        row[index["Lineitem quantity"]] = str(qty)
        row[index["Lineitem name"]] = f"{title} - {size}"
        row[index["Lineitem price"]] = str(price)
        row[index["Lineitem sku"]] = f"{sku}-{size}"
        row[index["Lineitem requires shipping"]] = "true"
        row[index["Lineitem taxable"]] = "true"
        row[index["Lineitem fulfillment status"]] = fulfillment or "pending"
        if position == 0:
            for column, value in {
                "Financial Status": financial,
                "Paid at": paid_at,
                "Fulfillment Status": fulfillment,
                "Accepts Marketing": "no",
                "Currency": currency,
                "Subtotal": str(subtotal),
                "Shipping": str(shipping),
                "Taxes": str((total * Decimal("0.23") / Decimal("1.23")).quantize(Decimal("0.01"))),
                "Total": str(total),
                "Discount Code": "WELCOME10" if discount else "",
                "Discount Amount": str(discount),
                "Shipping Method": "InPost Paczkomaty" if shipping else "Free shipping",
                "Billing Name": person["name"],
                "Billing Address1": f"ul. Długa {n % 200 + 1}",
                "Billing City": "Warszawa",
                "Billing Zip": "00-238",
                "Billing Country": "PL",
                "Billing Phone": person["phone"],
                "Shipping Name": person["name"],
                "Shipping Address1": f"ul. Długa {n % 200 + 1}",
                "Shipping City": "Warszawa",
                "Shipping Zip": "00-238",
                "Shipping Country": "PL",
                "Shipping Phone": person["phone"],
                "Cancelled at": cancelled,
                "Payment Method": "Shopify Payments",
                "Refunded Amount": str(refunded),
                "Outstanding Balance": "0.00",
                "Id": str(5_100_000_000 + n),
                "Risk Level": "Low",
                "Source": "web",
            }.items():
                row[index[column]] = value
        rows.append(row)
    return rows


def _shopify_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S +0000")
