from django.db import models
from django.utils.translation import gettext_lazy as _

from zabota.core import event_types

# The pseudo-trigger of rules evaluated by the periodic sweep instead of on an event.
TIME_TRIGGER = "time"

# Events a rule can be triggered by, with their labels for the rule form.
TRIGGERS = {
    event_types.TICKET_CREATED: _("Ticket created"),
    event_types.MESSAGE_RECEIVED: _("Customer wrote"),
    event_types.TICKET_STATUS_CHANGED: _("Status changed"),
    event_types.TICKET_PRIORITY_CHANGED: _("Priority changed"),
    event_types.TICKET_ASSIGNED: _("Ticket assigned"),
    event_types.TICKET_TAGS_CHANGED: _("Tags changed"),
    # Only answers about a ticket (the payload's ticket_id) run rules, on that ticket.
    event_types.SURVEY_ANSWERED: _("Survey answered"),
    TIME_TRIGGER: _("Periodically (time-based)"),
}

# Prefix of the timeline label of every change a rule makes ("rule: VIP first").
RULE_LABEL_PREFIX = "rule: "


class Match(models.TextChoices):
    # Every condition must hold.
    ALL = "all", _("All conditions")
    # One condition is enough.
    ANY = "any", _("Any condition")
