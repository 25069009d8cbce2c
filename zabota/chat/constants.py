from django.db import models
from django.utils.translation import gettext_lazy as _


class PrechatField(models.TextChoices):
    """Whether the widget asks for a field before a chat starts."""

    OFF = "off", _("Not asked")
    OPTIONAL = "optional", _("Optional")
    REQUIRED = "required", _("Required")


class ConversationState(models.TextChoices):
    # Waiting in the chat queue for an agent to accept it.
    QUEUED = "queued", _("Waiting")
    # An agent accepted it; visitor and agent talk.
    ACTIVE = "active", _("Active")
    # Ended by the agent or the visitor; the ticket stays (solved) with the whole conversation.
    ENDED = "ended", _("Ended")


class Sender(models.TextChoices):
    VISITOR = "visitor", _("Visitor")
    AGENT = "agent", _("Agent")
    # "Anna joined", "chat transferred to Returns", "chat ended".
    SYSTEM = "system", _("System")
