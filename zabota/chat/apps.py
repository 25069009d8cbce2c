from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChatConfig(AppConfig):
    name = "zabota.chat"
    label = "chat"
    verbose_name = _("Live chat")

    def ready(self) -> None:
        # Registers the hook that makes replies written outside the chat page lines of the chat.
        from zabota.chat import ticket_replies  # noqa: F401
