from django.db import models
from django.utils.translation import gettext_lazy as _


class IdentityKind(models.TextChoices):
    # Case-folded e-mail address.
    EMAIL = "email", _("Email")
    # Phone number in E.164 form (+48601234567).
    PHONE = "phone", _("Phone")
    # Signed visitor id issued by the chat widget.
    CHAT = "chat", _("Chat visitor")
    # "network:handle", e.g. "instagram:anna.k".
    SOCIAL = "social", _("Social handle")
