"""The transcript e-mail of a chat: every line in order, in the visitor's language, from the
store's mailbox address."""

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.mail import EmailMessage
from django.utils import translation
from django.utils.translation import gettext

from zabota.channels.email.outbound import sending_mailbox
from zabota.chat.constants import Sender
from zabota.chat.models import Conversation, Line
from zabota.core.languages import first_supported


def _language(conversation: Conversation) -> str:
    return first_supported(conversation.visitor.language, conversation.store.default_language)


def _speaker(line: Line) -> str:
    if line.sender == Sender.AGENT:
        user = line.author_user
        return (user.name.split() or [str(user)])[0] if user is not None else gettext("Agent")
    if line.sender == Sender.VISITOR:
        return line.conversation.visitor.name or gettext("You")
    return "—"


def transcript_text(conversation: Conversation) -> tuple[str, str]:
    """(subject, plain-text body) of the transcript."""
    try:
        zone = ZoneInfo(conversation.store.time_zone)
    except (ValueError, ZoneInfoNotFoundError):
        zone = ZoneInfo("UTC")
    lines = (
        Line.objects.filter(conversation=conversation)
        .select_related("author_user", "conversation__visitor")
        .order_by("seq")
    )
    with translation.override(_language(conversation)):
        subject = gettext("Your chat with %(store)s [#%(number)s]") % {
            "store": conversation.store.name,
            "number": conversation.ticket.number,
        }
        rows = [
            gettext("Transcript of your chat with %(store)s on %(date)s.")
            % {
                "store": conversation.store.name,
                "date": conversation.created_at.astimezone(zone).strftime("%Y-%m-%d"),
            },
            "",
        ]
        for line in lines:
            stamp = line.created_at.astimezone(zone).strftime("%H:%M")
            rows.append(f"[{stamp}] {_speaker(line)}: {line.body}".rstrip())
        rows += [
            "",
            gettext("Reply to this e-mail or quote #%(number)s if you need more help.")
            % {"number": conversation.ticket.number},
        ]
    return subject, "\n".join(rows) + "\n"


def send_transcript(conversation_id: int, address: str) -> bool:
    """E-mail the transcript; False if the conversation is gone."""
    conversation = (
        Conversation.objects.select_related("store", "visitor", "ticket")
        .filter(pk=conversation_id)
        .first()
    )
    if conversation is None:
        return False
    mailbox = sending_mailbox(conversation.ticket)
    sender = mailbox.address if mailbox is not None else conversation.store.email
    subject, body = transcript_text(conversation)
    EmailMessage(subject, body, sender or None, [address]).send()
    return True
