from django.apps import AppConfig


class CommerceConfig(AppConfig):
    name = "zabota.commerce"
    label = "commerce"

    def ready(self) -> None:
        # Registers the listeners and the customer-merge hook that keep segments current.
        from zabota.commerce import listeners  # noqa: F401
