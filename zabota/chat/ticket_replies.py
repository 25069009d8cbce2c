"""Replies to a chat's ticket written outside the chat page — on the ticket page, through the API,
by a rule's macro — are lines of the chat too, so the visitor sees them at once. The chat page's
own lines are already lines (``actions.POSTING``); an ended chat takes nothing more (the ticket
goes on by e-mail if the visitor left an address, as any ticket would)."""

from zabota.chat.actions import POSTING, add_reply_line
from zabota.chat.constants import ConversationState
from zabota.chat.models import Conversation
from zabota.tickets.actions import on_reply
from zabota.tickets.constants import Channel
from zabota.tickets.models import Message, Ticket


@on_reply
def reply_into_chat(ticket: Ticket, message: Message) -> None:
    if ticket.channel != Channel.CHAT or POSTING.get():
        return
    conversation = (
        Conversation.objects.filter(ticket=ticket)
        .exclude(state=ConversationState.ENDED)
        .select_related("visitor")
        .first()
    )
    if conversation is not None:
        add_reply_line(conversation, message, message.author_user)
