from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RoutingConfig(AppConfig):
    name = "zabota.routing"
    label = "routing"
    verbose_name = _("Routing")

    def ready(self) -> None:
        # Registers the listeners that assign new tickets and drain queues as capacity frees up.
        from zabota.routing import listeners  # noqa: F401
