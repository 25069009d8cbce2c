from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    name = "zabota.sla"
    label = "sla"
    verbose_name = _("SLA")

    def ready(self) -> None:
        # Registers the listeners that start and move SLA clocks.
        from zabota.sla import listeners  # noqa: F401
