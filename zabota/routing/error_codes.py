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
    # A strategy value that is not one of Strategy.
    INVALID_STRATEGY = "invalid_strategy", _("Unknown routing strategy “%(strategy)s”.")
    # Only the group's lead or an admin changes how its tickets are routed.
    ROUTING_NOT_ALLOWED = "routing_not_allowed", _("You may not change this group's routing.")
    # A capacity outside 0..MAX_CAPACITY.
    INVALID_CAPACITY = "invalid_capacity", _("Capacity must be a whole number from 0 to %(max)s.")
    # A language that is not a 2–3 letter code (en, ru, yue).
    INVALID_LANGUAGE = (
        "invalid_language",
        _("“%(language)s” is not a language code: use 2–3 letters, e.g. en, ru."),
    )
    # Only an admin, or a lead for the members of the groups they lead, edits an agent's profile.
    PROFILE_NOT_ALLOWED = "profile_not_allowed", _("You may not change this agent's profile.")
    # Only admins, and leads in the store, set personal managers.
    MANAGER_NOT_ALLOWED = (
        "manager_not_allowed",
        _("You may not change this customer's personal manager."),
    )
    # The chosen manager does not work in the store (not a lead or member of one of its groups).
    INVALID_MANAGER = "invalid_manager", _("This person does not work in the store.")


class RoutingError(DomainError):
    code: RoutingErrorCode
