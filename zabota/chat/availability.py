"""Honest availability: the widget offers live chat only when someone can answer now.

An agent can answer now when they are active, in the chat group (member or lead), have routing
status online, have an open agent socket that answered its heartbeat within
``ZABOTA_CHAT_PRESENCE_SECONDS`` (a closed browser or a crashed server leaves no fresh row), and
hold fewer active chats than their limit. Otherwise the widget takes a message, promising the
first-reply target of the store's SLA policy for e-mail, which is how the answer will come.
"""

from datetime import timedelta
from math import ceil

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext

from zabota.accounts.models import Group, User
from zabota.chat.constants import ConversationState
from zabota.chat.models import AgentChatLimit, ChatSettings, Conversation, Presence
from zabota.commerce.models import Store
from zabota.routing.actions import online_ids
from zabota.sla.models import SlaPolicy
from zabota.tickets.constants import Channel, Priority


def chat_settings_for_key(widget_key: str) -> ChatSettings | None:
    """The enabled widget with this public key, with its store and group."""
    return (
        ChatSettings.objects.select_related("store", "group", "store__default_group")
        .filter(widget_key=widget_key, is_enabled=True)
        .first()
    )


def chat_group(chat_settings: ChatSettings) -> Group | None:
    """Who answers the store's chats: the configured group, else the store's default group."""
    return chat_settings.group or chat_settings.store.default_group


def chat_limit(user: User) -> int:
    row = AgentChatLimit.objects.filter(user=user).values_list("max_chats", flat=True).first()
    return settings.ZABOTA_CHAT_DEFAULT_CAPACITY if row is None else row


def chat_limits(user_ids: list[int]) -> dict[int, int]:
    rows = dict(
        AgentChatLimit.objects.filter(user_id__in=user_ids).values_list("user_id", "max_chats")
    )
    return {pk: rows.get(pk, settings.ZABOTA_CHAT_DEFAULT_CAPACITY) for pk in user_ids}


def active_chats(user_ids: list[int]) -> dict[int, int]:
    rows = (
        Conversation.objects.filter(agent_id__in=user_ids, state=ConversationState.ACTIVE)
        .values("agent_id")
        .annotate(n=Count("pk"))
    )
    return {row["agent_id"]: row["n"] for row in rows}


def agent_can_take(user: User) -> bool:
    """Whether the agent holds fewer active chats than their limit."""
    return active_chats([user.pk]).get(user.pk, 0) < chat_limit(user)


def present_ids(user_ids: list[int]) -> set[int]:
    """Users with an agent socket that answered its heartbeat recently."""
    fresh = timezone.now() - timedelta(seconds=settings.ZABOTA_CHAT_PRESENCE_SECONDS)
    return set(
        Presence.objects.filter(user_id__in=user_ids, seen_at__gte=fresh).values_list(
            "user_id", flat=True
        )
    )


def online_agents(chat_settings: ChatSettings) -> list[User]:
    """The agents of the chat group who could accept a chat right now (by id)."""
    group = chat_group(chat_settings)
    if group is None:
        return []
    users = list(
        User.objects.filter(Q(support_groups=group) | Q(led_groups=group), is_active=True)
        .distinct()
        .order_by("pk")
    )
    ids = [user.pk for user in users]
    if not ids:
        return []
    ready = online_ids(ids) & present_ids(ids)
    if not ready:
        return []
    limits = chat_limits(list(ready))
    loads = active_chats(list(ready))
    return [u for u in users if u.pk in ready and loads.get(u.pk, 0) < limits[u.pk]]


def is_online(chat_settings: ChatSettings) -> bool:
    return bool(online_agents(chat_settings))


def offline_policy(store: Store) -> SlaPolicy | None:
    """The policy an e-mail ticket of a new visitor would run under: the store's first active
    policy for e-mail (or any channel) and normal priority that names no customer segment."""
    for policy in SlaPolicy.objects.filter(store=store, is_active=True).order_by("position", "pk"):
        if policy.channels and Channel.EMAIL not in policy.channels:
            continue
        if policy.priorities and Priority.NORMAL not in {int(p) for p in policy.priorities}:
            continue
        if policy.segments:
            continue
        return policy
    return None


def offline_promise(store: Store) -> timedelta | None:
    """The first-reply target of that policy; None when the store promises none."""
    policy = offline_policy(store)
    return policy.first_reply_within if policy is not None else None


def promise_text(store: Store, language: str) -> str:
    """When the answer to a left message comes, to follow "we answer by e-mail": "within 4
    business hours", "within 30 minutes", or "as soon as we can" without a target. Business
    hours when the policy counts on a calendar (the clock stops outside opening hours)."""
    policy = offline_policy(store)
    within = policy.first_reply_within if policy is not None else None
    with translation.override(language or store.default_language or settings.LANGUAGE_CODE):
        if not within:
            return gettext("as soon as we can")
        return _within(within, business=policy is not None and policy.calendar_id is not None)


def _within(duration: timedelta, *, business: bool) -> str:
    minutes = max(1, ceil(duration.total_seconds() / 60))
    if minutes < 60 or minutes % 60:
        if business:
            return ngettext(
                "within %(count)d business minute", "within %(count)d business minutes", minutes
            ) % {"count": minutes}
        return ngettext("within %(count)d minute", "within %(count)d minutes", minutes) % {
            "count": minutes
        }
    hours = minutes // 60
    if business:
        return ngettext(
            "within %(count)d business hour", "within %(count)d business hours", hours
        ) % {"count": hours}
    if hours % 24 == 0:
        days = hours // 24
        return ngettext("within %(count)d day", "within %(count)d days", days) % {"count": days}
    return ngettext("within %(count)d hour", "within %(count)d hours", hours) % {"count": hours}
