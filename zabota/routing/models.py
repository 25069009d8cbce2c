from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from zabota.routing.constants import Availability, Strategy


class AgentStatus(models.Model):
    """An agent's availability for routing; no row means offline."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="routing_status"
    )
    status = models.CharField(
        _("availability"), max_length=16, choices=Availability.choices, default=Availability.OFFLINE
    )
    changed_at = models.DateTimeField(_("changed"))
    # The agent's last request, written at most once a minute (routing.middleware); an online
    # agent idle for ZABOTA_AUTO_AWAY_MINUTES becomes away.
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True)

    class Meta:
        verbose_name = _("agent status")
        verbose_name_plural = _("agent statuses")

    def __str__(self) -> str:
        return f"{self.user}: {self.status}"


class GroupRouting(models.Model):
    """How a group's new tickets are assigned. Its row is also the lock taken while choosing."""

    group = models.OneToOneField("accounts.Group", on_delete=models.CASCADE, related_name="routing")
    strategy = models.CharField(
        _("strategy"), max_length=16, choices=Strategy.choices, default=Strategy.MANUAL
    )
    last_assigned = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The agent round robin gave the last ticket to."),
    )

    class Meta:
        verbose_name = _("group routing")
        verbose_name_plural = _("group routing")

    def __str__(self) -> str:
        return f"{self.group}: {self.strategy}"


class CustomerManager(models.Model):
    """A customer's personal manager in one store: gets the customer's new tickets while able."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="managers"
    )
    store = models.ForeignKey("commerce.Store", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="managed_customers"
    )

    class Meta:
        verbose_name = _("personal manager")
        verbose_name_plural = _("personal managers")
        constraints = [
            models.UniqueConstraint(fields=["customer", "store"], name="customer_manager_unique")
        ]

    def __str__(self) -> str:
        return f"{self.customer} → {self.user}"
