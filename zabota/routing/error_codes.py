from django.db import models
from django.utils.translation import gettext_lazy as _

from zabota.core.errors import DomainError


class RoutingErrorCode(models.TextChoices):
    # An availability value that is not one of Availability.
    INVALID_AVAILABILITY = "invalid_availability", _("Unknown availability “%(status)s”.")
    # Someone other than the agent, their lead or an admin tried to change an availability.
    AVAILABILITY_NOT_ALLOWED = (
        "availability_not_allowed",
        _("You may not change this agent's availability."),
    )
    # The workload view is for leads and admins.
    WORKLOAD_NOT_ALLOWED = "workload_not_allowed", _("Only leads and admins see the workload.")


class RoutingError(DomainError):
    code: RoutingErrorCode
