"""Why a chat operation was refused: a stable code for the websocket's ``error`` frame and the
widget's JSON, and the messages per field for forms.

``ChatError({field: message})`` is what the widget endpoints turn into ``{"errors": …}``; the
code (``invalid`` unless said otherwise) is what a socket sends as ``{"type": "error", "code"}``.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ChatErrorCode(models.TextChoices):
    # Bad input: an empty or too long message, a missing required pre-chat field.
    INVALID = "invalid", _("Please check what you entered.")
    # The visitor was blocked by an agent: they can neither start a chat nor write.
    BLOCKED = "blocked", _("You can no longer send messages here.")
    # Over a rate limit (core.ratelimit CHAT_*).
    RATE_LIMITED = "rate_limited", _("You are sending messages too fast — please wait a minute.")
    # No such conversation, or the actor may not know it exists.
    NOT_FOUND = "not_found", _("Not found.")
    # The chat has ended; a new message starts a new chat.
    ENDED = "ended", _("This chat has ended.")
    # Someone else accepted it first, or it was transferred meanwhile.
    NOT_WAITING = "not_waiting", _("This chat is no longer waiting.")
    # The agent already holds as many chats as their limit allows.
    AT_CAPACITY = "at_capacity", _("You already hold as many chats as your limit allows.")
    TARGET_AT_CAPACITY = (
        "target_at_capacity",
        _("That agent already holds as many chats as their limit allows."),
    )
    NOT_ALLOWED = "not_allowed", _("You are not allowed to do this.")


class ChatError(Exception):
    """A refused chat operation. ``errors`` maps a field (or ``"__all__"``) to its message."""

    def __init__(
        self, errors: dict[str, str] | None = None, *, code: ChatErrorCode = ChatErrorCode.INVALID
    ) -> None:
        self.code = code
        self.errors = errors or {"__all__": str(code.label)}
        super().__init__(self.message)

    @property
    def message(self) -> str:
        return " ".join(str(value) for value in self.errors.values())
