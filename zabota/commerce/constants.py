from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Source(models.TextChoices):
    """Where an order came from; external ids are unique per store and source."""

    SHOPIFY = "shopify", _("Shopify")
    WOOCOMMERCE = "woocommerce", _("WooCommerce")
    # CSV import in our own column layout (or a mapped one) and the REST API.
    GENERIC = "generic", _("Other")


class OrderStatus(models.TextChoices):
    # Placed and still being worked on (paid or not, shipped or not).
    OPEN = "open", pgettext_lazy("order", "Open")
    # Finished by the store: delivered or archived.
    CLOSED = "closed", pgettext_lazy("order", "Closed")
    # Cancelled before completion; it no longer counts as an order of the customer.
    CANCELLED = "cancelled", _("Cancelled")


class FinancialStatus(models.TextChoices):
    # Nothing paid yet (bank transfer, cash on delivery).
    PENDING = "pending", pgettext_lazy("payment", "Pending")
    # Card authorised, not captured.
    AUTHORIZED = "authorized", _("Authorized")
    PARTIALLY_PAID = "partially_paid", _("Partially paid")
    PAID = "paid", _("Paid")
    PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")
    REFUNDED = "refunded", _("Refunded")
    # Authorisation cancelled: nothing was ever paid.
    VOIDED = "voided", _("Voided")


# Statuses whose order total has been paid in full (refunds are subtracted separately).
PAID_IN_FULL = (
    FinancialStatus.PAID,
    FinancialStatus.PARTIALLY_REFUNDED,
    FinancialStatus.REFUNDED,
)


class FulfillmentStatus(models.TextChoices):
    UNFULFILLED = "unfulfilled", _("Unfulfilled")
    PARTIAL = "partial", _("Partially shipped")
    FULFILLED = "fulfilled", _("Shipped")
    # Shipped and returned to stock (a returned or undeliverable order).
    RESTOCKED = "restocked", _("Restocked")


class ShipmentStatus(models.TextChoices):
    PENDING = "pending", _("Label created")
    IN_TRANSIT = "in_transit", _("In transit")
    OUT_FOR_DELIVERY = "out_for_delivery", _("Out for delivery")
    DELIVERED = "delivered", _("Delivered")
    # The carrier could not deliver (wrong address, not collected).
    FAILED = "failed", _("Delivery failed")
    RETURNED = "returned", _("Returned to sender")


class ReturnStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    APPROVED = "approved", _("Approved")
    # The goods are back in the warehouse.
    RECEIVED = "received", pgettext_lazy("return", "Received")
    # Money went back to the customer (the Refund row carries the amount).
    REFUNDED = "refunded", _("Refunded")
    REJECTED = "rejected", _("Rejected")


class Segment(models.TextChoices):
    """Automatic customer segments, per store, recomputed whenever their inputs change."""

    # Lifetime value at or above the store's VIP threshold.
    VIP = "vip", _("VIP")
    # At least the store's minimum number of orders (default 2).
    REPEAT = "repeat", _("Repeat customer")
    # First order within the last N days (default 30).
    NEW = "new", _("New customer")
    # No order for N days (default 180).
    DORMANT = "dormant", _("Dormant")
    # A repeat customer turned dormant, or a recent negative contact (a complaint).
    AT_RISK = "at_risk", _("At risk")
    # Returns on at least the store's share of orders (default 30 %, from 3 orders).
    HIGH_RETURNER = "high_returner", _("High returner")
    # Engaged: writes, answers, buys again.
    PASSIONATE = "passionate", _("Passionate")
    # Bought once and stayed silent since.
    INDIFFERENT = "indifferent", _("Indifferent")


class DeliveryStatus(models.TextChoices):
    """What became of one stored webhook delivery."""

    RECEIVED = "received", pgettext_lazy("webhook", "Received")
    PROCESSED = "processed", pgettext_lazy("webhook", "Processed")
    # Refers to an order we do not have yet (a refund that overtook its order): processed again
    # as soon as that order arrives.
    WAITING = "waiting", _("Waiting for its order")
    # Stored, but its topic changes nothing we keep (or it refers to nothing we know).
    IGNORED = "ignored", pgettext_lazy("webhook", "Ignored")
    # Processing raised; the raw body stays for a retry from the admin.
    FAILED = "failed", _("Failed")
