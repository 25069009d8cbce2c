"""The CSV layouts ``zabota import-orders`` reads: which columns feed which of our fields, and how
each platform's status words map onto ours.

Every layout is a mapping from our field names (:data:`FIELDS`) to the column headers that may
carry them, in order of preference: the first of those columns that the file has and that is not
empty on the row wins (Shopify's phone is in "Phone", else "Billing Phone", else "Shipping
Phone"). Headers are matched case-insensitively and with runs of blanks collapsed. ``--map
COLUMN=field`` puts the file's own column in place of a layout's columns for that field.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from zabota.commerce.constants import FinancialStatus, FulfillmentStatus, OrderStatus, Source
from zabota.commerce.woocommerce import STATUSES as WOOCOMMERCE_STATUSES

# Order-level fields: read from the first row of an order.
ORDER_FIELDS: dict[str, Promise] = {
    "external_id": gettext_lazy(
        "the order's id on the platform (required; rows with one id are one order)"
    ),
    "number": gettext_lazy("the order number customers see (default: the id)"),
    "email": gettext_lazy("the customer's e-mail address"),
    "phone": gettext_lazy("the customer's phone, international or national with country"),
    "first_name": gettext_lazy("the customer's first name"),
    "last_name": gettext_lazy("the customer's last name"),
    "name": gettext_lazy("the customer's full name, when there are no first and last names"),
    "country": gettext_lazy("the customer's country, ISO code (reads national phone numbers)"),
    "currency": gettext_lazy("ISO 4217 code (default: the store's base currency)"),
    "total": gettext_lazy("the order total (required)"),
    "subtotal": gettext_lazy("the sum of the lines before shipping, tax and discounts"),
    "shipping_total": gettext_lazy("shipping charged"),
    "tax_total": gettext_lazy("tax"),
    "discount_total": gettext_lazy("discounts"),
    "paid_amount": gettext_lazy("paid so far (default: the total once paid, else nothing)"),
    "outstanding_balance": gettext_lazy("still to pay (paid = total − this)"),
    "refunded_amount": gettext_lazy("refunded so far (recorded as one refund)"),
    "discount_codes": gettext_lazy("discount codes"),
    "shipping_method": gettext_lazy("shipping method"),
    "placed_at": gettext_lazy("when the order was placed (required)"),
    "paid_at": gettext_lazy("when it was paid"),
    "cancelled_at": gettext_lazy("when it was cancelled (makes it cancelled)"),
    "cancel_reason": gettext_lazy("why it was cancelled"),
    "refunded_at": gettext_lazy("when the refund was made (default: cancelled, paid or placed)"),
    "updated_at": gettext_lazy("the platform's last change of the order (older rows are skipped)"),
    "status": gettext_lazy("open, closed or cancelled (WooCommerce: the order status)"),
    "financial_status": gettext_lazy(
        "pending, authorized, partially_paid, paid, partially_refunded, refunded or voided"
    ),
    "fulfillment_status": gettext_lazy("unfulfilled, partial, fulfilled or restocked"),
    "shipping_name": gettext_lazy("shipping address: name"),
    "shipping_company": gettext_lazy("shipping address: company"),
    "shipping_address1": gettext_lazy("shipping address: street"),
    "shipping_address2": gettext_lazy("shipping address: second line"),
    "shipping_city": gettext_lazy("shipping address: city"),
    "shipping_zip": gettext_lazy("shipping address: postal code"),
    "shipping_province": gettext_lazy("shipping address: province or state"),
    "shipping_country": gettext_lazy("shipping address: country"),
    "shipping_phone": gettext_lazy("shipping address: phone"),
}
# Line fields: read from every row of an order; a row without product name and SKU has no line.
LINE_FIELDS: dict[str, Promise] = {
    "line_id": gettext_lazy("the line's id on the platform"),
    "line_title": gettext_lazy("product name"),
    "line_sku": gettext_lazy("SKU"),
    "line_variant": gettext_lazy("variant (size, colour)"),
    "line_quantity": gettext_lazy("quantity (default 1)"),
    "line_price": gettext_lazy("unit price"),
    "line_total": gettext_lazy("line total (default: price × quantity)"),
}
FIELDS: dict[str, Promise] = {**ORDER_FIELDS, **LINE_FIELDS}
REQUIRED = ("external_id", "total", "placed_at")

SHIPPING_ADDRESS_KEYS = (
    "name",
    "company",
    "address1",
    "address2",
    "city",
    "zip",
    "province",
    "country",
    "phone",
)

Statuses = tuple[OrderStatus, FinancialStatus, FulfillmentStatus]
# (the row's value of a field, or ""; the column it came from, for messages) → our statuses.
Get = Callable[[str], str]


class StatusError(ValueError):
    """A status word the layout does not know; ``field`` names the field it was read from."""

    def __init__(self, field: str, value: str) -> None:
        super().__init__(value)
        self.field = field
        self.value = value


def _word(value: str) -> str:
    """ "Partially Refunded", "partially-refunded" → "partially_refunded"."""
    return "_".join(value.strip().lower().replace("-", " ").split())


def _choice[T: str](choices: dict[str, T], get: Get, field: str, default: T) -> T:
    value = get(field)
    if not value.strip():
        return default
    found = choices.get(_word(value))
    if found is None:
        raise StatusError(field, value)
    return found


_FINANCIAL = {s.value: s for s in FinancialStatus} | {
    # Shopify: an authorisation that was never captured and lapsed; nothing was paid.
    "expired": FinancialStatus.VOIDED,
    "unpaid": FinancialStatus.PENDING,
}
_FULFILLMENT = {s.value: s for s in FulfillmentStatus} | {
    "partially_fulfilled": FulfillmentStatus.PARTIAL,
    # Shopify's export says "pending" for an order with nothing shipped yet.
    "pending": FulfillmentStatus.UNFULFILLED,
    "shipped": FulfillmentStatus.FULFILLED,
}
_ORDER_STATUS = {s.value: s for s in OrderStatus} | {"canceled": OrderStatus.CANCELLED}


def shopify_statuses(get: Get) -> Statuses:
    """The export has no open/archived column: an order is open unless it was cancelled."""
    financial = _choice(_FINANCIAL, get, "financial_status", FinancialStatus.PENDING)
    fulfillment = _choice(_FULFILLMENT, get, "fulfillment_status", FulfillmentStatus.UNFULFILLED)
    status = OrderStatus.CANCELLED if get("cancelled_at").strip() else OrderStatus.OPEN
    return status, financial, fulfillment


def woocommerce_statuses(get: Get) -> Statuses:
    """The webhook's table (``commerce.woocommerce``), with or without the "wc-" prefix that
    exports write; a status outside it (a plugin's own, a checkout draft) is rejected rather
    than guessed. A cancelled order that had been paid stays paid, as in the webhook."""
    value = get("status")
    word = value.strip().lower().removeprefix("wc-").replace("_", "-")
    if word not in WOOCOMMERCE_STATUSES:
        raise StatusError("status", value)
    status, financial, fulfillment = WOOCOMMERCE_STATUSES[word]
    if word == "cancelled" and get("paid_at"):
        financial = FinancialStatus.PAID
    return status, financial, fulfillment


def generic_statuses(get: Get) -> Statuses:
    default = OrderStatus.CANCELLED if get("cancelled_at").strip() else OrderStatus.OPEN
    status = _choice(_ORDER_STATUS, get, "status", default)
    financial = _choice(_FINANCIAL, get, "financial_status", FinancialStatus.PENDING)
    fulfillment = _choice(_FULFILLMENT, get, "fulfillment_status", FulfillmentStatus.UNFULFILLED)
    return status, financial, fulfillment


@dataclass(frozen=True)
class CsvFormat:
    name: str
    source: Source
    # Our field → the headers that may carry it, preferred first (lower case).
    columns: dict[str, tuple[str, ...]]
    # The field whose value is the same on every row of one order.
    group_by: str
    statuses: Callable[[Get], Statuses]
    # The field used as the external id when the file has no column for it (old Shopify
    # exports have no "Id"), else None.
    id_fallback: str | None = None
    # A refunded order without a refunded amount column was refunded in full (WooCommerce).
    refunded_means_total: bool = False


def _lower(columns: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    return {
        field: tuple(" ".join(h.lower().split()) for h in headers)
        for field, headers in columns.items()
    }


SHOPIFY = CsvFormat(
    name="shopify",
    source=Source.SHOPIFY,
    columns=_lower(
        {
            "external_id": ("Id",),
            "number": ("Name",),
            "email": ("Email",),
            "phone": ("Phone", "Billing Phone", "Shipping Phone"),
            "name": ("Billing Name", "Shipping Name"),
            "country": ("Billing Country", "Shipping Country"),
            "currency": ("Currency",),
            "total": ("Total",),
            "subtotal": ("Subtotal",),
            "shipping_total": ("Shipping",),
            "tax_total": ("Taxes",),
            "discount_total": ("Discount Amount",),
            "outstanding_balance": ("Outstanding Balance",),
            "refunded_amount": ("Refunded Amount",),
            "discount_codes": ("Discount Code",),
            "shipping_method": ("Shipping Method",),
            "placed_at": ("Created at",),
            "paid_at": ("Paid at",),
            "cancelled_at": ("Cancelled at",),
            "financial_status": ("Financial Status",),
            "fulfillment_status": ("Fulfillment Status",),
            "shipping_name": ("Shipping Name",),
            "shipping_company": ("Shipping Company",),
            "shipping_address1": ("Shipping Address1", "Shipping Street"),
            "shipping_address2": ("Shipping Address2",),
            "shipping_city": ("Shipping City",),
            "shipping_zip": ("Shipping Zip",),
            "shipping_province": ("Shipping Province",),
            "shipping_country": ("Shipping Country",),
            "shipping_phone": ("Shipping Phone",),
            "line_title": ("Lineitem name",),
            "line_quantity": ("Lineitem quantity",),
            "line_price": ("Lineitem price",),
            "line_sku": ("Lineitem sku",),
        }
    ),
    group_by="number",
    statuses=shopify_statuses,
    id_fallback="number",
)

# The usual columns of WooCommerce order exports (the "Order Export" plugins and WooCommerce's
# own CSV); each plugin spells a few of them its own way, hence the alternatives.
WOOCOMMERCE = CsvFormat(
    name="woocommerce",
    source=Source.WOOCOMMERCE,
    columns=_lower(
        {
            "external_id": ("Order ID", "order_id"),
            "number": ("Order Number", "order_number", "Order Number Formatted"),
            "placed_at": ("Order Date", "Date Created", "date"),
            "status": ("Order Status", "status"),
            "email": ("Customer Email", "Billing Email", "billing_email", "Email (Billing)"),
            "phone": ("Billing Phone", "billing_phone", "Phone (Billing)"),
            "first_name": ("Billing First Name", "billing_first_name", "First Name (Billing)"),
            "last_name": ("Billing Last Name", "billing_last_name", "Last Name (Billing)"),
            "country": (
                "Billing Country",
                "billing_country",
                "Country Code (Billing)",
                "Shipping Country",
            ),
            "currency": ("Order Currency", "Currency", "order_currency"),
            "total": ("Order Total", "order_total", "Order Total Amount"),
            "subtotal": ("Order Subtotal", "Order Subtotal Amount"),
            "shipping_total": ("Order Shipping", "order_shipping", "Order Shipping Amount"),
            "tax_total": ("Order Tax", "order_tax", "Order Total Tax Amount"),
            "discount_total": ("Cart Discount", "cart_discount", "Cart Discount Amount"),
            "refunded_amount": ("Order Refund", "Order Refund Amount", "Refund Amount"),
            "discount_codes": ("Coupon Code", "Coupons", "Coupon Items"),
            "shipping_method": ("Shipping Method", "shipping_method", "Shipping Method Title"),
            "paid_at": ("Paid Date", "Order Paid Date", "Date Paid"),
            "updated_at": ("Order Modified Date", "Date Modified"),
            "shipping_name": ("Shipping Full Name", "Full Name (Shipping)"),
            "shipping_company": ("Shipping Company", "shipping_company"),
            "shipping_address1": ("Shipping Address 1", "shipping_address_1"),
            "shipping_address2": ("Shipping Address 2", "shipping_address_2"),
            "shipping_city": ("Shipping City", "shipping_city"),
            "shipping_zip": ("Shipping Postcode", "shipping_postcode"),
            "shipping_province": ("Shipping State", "shipping_state"),
            "shipping_country": ("Shipping Country", "shipping_country"),
            "line_id": ("Item #", "Item ID", "Order Item ID"),
            "line_title": ("Item Name", "Product Name", "item_name"),
            "line_sku": ("SKU", "Item SKU"),
            "line_variant": ("Variation", "Item Variation"),
            "line_quantity": ("Quantity", "Item Quantity", "Qty"),
            "line_price": ("Item Cost", "Item Price"),
            "line_total": ("Item Total", "Order Line Total", "Line Total"),
        }
    ),
    group_by="external_id",
    statuses=woocommerce_statuses,
    refunded_means_total=True,
)

GENERIC = CsvFormat(
    name="generic",
    source=Source.GENERIC,
    columns={field: (field,) for field in FIELDS},
    group_by="external_id",
    statuses=generic_statuses,
)

FORMATS: dict[str, CsvFormat] = {f.name: f for f in (SHOPIFY, WOOCOMMERCE, GENERIC)}
