from django.db import models
from django.utils.translation import gettext_lazy as _


class Weekday(models.IntegerChoices):
    """Numbered as ``date.weekday()`` numbers them."""

    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class TargetState(models.TextChoices):
    """Where one SLA target of a ticket (first reply, next reply, resolution) stands; the
    ticket's overall state is the worst of its targets'."""

    # Running (or paused) and more than the warning share of its time left.
    DUE = "due", _("Due")
    # Within the policy's warning share of its time; set by the sweep.
    WARNING = "warning", _("Warning")
    # Its due time passed before it was met; stays so once met late (for reporting).
    BREACHED = "breached", _("Breached")
    # Met in time.
    MET = "met", _("Met")


# States in which a target's clock still runs: the sweep moves them on.
RUNNING_STATES = (TargetState.DUE, TargetState.WARNING)
# The targets of a policy, as ``TicketSla`` names its fields (``<target>_due`` …).
TARGETS = ("first_reply", "next_reply", "resolution")
