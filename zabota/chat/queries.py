"""Finders for the agent UI's chat pages: the queue an agent answers, their active chats with
unread counts, how many chats they hold, a conversation's lines and whom it can go to.

Who answers which chats: an admin every store's, a lead the chats of the groups they lead or
belong to, an agent those of their groups. A conversation's ``group`` says who answers it
(``do_transfer`` to a group changes it).
"""

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, F, Q, QuerySet

from zabota.accounts.models import Group, User
from zabota.chat.constants import ConversationState, Sender
from zabota.chat.models import AgentChatLimit, ChatSettings, Conversation, Line

# The conversation page renders this many lines at once; the socket's sync brings later ones.
PAGE_LINES = 500
# The queue's preview is the visitor's first line, found among each chat's first few lines.
PREVIEW_SEQ = 3


def chat_group_ids(user: User) -> list[int] | None:
    """Ids of the groups whose chats ``user`` answers; None: every group (admins)."""
    if user.is_admin:
        return None
    return list(
        Group.objects.filter(Q(members=user) | Q(lead=user)).values_list("pk", flat=True).distinct()
    )


def serves_chats(user: User) -> bool:
    """Whether the sidebar shows "Chats": admins and every member or lead of a group."""
    if not user.is_authenticated or not user.is_active:
        return False
    ids = chat_group_ids(user)
    return ids is None or bool(ids)


def _answered_by(qs: QuerySet[Conversation], user: User) -> QuerySet[Conversation]:
    """The chats ``user`` answers, as ``chat.access`` sees them: their groups' and, for a lead,
    every chat of a store where they lead a group."""
    ids = chat_group_ids(user)
    if ids is None:
        return qs
    q = Q(group_id__in=ids)
    if user.is_lead:
        q |= Q(store_id__in=Group.objects.filter(lead=user).values("store_id"))
    return qs.filter(q)


def waiting_conversations(user: User) -> QuerySet[Conversation]:
    """Queued chats the user answers, the longest waiting first."""
    qs = Conversation.objects.filter(state=ConversationState.QUEUED)
    return (
        _answered_by(qs, user)
        .select_related("visitor", "group", "store", "ticket")
        .order_by("created_at", "pk")
    )


def waiting_count(user: User) -> int:
    return waiting_conversations(user).count()


def my_active_conversations(user: User) -> QuerySet[Conversation]:
    """The user's active chats, oldest first, each with ``unread``: visitor lines after the
    agent side's read watermark."""
    return (
        Conversation.objects.filter(state=ConversationState.ACTIVE, agent=user)
        .select_related("visitor", "group", "store", "ticket")
        .annotate(
            unread=Count(
                "lines",
                filter=Q(lines__sender=Sender.VISITOR, lines__seq__gt=F("agent_read_seq")),
            )
        )
        .order_by("accepted_at", "pk")
    )


def first_lines(conversations: list[Conversation]) -> dict[int, Line]:
    """The first visitor line of each conversation (the queue's preview), in one query."""
    lines = Line.objects.filter(
        conversation__in=conversations, sender=Sender.VISITOR, seq__lte=PREVIEW_SEQ
    ).order_by("conversation_id", "seq")
    first: dict[int, Line] = {}
    for line in lines:
        first.setdefault(line.conversation_id, line)
    return first


def chat_limit(user: User) -> int:
    row = AgentChatLimit.objects.filter(user=user).first()
    return row.max_chats if row is not None else settings.ZABOTA_CHAT_DEFAULT_CAPACITY


@dataclass(frozen=True)
class Load:
    active: int
    limit: int

    @property
    def full(self) -> bool:
        return self.active >= self.limit


def chat_load(user: User) -> Load:
    """ "N of M chats": the user's active chats and their limit."""
    active = Conversation.objects.filter(state=ConversationState.ACTIVE, agent=user).count()
    return Load(active=active, limit=chat_limit(user))


def conversation_lines(conversation: Conversation) -> list[Line]:
    """The last ``PAGE_LINES`` lines, oldest first, with their attachments."""
    lines = list(
        Line.objects.filter(conversation=conversation)
        .select_related("author_user", "message")
        .prefetch_related("message__attachments")
        .order_by("-seq")[:PAGE_LINES]
    )
    lines.reverse()
    return lines


def past_conversation_count(conversation: Conversation) -> int:
    return (
        Conversation.objects.filter(visitor_id=conversation.visitor_id)
        .exclude(pk=conversation.pk)
        .count()
    )


def transfer_groups(conversation: Conversation) -> QuerySet[Group]:
    """Groups of the conversation's store that may take it over."""
    return Group.objects.filter(store_id=conversation.store_id).order_by("name", "pk")


def transfer_agents(conversation: Conversation) -> QuerySet[User]:
    """Active members and leads of the store's groups, except the agent who has it."""
    qs = (
        User.objects.filter(is_active=True)
        .filter(
            Q(support_groups__store_id=conversation.store_id)
            | Q(led_groups__store_id=conversation.store_id)
        )
        .distinct()
        .order_by("name", "pk")
    )
    return qs.exclude(pk=conversation.agent_id) if conversation.agent_id else qs


def store_chat_settings(store_id: int) -> ChatSettings | None:
    return ChatSettings.objects.filter(store_id=store_id).select_related("group").first()
