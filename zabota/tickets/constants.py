from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    # Just arrived; nobody from the team has acted on it yet.
    NEW = "new", _("New")
    # The team owes the customer an answer.
    OPEN = "open", _("Open")
    # Waiting on the customer (a question was asked); a customer reply reopens it.
    PENDING = "pending", _("Pending")
    # The agent proposed a solution; only the customer's confirmation or the store's
    # confirmation timeout makes it solved. A customer reply that is not a confirmation reopens it.
    AWAITING_CONFIRMATION = "awaiting_confirmation", _("Awaiting confirmation")
    # The customer confirmed the solution (or the timeout passed); a later reply reopens it.
    SOLVED = "solved", _("Solved")
    # Archived for good; a new message starts a follow-up ticket instead of reopening.
    CLOSED = "closed", _("Closed")


# Statuses in which the team still has work to do.
ACTIVE_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING, Status.AWAITING_CONFIRMATION)
# Statuses a customer reply moves back to open.
REOPENED_BY_CUSTOMER = (Status.PENDING, Status.AWAITING_CONFIRMATION, Status.SOLVED)


class Priority(models.IntegerChoices):
    # Stored as numbers so that sorting by priority is sorting by urgency.
    LOW = 10, _("Low")
    NORMAL = 20, _("Normal")
    HIGH = 30, _("High")
    URGENT = 40, _("Urgent")


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    CHAT = "chat", _("Chat")
    PHONE = "phone", _("Phone")
    CALLBACK = "callback", _("Callback")
    WEB = "web", _("Web form")
    SOCIAL = "social", _("Social")
    API = "api", _("API")


class MessageKind(models.TextChoices):
    # Written by the customer, on any channel.
    CUSTOMER = "customer", _("Customer message")
    # An agent's reply, sent to the customer.
    AGENT = "agent", _("Agent reply")
    # Internal note: visible to the team only, never sent.
    NOTE = "note", _("Internal note")


class EventKind(models.TextChoices):
    """Timeline rows: one per change to a ticket."""

    CREATED = "created", _("Created")
    MESSAGE = "message", _("Customer wrote")
    REPLY = "reply", _("Replied")
    NOTE = "note", _("Note added")
    STATUS = "status", _("Status changed")
    PRIORITY = "priority", _("Priority changed")
    ASSIGNED = "assigned", _("Assigned")
    TAGS = "tags", _("Tags changed")
    MERGED_IN = "merged_in", _("Ticket merged in")
    MERGED_INTO = "merged_into", _("Merged into another ticket")
    CUSTOMER = "customer", _("Customer changed")
    SUBJECT = "subject", _("Subject changed")
    # An SLA target reached its warning share or its due time (the SLA sweep).
    SLA = "sla", _("SLA")
