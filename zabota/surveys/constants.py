"""Kinds of questions, channels of distribution and the scales the metrics are computed on."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# The languages every survey text can be written in; a missing one falls back to the survey's
# default language, then to English, then to any text there is.
SURVEY_LANGUAGES = ("en", "ru", "pl", "hu")


class QuestionKind(models.TextChoices):
    TEXT = "text", _("Open text")
    SINGLE = "single", _("Single choice")
    MULTIPLE = "multiple", _("Multiple choice")
    YES_NO = "yes_no", _("Yes / no")
    RATING = "rating", _("Rating scale")
    NPS = "nps", _("Net Promoter Score (0–10)")
    CES = "ces", _("Customer effort (agreement 1–7)")


# Kinds whose answer is a number (``Answer.number``).
NUMERIC_KINDS = frozenset({QuestionKind.RATING, QuestionKind.NPS, QuestionKind.CES})
# Rating scales offered: 1–3, 1–5, 1–7, 1–10.
RATING_SCALES = (3, 5, 7, 10)
# NPS is always 0–10; CES an agreement scale 1 (strongly disagree) – 7 (strongly agree).
NPS_MAX = 10
CES_MAX = 7


class Display(models.TextChoices):
    """How a rating scale is drawn."""

    NUMBERS = "numbers", _("Numbers")
    STARS = "stars", _("Stars")
    EMOJI = "emoji", _("Smileys")


class Metric(models.TextChoices):
    """What a question's answers count towards in the reports."""

    NONE = "", _("Nothing (listed only)")
    CSAT = "csat", _("Satisfaction (CSAT)")
    SPEED = "speed", _("Speed of the solution")
    QUALITY = "quality", _("Quality of the solution")
    NPS = "nps", _("Net Promoter Score")
    CES = "ces", _("Customer effort (CES)")


class Purpose(models.TextChoices):
    """What a survey is for: decides where the automatic sends take it from."""

    POST_RESOLUTION = "post_resolution", _("After a confirmed solution")
    AFTER_DELIVERY = "after_delivery", _("After an order is delivered")
    NPS = "nps", _("Net Promoter Score")
    MANAGER_REVIEW = "manager_review", _("Quarterly personal-manager review")
    EXIT = "exit", _("Exit / cancellation")
    ON_SITE = "on_site", _("On the website")
    GENERAL = "general", _("General")


class SurveyChannel(models.TextChoices):
    """Where an answer came from; every one ends in the same response store."""

    EMAIL = "email", _("E-mail link")
    POPUP = "popup", pgettext_lazy("survey channel", "Website pop-up")
    PUBLIC_LINK = "link", _("Public link")
    QR = "qr", _("QR code")
    KIOSK = "kiosk", _("Kiosk in the shop")
    EXIT = "exit", _("Exit survey link")
    PAPER = "paper", _("Paper comment card")
    PORTAL = "portal", _("Customer portal")


class InvitationStatus(models.TextChoices):
    SENT = "sent", pgettext_lazy("survey invitation", "Sent")
    SKIPPED = "skipped", pgettext_lazy("survey invitation", "Skipped")
    ANSWERED = "answered", pgettext_lazy("survey invitation", "Answered")
    FAILED = "failed", pgettext_lazy("survey invitation", "Not delivered")


class Trigger(models.TextChoices):
    """Why an invitation was made."""

    SOLVED = "solved", _("Solution confirmed by the customer")
    DELIVERED = "delivered", _("Order delivered")
    CANCELLED = "cancelled", _("Order cancelled")
    RULE = "rule", _("Automation rule")
    MANUAL = "manual", _("Sent by staff")
    TEST = "test", _("Test to myself")
    QUARTERLY = "quarterly", _("Quarterly")
