from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# Matches every event type in a subscription's list.
ALL_EVENTS = "*"
# The type of the ping an admin sends from the subscription list; not an outbox event.
TEST_EVENT = "webhook.test"


class DeliveryStatus(models.TextChoices):
    # Waiting for its first attempt, or for the next one after a failure (see next_attempt_at).
    PENDING = "pending", pgettext_lazy("delivery", "Pending")
    # The receiver answered 2xx; never sent again.
    SUCCEEDED = "succeeded", _("Succeeded")
    # Gave up after the last attempt; an admin may retry it from the delivery log.
    FAILED = "failed", _("Failed")
