"""Changes to a store's chat settings and to agents' concurrent-chat limits, made in the agent
UI by admins; each change is recorded in the admin's change history (LogEntry), like routing's."""

from typing import Any

from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.db import transaction

from zabota.accounts.models import User
from zabota.chat.models import AgentChatLimit, ChatSettings


def _log(actor: User, obj: Any, message: str, flag: int) -> None:
    LogEntry.objects.log_actions(
        user_id=actor.pk,
        queryset=[obj],
        action_flag=flag,
        change_message=message,
        single_object=True,
    )


def do_save_chat_settings(
    chat_settings: ChatSettings, *, changed: list[str], actor: User
) -> ChatSettings:
    """Save settings already validated (a ModelForm's unsaved instance); ``changed`` names the
    fields for the history."""
    with transaction.atomic():
        adding = chat_settings.pk is None
        chat_settings.save()
        _log(
            actor,
            chat_settings,
            "chat settings: " + (", ".join(changed) if changed else "saved"),
            ADDITION if adding else CHANGE,
        )
    return chat_settings


def do_set_chat_limit(agent: User, *, max_chats: int, actor: User) -> AgentChatLimit:
    """Set how many chats ``agent`` holds at once (``max_chats`` ≥ 0; 0: takes no chats)."""
    with transaction.atomic():
        row, created = AgentChatLimit.objects.select_for_update().get_or_create(
            user=agent, defaults={"max_chats": max_chats}
        )
        if not created:
            row.max_chats = max_chats
            row.save(update_fields=["max_chats"])
        _log(actor, agent, f"concurrent chats: {max_chats}", CHANGE)
    return row
