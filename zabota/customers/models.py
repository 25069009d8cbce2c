from django.db import models
from django.utils.translation import gettext_lazy as _

from zabota.core.models import TimestampedModel
from zabota.customers.constants import IdentityKind


class Customer(TimestampedModel):
    """A person who writes to the store, known by one or more identities."""

    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    # How the name is shown; Hungarian names put the family name first.
    display_name = models.CharField(_("name"), max_length=200, blank=True)
    language = models.CharField(_("language"), max_length=8, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    merged_into = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="merged_from"
    )

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        indexes = [models.Index(fields=["display_name"], name="customer_name_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.display_name or f"{self.first_name} {self.last_name}".strip() or f"#{self.pk}"

    @property
    def primary_email(self) -> str:
        for identity in self.identities.all():
            if identity.kind == IdentityKind.EMAIL:
                return identity.value
        return ""


class Identity(TimestampedModel):
    """One way to reach a customer. (kind, value) is unique across the installation."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="identities")
    kind = models.CharField(_("kind"), max_length=16, choices=IdentityKind.choices)
    value = models.CharField(_("value"), max_length=320)
    verified = models.BooleanField(_("verified"), default=False)

    class Meta:
        verbose_name = _("identity")
        verbose_name_plural = _("identities")
        constraints = [
            models.UniqueConstraint(fields=["kind", "value"], name="identity_unique_kind_value")
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"


class CustomerEvent(models.Model):
    """Audit row for every change to a customer (created, identity added, merged)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=32)
    actor = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["customer", "created_at"], name="customer_event_idx")]

    def __str__(self) -> str:
        return f"{self.kind} ({self.customer_id})"


class ImportantDate(TimestampedModel):
    """A date that comes back every year (birthday, anniversary of the first order …). The year
    is optional: people often give only the day."""

    class Kind(models.TextChoices):
        BIRTHDAY = "birthday", _("Birthday")
        ANNIVERSARY = "anniversary", _("Anniversary")
        NAME_DAY = "name_day", _("Name day")
        OTHER = "other", _("Other")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="dates")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.BIRTHDAY)
    label = models.CharField(_("label"), max_length=100, blank=True)
    month = models.PositiveSmallIntegerField(_("month"))
    day = models.PositiveSmallIntegerField(_("day"))
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)

    class Meta:
        verbose_name = _("important date")
        verbose_name_plural = _("important dates")
        indexes = [models.Index(fields=["month", "day"], name="important_date_day_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(month__gte=1, month__lte=12, day__gte=1, day__lte=31),
                name="important_date_valid_day",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.day:02d}.{self.month:02d}"
