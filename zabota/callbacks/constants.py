"""States and outcomes of callback requests, and the retry schedule."""

from datetime import timedelta

from django.db import models
from django.utils.translation import gettext_lazy as _


class CallbackState(models.TextChoices):
    # Nobody has called yet, or a retry came due: the team owes the customer a call.
    WAITING = "waiting", _("Waiting")
    # The last call went unanswered; the next attempt is at ``next_attempt_at``.
    RETRY_SCHEDULED = "retry_scheduled", _("Retry scheduled")
    # Someone picked up: the request is done (the ticket is solved).
    REACHED = "reached", _("Reached")
    # The number belongs to somebody else or does not exist: done, nobody to call.
    WRONG_NUMBER = "wrong_number", _("Wrong number")
    # MAX_FAILED_ATTEMPTS calls went unanswered; the ticket waits for the customer.
    GIVEN_UP = "given_up", _("Given up")


# States in which an agent may still record a call.
CALLABLE_STATES = (CallbackState.WAITING, CallbackState.RETRY_SCHEDULED, CallbackState.GIVEN_UP)
# States in which the call is still owed (the card shows due or overdue).
OWED_STATES = (CallbackState.WAITING, CallbackState.RETRY_SCHEDULED)


class CallOutcome(models.TextChoices):
    # The customer answered and the call took place.
    REACHED = "reached", _("Reached")
    # Nobody answered (or voicemail): another attempt is scheduled.
    NO_ANSWER = "no_answer", _("No answer")
    # The number is wrong: nobody to call back.
    WRONG_NUMBER = "wrong_number", _("Wrong number")


# Delay before the next attempt after the 1st, 2nd … unanswered call. A retry that falls outside
# the store's business hours moves to the next opening (the next business morning).
RETRY_DELAYS = (timedelta(minutes=15), timedelta(hours=1))
# After this many unanswered calls the team gives up and the ticket waits for the customer.
MAX_FAILED_ATTEMPTS = 3
# Call within this much business time when the store has no SLA policy for callbacks.
DEFAULT_CALL_WITHIN = timedelta(minutes=15)
# Longest topic kept; the subject of the ticket is built from it.
TOPIC_MAX_LENGTH = 200
