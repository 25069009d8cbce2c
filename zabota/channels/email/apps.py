from django.apps import AppConfig


class EmailConfig(AppConfig):
    name = "zabota.channels.email"
    label = "email"
    verbose_name = "Email"

    def ready(self) -> None:
        # Registers the listeners that e-mail agent replies and acknowledge new tickets.
        from zabota.channels.email import outbound  # noqa: F401
