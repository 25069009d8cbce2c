from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    # Configures the whole installation and sees every ticket of every store.
    ADMIN = "admin", _("Admin")
    # Leads a group ("star"): sees all of the group's tickets, unassigned ones included.
    LEAD = "lead", _("Lead")
    # Answers tickets of their groups; unassigned ones only where the group allows it.
    AGENT = "agent", _("Agent")
