from django.db import models
from django.utils.translation import gettext_lazy as _


class Availability(models.TextChoices):
    # Takes new tickets from routing.
    ONLINE = "online", _("Online")
    # Working, but takes no new tickets (a break, a call); keeps the ones they have.
    AWAY = "away", _("Away")
    # Not working; the default for an agent who never set a status.
    OFFLINE = "offline", _("Offline")


class Strategy(models.TextChoices):
    # Agents take turns in a fixed order (by id), skipping those who cannot take a ticket.
    ROUND_ROBIN = "round_robin", _("Round robin")
    # The agent with the fewest active tickets gets it (ties: the lower id).
    LEAST_LOADED = "least_loaded", _("Least loaded")
    # Routing leaves the group's tickets alone; people assign them. The default.
    MANUAL = "manual", _("Manual")
