from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AutomationConfig(AppConfig):
    name = "zabota.automation"
    label = "automation"
    verbose_name = _("Automation")

    def ready(self) -> None:
        # Registers the engine's listener on the ticket events rules can be triggered by.
        from zabota.automation import engine  # noqa: F401
