from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "zabota.surveys"
    label = "surveys"
    verbose_name = _("Surveys")

    def ready(self) -> None:
        # Registers the listeners (surveys after confirmed solutions and deliveries), the rule
        # action "send_survey", the rule condition on survey scores and the engagement signal
        # of survey answers (respond), the follow-ups of bad answers (followups).
        from zabota.surveys import followups, listeners, respond, rules  # noqa: F401
