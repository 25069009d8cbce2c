"""Who may see and act on which chats. ``access_conversation_by_id`` is the only way to fetch a
conversation for an agent; a conversation they may not see is reported as missing.

- admin: every chat;
- lead: the chats of the groups they lead or belong to, and every chat of a store where they
  lead a group (they triage and rescue chats there);
- agent: the chats of their groups, and those they hold (after a transfer to them).

Accepting needs the conversation's group (member or lead) or a lead's or admin's reach; only the
agent holding a chat writes in it; transfer, end and block are for that agent, a lead of the
store and admins.
"""

from django.db.models import Q

from zabota.accounts.models import Group, User
from zabota.chat.errors import ChatError, ChatErrorCode
from zabota.chat.models import ChatSettings, Conversation


def _group_ids(user: User) -> set[int]:
    """Groups the user leads or belongs to; cached on the object (one query per socket)."""
    cached = getattr(user, "_zabota_chat_group_ids", None)
    if cached is None:
        cached = set(
            Group.objects.filter(Q(members=user) | Q(lead=user)).values_list("pk", flat=True)
        )
        user._zabota_chat_group_ids = cached  # type: ignore[attr-defined]
    return cached


def _led_store_ids(user: User) -> set[int]:
    if not user.is_lead:
        return set()
    cached = getattr(user, "_zabota_chat_led_store_ids", None)
    if cached is None:
        cached = set(Group.objects.filter(lead=user).values_list("store_id", flat=True))
        user._zabota_chat_led_store_ids = cached  # type: ignore[attr-defined]
    return cached


def _reaches(user: User, conversation: Conversation) -> bool:
    """Admin, a member or lead of the conversation's group, or a lead of its store."""
    if not user.is_active:
        return False
    if user.is_admin:
        return True
    if conversation.group_id is not None and conversation.group_id in _group_ids(user):
        return True
    return conversation.store_id in _led_store_ids(user)


def _supervises(user: User, conversation: Conversation) -> bool:
    return user.is_active and (user.is_admin or conversation.store_id in _led_store_ids(user))


def can_see_conversation(user: User, conversation: Conversation) -> bool:
    return _reaches(user, conversation) or (user.is_active and conversation.agent_id == user.pk)


def can_accept(user: User, conversation: Conversation) -> bool:
    return _reaches(user, conversation)


def can_post(user: User, conversation: Conversation) -> bool:
    """Only the agent holding the chat writes in it (others transfer it to themselves)."""
    return user.is_active and conversation.agent_id == user.pk


def can_transfer(user: User, conversation: Conversation) -> bool:
    return can_post(user, conversation) or _supervises(user, conversation)


def can_end(user: User, conversation: Conversation) -> bool:
    return can_post(user, conversation) or _supervises(user, conversation)


def can_block(user: User, conversation: Conversation) -> bool:
    return can_post(user, conversation) or _supervises(user, conversation)


def served_store_ids(user: User) -> list[int]:
    """Stores whose chat queue the user's agent socket follows."""
    if not user.is_active:
        return []
    if user.is_admin:
        return list(ChatSettings.objects.values_list("store_id", flat=True))
    stores = set(Group.objects.filter(pk__in=_group_ids(user)).values_list("store_id", flat=True))
    return sorted(stores | _led_store_ids(user))


def access_conversation_by_id(user: User, conversation_id: int) -> Conversation:
    conversation = (
        Conversation.objects.select_related("visitor", "group", "agent", "store", "ticket")
        .filter(pk=conversation_id)
        .first()
    )
    if conversation is None or not can_see_conversation(user, conversation):
        raise ChatError(code=ChatErrorCode.NOT_FOUND)
    return conversation
