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
        from django.db.models.signals import post_delete, post_save

        from zabota.surveys import followups, listeners, public_cache, respond, rules  # noqa: F401
        from zabota.surveys.models import Question, Survey

        # A survey or question saved or deleted here is read again by this process's public
        # pages at once (public_cache).
        for name, signal in (("save", post_save), ("delete", post_delete)):
            signal.connect(public_cache.forget, sender=Survey, dispatch_uid=f"survey-{name}")
            signal.connect(
                public_cache.forget_survey_of, sender=Question, dispatch_uid=f"question-{name}"
            )
