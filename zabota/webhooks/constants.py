from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from zabota.core import event_types

# Matches every event type in a subscription's list.
ALL_EVENTS = "*"
# The type of the ping an admin sends from the subscription list; not an outbox event.
TEST_EVENT = "webhook.test"
# The type of the call a rule's "call webhook" action makes; not an outbox event either.
RULE_EVENT = "rule.webhook"
# How far back the subscription list counts failed attempts.
FAILURE_WINDOW_HOURS = 24
# Deliveries per page of a subscription's log.
DELIVERIES_PER_PAGE = 25

# Readable names of the event types a subscription can choose, for the subscription form.
EVENT_TYPE_LABELS = {
    event_types.TICKET_CREATED: _("Ticket created"),
    event_types.TICKET_UPDATED: _("Ticket updated"),
    event_types.MESSAGE_RECEIVED: _("Customer wrote"),
    event_types.MESSAGE_SENT: _("Agent replied"),
    event_types.NOTE_ADDED: _("Internal note added"),
    event_types.TICKET_STATUS_CHANGED: _("Ticket status changed"),
    event_types.TICKET_PRIORITY_CHANGED: _("Ticket priority changed"),
    event_types.TICKET_ASSIGNED: _("Ticket assigned"),
    event_types.TICKET_TAGS_CHANGED: _("Ticket tags changed"),
    event_types.TICKET_MERGED: _("Ticket merged"),
    event_types.CUSTOMER_CREATED: _("Customer created"),
    event_types.CUSTOMER_MERGED: _("Customers merged"),
    event_types.CUSTOMER_SEGMENT_CHANGED: _("Customer segment changed"),
    event_types.ORDER_CREATED: _("Order created"),
    event_types.ORDER_UPDATED: _("Order updated"),
    event_types.ORDER_CANCELLED: _("Order cancelled"),
    event_types.ORDER_REFUNDED: _("Order refunded"),
    event_types.SHIPMENT_UPDATED: _("Shipment updated"),
    event_types.SLA_WARNING: _("SLA warning"),
    event_types.SLA_BREACHED: _("SLA breached"),
    event_types.SURVEY_ANSWERED: _("Survey answered"),
}


class DeliveryStatus(models.TextChoices):
    # Waiting for its first attempt, or for the next one after a failure (see next_attempt_at).
    PENDING = "pending", pgettext_lazy("delivery", "Pending")
    # The receiver answered 2xx; never sent again.
    SUCCEEDED = "succeeded", _("Succeeded")
    # Gave up after the last attempt; an admin may retry it from the delivery log.
    FAILED = "failed", _("Failed")
