from datetime import timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import available_timezones

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zabota.commerce.constants import (
    DeliveryStatus,
    FinancialStatus,
    FulfillmentStatus,
    OrderStatus,
    ReturnStatus,
    Segment,
    ShipmentStatus,
    Source,
)
from zabota.core.fields import EncryptedTextField
from zabota.core.models import TimestampedModel

TIME_ZONE_CHOICES = sorted((tz, tz) for tz in available_timezones())


class Store(TimestampedModel):
    """A brand the team supports: its own address, time zone, language, currency and numbering."""

    slug = models.SlugField(_("slug"), unique=True)
    name = models.CharField(_("name"), max_length=150)
    email = models.EmailField(_("support address"))
    time_zone = models.CharField(
        _("time zone"), max_length=64, choices=TIME_ZONE_CHOICES, default="Europe/Warsaw"
    )
    default_language = models.CharField(
        _("default language"), max_length=8, choices=settings.LANGUAGES, default="en"
    )
    currency = models.CharField(
        _("base currency"),
        max_length=3,
        default="EUR",
        help_text=_("Lifetime values are kept in this currency; other currencies are converted."),
    )
    default_group = models.ForeignKey(
        "accounts.Group",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("default group"),
        help_text=_("New tickets land here unless a rule routes them elsewhere."),
    )
    confirmation_timeout = models.DurationField(
        _("confirmation timeout"),
        default=timedelta(days=3),
        help_text=_(
            "A proposed solution counts as accepted if the customer stays silent this long."
        ),
    )
    close_after = models.DurationField(
        _("close solved tickets after"),
        default=timedelta(days=7),
        help_text=_("A solved ticket is closed this long after it was solved."),
    )
    shopify_secret = EncryptedTextField(
        _("Shopify webhook secret"),
        blank=True,
        help_text=_("The app's client secret: Shopify signs every webhook with it."),
    )
    woocommerce_secret = EncryptedTextField(
        _("WooCommerce webhook secret"),
        blank=True,
        help_text=_("The secret entered for the webhooks in WooCommerce → Settings → Advanced."),
    )
    # Last issued ticket number; incremented under a row lock.
    ticket_seq = models.PositiveIntegerField(default=1000, editable=False)

    class Meta:
        verbose_name = _("store")
        verbose_name_plural = _("stores")

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Never write ticket_seq from a possibly stale instance (admin form, old copy):
        only ``tickets.actions`` advances it, with an atomic UPDATE."""
        if not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key and f.name != "ticket_seq"
            ]
        super().save(*args, **kwargs)


class ExchangeRate(models.Model):
    """How many units of the store's base currency one unit of ``currency`` was worth from
    ``valid_from`` on. An order is converted with the rate valid on the day it was placed."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="exchange_rates")
    currency = models.CharField(_("currency"), max_length=3)
    rate = models.DecimalField(_("rate"), max_digits=18, decimal_places=8)
    valid_from = models.DateField(_("valid from"))

    class Meta:
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        constraints = [
            models.UniqueConstraint(
                fields=["store", "currency", "valid_from"], name="exchange_rate_unique_day"
            )
        ]

    def __str__(self) -> str:
        return f"1 {self.currency} = {self.rate} {self.store.currency} ({self.valid_from})"


class Order(TimestampedModel):
    """An order as the store's platform last reported it. Upserted by (store, source,
    external_id); ``source_updated_at`` keeps an older delivery from overwriting a newer one."""

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="orders")
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    external_id = models.CharField(_("external id"), max_length=64)
    number = models.CharField(_("number"), max_length=64)
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="orders",
    )
    # As given by the platform, kept even when no customer could be matched.
    email = models.CharField(_("e-mail"), max_length=320, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=OrderStatus.choices, default=OrderStatus.OPEN
    )
    financial_status = models.CharField(
        _("payment"),
        max_length=24,
        choices=FinancialStatus.choices,
        default=FinancialStatus.PENDING,
    )
    fulfillment_status = models.CharField(
        _("fulfilment"),
        max_length=16,
        choices=FulfillmentStatus.choices,
        default=FulfillmentStatus.UNFULFILLED,
    )
    currency = models.CharField(_("currency"), max_length=3)
    subtotal = models.DecimalField(
        _("subtotal"), default=Decimal(0), max_digits=14, decimal_places=2
    )
    discount_total = models.DecimalField(
        _("discounts"), default=Decimal(0), max_digits=14, decimal_places=2
    )
    shipping_total = models.DecimalField(
        _("shipping"), default=Decimal(0), max_digits=14, decimal_places=2
    )
    tax_total = models.DecimalField(_("tax"), default=Decimal(0), max_digits=14, decimal_places=2)
    total = models.DecimalField(_("total"), max_digits=14, decimal_places=2)
    # What the customer has paid so far, and the sum of the order's refunds (order currency).
    paid_amount = models.DecimalField(
        _("paid"), default=Decimal(0), max_digits=14, decimal_places=2
    )
    refunded_amount = models.DecimalField(
        _("refunded"), default=Decimal(0), max_digits=14, decimal_places=2
    )
    # Base-currency units per unit of ``currency``; null while no rate is known (then the order
    # is left out of lifetime value until an admin adds one).
    fx_rate = models.DecimalField(max_digits=18, decimal_places=8, null=True, blank=True)
    discount_codes = models.CharField(_("discount codes"), max_length=200, blank=True)
    shipping_method = models.CharField(_("shipping method"), max_length=100, blank=True)
    shipping_address = models.JSONField(_("shipping address"), default=dict, blank=True)
    placed_at = models.DateTimeField(_("placed"))
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    cancel_reason = models.CharField(_("cancel reason"), max_length=100, blank=True)
    # Deleted on the platform (WooCommerce order.deleted): kept for the record, counted nowhere.
    deleted_at = models.DateTimeField(null=True, blank=True)
    source_updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        constraints = [
            models.UniqueConstraint(
                fields=["store", "source", "external_id"], name="order_unique_external_id"
            )
        ]
        indexes = [
            models.Index(fields=["customer", "store", "placed_at"], name="order_customer_idx"),
            models.Index(fields=["store", "number"], name="order_number_idx"),
        ]

    def __str__(self) -> str:
        # Shopify numbers come with their "#" already ("#1001"), WooCommerce ones without.
        return self.number if self.number.startswith("#") else f"#{self.number}"

    @property
    def net_paid(self) -> Decimal:
        return self.paid_amount - self.refunded_amount


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    external_id = models.CharField(max_length=64, blank=True)
    sku = models.CharField(_("SKU"), max_length=64, blank=True)
    title = models.CharField(_("product"), max_length=255)
    # Size, colour …: "M / Blue".
    variant = models.CharField(_("variant"), max_length=255, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    price = models.DecimalField(_("price"), max_digits=14, decimal_places=2)
    total = models.DecimalField(_("line total"), max_digits=14, decimal_places=2)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")

    def __str__(self) -> str:
        return f"{self.quantity} × {self.title}"


class Shipment(TimestampedModel):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="shipments")
    external_id = models.CharField(max_length=64)
    carrier = models.CharField(_("carrier"), max_length=100, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=100, blank=True)
    tracking_url = models.URLField(_("tracking link"), max_length=500, blank=True)
    status = models.CharField(
        _("status"), max_length=24, choices=ShipmentStatus.choices, default=ShipmentStatus.PENDING
    )
    shipped_at = models.DateTimeField(_("shipped"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    source_updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        constraints = [
            models.UniqueConstraint(fields=["order", "external_id"], name="shipment_unique")
        ]

    def __str__(self) -> str:
        return f"{self.carrier} {self.tracking_number}".strip()


class Refund(TimestampedModel):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="refunds")
    external_id = models.CharField(max_length=64)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    refunded_at = models.DateTimeField(_("refunded"))

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        constraints = [
            models.UniqueConstraint(fields=["order", "external_id"], name="refund_unique")
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.order.currency}"


class Return(TimestampedModel):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="returns")
    external_id = models.CharField(max_length=64)
    status = models.CharField(
        _("status"), max_length=16, choices=ReturnStatus.choices, default=ReturnStatus.REQUESTED
    )
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    requested_at = models.DateTimeField(_("requested"))
    received_at = models.DateTimeField(_("received"), null=True, blank=True)

    class Meta:
        verbose_name = _("return")
        verbose_name_plural = _("returns")
        constraints = [
            models.UniqueConstraint(fields=["order", "external_id"], name="return_unique")
        ]

    def __str__(self) -> str:
        return f"{self.order} ({self.get_status_display()})"


class ReturnLine(models.Model):
    ret = models.ForeignKey(Return, on_delete=models.CASCADE, related_name="lines")
    sku = models.CharField(_("SKU"), max_length=64, blank=True)
    title = models.CharField(_("product"), max_length=255, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    reason = models.CharField(_("reason"), max_length=255, blank=True)

    def __str__(self) -> str:
        return f"{self.quantity} × {self.title or self.sku}"


class CustomerStats(models.Model):
    """A customer's figures in one store, in the store's base currency. Rewritten by
    ``commerce.metrics`` in the same transaction as every change to the customer's orders."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="stats"
    )
    # Paid minus refunded, over orders that are neither cancelled nor deleted.
    lifetime_value = models.DecimalField(
        _("lifetime value"), default=Decimal(0), max_digits=14, decimal_places=2
    )
    order_count = models.PositiveIntegerField(_("orders"), default=0)
    average_order_value = models.DecimalField(
        _("average order value"), default=Decimal(0), max_digits=14, decimal_places=2
    )
    first_order_at = models.DateTimeField(_("first order"), null=True, blank=True)
    last_order_at = models.DateTimeField(_("last order"), null=True, blank=True)
    # Orders with at least one return, and their share of all orders (0–1).
    returned_orders = models.PositiveIntegerField(default=0)
    return_rate = models.DecimalField(
        _("return rate"), max_digits=5, decimal_places=4, default=Decimal(0)
    )
    # Orders in another currency for which no exchange rate was known.
    unconverted_orders = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)
    # When figures and segments were last recomputed, changed or not (the sweep's cursor).
    evaluated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("customer figures")
        verbose_name_plural = _("customer figures")
        constraints = [
            models.UniqueConstraint(fields=["store", "customer"], name="customer_stats_unique")
        ]
        indexes = [
            models.Index(fields=["store", "last_order_at"], name="stats_last_order_idx"),
            models.Index(fields=["store", "evaluated_at"], name="stats_evaluated_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}@{self.store_id}: {self.lifetime_value}"


class SegmentSettings(models.Model):
    """A store's thresholds for the automatic segments (edited on the store settings page)."""

    store = models.OneToOneField(Store, on_delete=models.CASCADE, related_name="segment_settings")
    vip_threshold = models.DecimalField(
        _("VIP from lifetime value"), default=Decimal(1000), max_digits=14, decimal_places=2
    )
    repeat_min_orders = models.PositiveSmallIntegerField(_("repeat from orders"), default=2)
    new_days = models.PositiveSmallIntegerField(_("new for days after first order"), default=30)
    dormant_days = models.PositiveSmallIntegerField(
        _("dormant after days without order"), default=180
    )
    high_returner_rate = models.DecimalField(
        _("high returner from return rate"), max_digits=5, decimal_places=4, default=Decimal("0.3")
    )
    high_returner_min_orders = models.PositiveSmallIntegerField(
        _("high returner from orders"), default=3
    )
    negative_tags = models.CharField(
        _("negative contact tags"),
        max_length=200,
        default="complaint",
        help_text=_("Comma-separated ticket tags that mark a negative contact."),
    )
    negative_days = models.PositiveSmallIntegerField(
        _("negative contact counts for days"), default=30
    )
    engagement_days = models.PositiveSmallIntegerField(_("engagement window (days)"), default=180)
    passionate_signals = models.PositiveSmallIntegerField(
        _("passionate from signals"),
        default=3,
        help_text=_("Messages, survey answers, reviews and repeat orders within the window."),
    )

    class Meta:
        verbose_name = _("segment settings")
        verbose_name_plural = _("segment settings")

    def __str__(self) -> str:
        return str(self.store)

    @property
    def negative_tag_names(self) -> list[str]:
        return [t.strip().lower() for t in self.negative_tags.split(",") if t.strip()]


class CustomerSegment(models.Model):
    """The customer is in ``segment`` in ``store`` since ``since``. Rows appear and disappear as
    ``commerce.segments`` recomputes; each change is published as customer.segment_changed."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="segments"
    )
    segment = models.CharField(_("segment"), max_length=16, choices=Segment.choices)
    since = models.DateTimeField(_("since"), auto_now_add=True)

    class Meta:
        verbose_name = _("customer segment")
        verbose_name_plural = _("customer segments")
        constraints = [
            models.UniqueConstraint(
                fields=["store", "customer", "segment"], name="customer_segment_unique"
            )
        ]
        indexes = [models.Index(fields=["store", "segment"], name="segment_store_idx")]

    def __str__(self) -> str:
        return self.segment


class WebhookDelivery(TimestampedModel):
    """One webhook request from a store platform, stored raw (after its signature was checked)
    before anything is done with it, so that a failure can be retried and nothing is lost."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="webhook_deliveries")
    source = models.CharField(_("platform"), max_length=16, choices=Source.choices)
    topic = models.CharField(_("topic"), max_length=64)
    # The platform's delivery id (X-Shopify-Webhook-Id, X-WC-Webhook-Delivery-ID), if it sent one.
    delivery_id = models.CharField(max_length=100, blank=True)
    # External id of the order the delivery is about, once known (for WAITING deliveries).
    order_ref = models.CharField(max_length=64, blank=True)
    body = models.BinaryField()
    status = models.CharField(
        _("status"), max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.RECEIVED
    )
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [
            models.Index(fields=["status", "created_at"], name="webhook_status_idx"),
            models.Index(fields=["store", "source", "order_ref"], name="webhook_order_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.topic} ({self.get_status_display()})"
