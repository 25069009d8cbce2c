from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "zabota.webhooks"
    label = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self) -> None:
        # Registers the listener that turns every event into deliveries for its subscriptions,
        # and the rule action "call webhook".
        from zabota.webhooks import listeners, rule_actions  # noqa: F401
