from django.apps import AppConfig


class CommerceConfig(AppConfig):
    name = "zabota.commerce"
    label = "commerce"

    def ready(self) -> None:
        # Registers the listeners and the customer-merge hook that keep segments current, and
        # (queries) the customer timeline's order, shipment, refund and return entries.
        from zabota.commerce import listeners, queries  # noqa: F401
