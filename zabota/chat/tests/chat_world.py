"""Shared setup of the chat tests, on top of the root ``world``: the demo store's widget
answered by Support (Anna, lead Lena), and helpers that make an agent reachable for chat."""

from datetime import timedelta

from django.utils import timezone

from zabota.accounts.models import User
from zabota.chat.actions import do_get_or_create_visitor, do_start_conversation
from zabota.chat.models import ChatSettings, Conversation, Presence, Visitor
from zabota.routing.actions import do_set_availability
from zabota.routing.constants import Availability

WIDGET_KEY = "demo"


def chat_settings(world, **fields) -> ChatSettings:
    return ChatSettings.objects.create(
        store=world.store, widget_key=WIDGET_KEY, group=world.support, **fields
    )


def new_visitor(settings: ChatSettings, *, language: str = "en") -> tuple[Visitor, str]:
    return do_get_or_create_visitor(settings, None, language=language)


def start(visitor: Visitor, body: str = "Hello, is my parcel on its way?", **fields):
    return do_start_conversation(visitor, body=body, **fields)


def make_present(user: User, *, channel: str = "", age: timedelta = timedelta(0)) -> Presence:
    """Online for routing with an agent socket that answered its heartbeat ``age`` ago."""
    do_set_availability(user, status=Availability.ONLINE, actor=user)
    return Presence.objects.create(
        user=user,
        channel_name=channel or f"test.{user.pk}.{Presence.objects.count()}",
        seen_at=timezone.now() - age,
    )


def reload(conversation: Conversation) -> Conversation:
    return Conversation.objects.select_related("ticket", "visitor", "agent", "group").get(
        pk=conversation.pk
    )
