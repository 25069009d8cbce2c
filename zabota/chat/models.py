"""Live chat: a store's widget settings, visitors, conversations (each one a ticket with
channel=chat) and their numbered lines, and how many chats an agent takes at once.

Every line of a conversation has a sequence number (``seq``, 1, 2, 3 … per conversation): a client
that reconnects asks for the lines after the last one it has, so nothing is lost, and a line sent
twice (same ``client_id``) is stored once, so nothing is duplicated.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from zabota.chat.constants import ConversationState, PrechatField, Sender


class ChatSettings(models.Model):
    """One store's widget: its public key (``/widget/<key>.js``), who answers and what it asks."""

    store = models.OneToOneField(
        "commerce.Store", on_delete=models.CASCADE, related_name="chat_settings"
    )
    widget_key = models.SlugField(
        _("widget key"),
        max_length=64,
        unique=True,
        help_text=_("Public: it appears in the snippet on the store's site."),
    )
    is_enabled = models.BooleanField(_("chat enabled"), default=True)
    group = models.ForeignKey(
        "accounts.Group",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("chat group"),
        help_text=_("Whose agents answer chats; empty: the store's default group."),
    )
    ask_name = models.CharField(
        _("ask for the name"),
        max_length=8,
        choices=PrechatField.choices,
        default=PrechatField.OPTIONAL,
    )
    ask_email = models.CharField(
        _("ask for the e-mail"),
        max_length=8,
        choices=PrechatField.choices,
        default=PrechatField.OPTIONAL,
    )
    ask_order = models.CharField(
        _("ask for the order number"),
        max_length=8,
        choices=PrechatField.choices,
        default=PrechatField.OFF,
    )
    language = models.CharField(
        _("default language"),
        max_length=8,
        blank=True,
        help_text=_(
            "For visitors whose browser language the widget does not speak; empty: the store's."
        ),
    )
    color = models.CharField(_("colour"), max_length=7, default="#2563eb")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("chat settings")
        verbose_name_plural = _("chat settings")

    def __str__(self) -> str:
        return self.widget_key


class Visitor(models.Model):
    """Someone using a store's widget, known by the signed token their browser keeps."""

    store = models.ForeignKey("commerce.Store", on_delete=models.CASCADE, related_name="+")
    # Random, 32 URL-safe characters; the browser holds it signed (chat.tokens).
    key = models.CharField(max_length=43, unique=True)
    name = models.CharField(_("name"), max_length=150, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    language = models.CharField(_("language"), max_length=8, blank=True)
    blocked_at = models.DateTimeField(_("blocked"), null=True, blank=True)
    blocked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("first seen"))
    last_seen_at = models.DateTimeField(_("last seen"))

    class Meta:
        verbose_name = _("chat visitor")
        verbose_name_plural = _("chat visitors")

    def __str__(self) -> str:
        return self.name or self.email or f"visitor {self.pk}"


class Conversation(models.Model):
    """A live chat; its ticket (channel=chat) holds the same messages for the timeline, rules,
    SLAs and reports."""

    ticket = models.OneToOneField(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="chat_conversation"
    )
    store = models.ForeignKey("commerce.Store", on_delete=models.CASCADE, related_name="+")
    visitor = models.ForeignKey(Visitor, on_delete=models.CASCADE, related_name="conversations")
    state = models.CharField(
        _("state"),
        max_length=8,
        choices=ConversationState.choices,
        default=ConversationState.QUEUED,
    )
    group = models.ForeignKey(
        "accounts.Group", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="chat_conversations",
    )
    # The page the visitor was on when the chat started.
    page_url = models.URLField(_("page"), max_length=1000, blank=True)
    last_seq = models.PositiveIntegerField(default=0)
    # The highest line each side's client has received / shown to its person.
    visitor_delivered_seq = models.PositiveIntegerField(default=0)
    visitor_read_seq = models.PositiveIntegerField(default=0)
    agent_delivered_seq = models.PositiveIntegerField(default=0)
    agent_read_seq = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(_("started"))
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)

    class Meta:
        verbose_name = _("chat conversation")
        verbose_name_plural = _("chat conversations")
        indexes = [models.Index(fields=["store", "state"], name="chat_conv_queue_idx")]

    def __str__(self) -> str:
        return f"chat {self.pk} ({self.state})"


class Line(models.Model):
    """One numbered line of a conversation: a message of either side or a system notice."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="lines")
    seq = models.PositiveIntegerField()
    sender = models.CharField(max_length=8, choices=Sender.choices)
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    body = models.TextField(blank=True)
    # The ticket message this line is (none for system notices).
    message = models.OneToOneField(
        "tickets.Message",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="chat_line",
    )
    # Chosen by the sending client; a resend after a dropped connection carries the same id.
    client_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("chat line")
        verbose_name_plural = _("chat lines")
        ordering = ["conversation", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["conversation", "seq"], name="chat_line_seq_unique"),
            models.UniqueConstraint(
                fields=["conversation", "client_id"],
                condition=~models.Q(client_id=""),
                name="chat_line_client_id_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.conversation_id}#{self.seq}"


class AgentChatLimit(models.Model):
    """How many chats an agent holds at once; no row: ZABOTA_CHAT_DEFAULT_CAPACITY."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_limit"
    )
    max_chats = models.PositiveSmallIntegerField(_("concurrent chats"), default=3)

    class Meta:
        verbose_name = _("chat capacity")
        verbose_name_plural = _("chat capacities")

    def __str__(self) -> str:
        return f"{self.user}: {self.max_chats}"


class Presence(models.Model):
    """An open agent socket. An agent is reachable for chat only while one of theirs is open and
    has answered its heartbeat recently (a crashed server leaves stale rows, which age out)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    channel_name = models.CharField(max_length=200, unique=True)
    seen_at = models.DateTimeField()

    class Meta:
        verbose_name = _("chat presence")
        verbose_name_plural = _("chat presences")
        indexes = [models.Index(fields=["user", "seen_at"], name="chat_presence_user_idx")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.seen_at:%H:%M:%S}"
