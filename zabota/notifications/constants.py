from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    # An automation rule's "notify" action.
    RULE = "rule", _("Rule")
    # A ticket was assigned to the recipient by someone else, by routing or by a rule.
    ASSIGNED = "assigned", _("Assigned to you")
    # An SLA target of the recipient's ticket (or, unassigned, of their group's) is close to due.
    SLA_WARNING = "sla_warning", _("SLA warning")
    # An SLA target of the recipient's ticket (or, unassigned, of their group's) was missed.
    SLA_BREACHED = "sla_breached", _("SLA breached")


# The rule action's recipients other than one agent: the param ``to`` of "notify".
class Audience(models.TextChoices):
    # The ticket's assignee; nobody if it is unassigned.
    ASSIGNEE = "assignee", _("The assignee")
    # Every active member of the ticket's group.
    GROUP = "group", _("The group's members")
    # The lead of the ticket's group.
    LEAD = "lead", _("The group's lead")


# A notification's e-mail is tried this many times before it is left unsent (``email_error``).
MAX_EMAIL_ATTEMPTS = 5
