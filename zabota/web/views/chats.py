"""Live chat in the agent UI: the queue of waiting chats, one live conversation, and the
controls that change a chat (accept, transfer, end, block the visitor).

The pages are rendered on the server; ``chats.js`` keeps them live over the agent websocket
(``/ws/chat/agent/``, protocol in docs/chat.md) and re-fetches the queue fragment when a
``queue`` or ``state`` frame arrives. The buttons are plain form posts, redirected back, so
accepting or ending a chat also works when the socket is down.

Permissions go through ``chat.access``: a conversation the agent may not see is a 404, an
action they may not take on one they see is a 403; refusals of the action itself (capacity,
an ended chat) come back as a message on the page.
"""

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from zabota.accounts.models import User
from zabota.chat import access as chat_access
from zabota.chat import queries
from zabota.chat.actions import check_accept, check_block_visitor, check_end, check_transfer
from zabota.chat.constants import ConversationState
from zabota.chat.errors import ChatError, ChatErrorCode
from zabota.chat.models import Conversation
from zabota.routing.actions import availability_of
from zabota.routing.constants import Availability
from zabota.tickets.access import visible_macros
from zabota.web.forms_chats import TransferForm
from zabota.web.views.routing import AVAILABILITY_COLORS


def _agent(request: HttpRequest) -> User:
    return cast(User, request.user)


def _serving_agent(request: HttpRequest) -> User:
    """The signed-in user if they answer chats; the chat pages are a 404 for anyone else."""
    user = _agent(request)
    if not queries.serves_chats(user):
        raise Http404("this user answers no chats")
    return user


def _conversation_or_404(user: User, conversation_id: int) -> Conversation:
    try:
        return chat_access.access_conversation_by_id(user, conversation_id)
    except ChatError as exc:
        raise Http404("conversation") from exc


def _queue_context(user: User) -> dict[str, Any]:
    waiting = list(queries.waiting_conversations(user))
    mine = list(queries.my_active_conversations(user))
    previews = queries.first_lines(waiting)
    status = availability_of(user)
    return {
        "waiting": [
            {"conversation": conversation, "preview": previews.get(conversation.pk)}
            for conversation in waiting
        ],
        "mine": mine,
        "load": queries.chat_load(user),
        "status": status,
        "status_color": AVAILABILITY_COLORS.get(status, AVAILABILITY_COLORS[Availability.OFFLINE]),
        "status_choices": Availability.choices,
    }


def client_strings() -> dict[str, str]:
    """Texts chats.js shows, translated here (it has no catalogue of its own)."""
    return {
        "newChat": _("New chat"),
        "newMessage": _("New message"),
        "typing": _("The visitor is typing…"),
        "sending": _("Sending…"),
        "sent": _("Sent"),
        "delivered": _("Delivered"),
        "read": _("Read"),
        "offline": _("Connection lost — reconnecting…"),
        "online": _("Connected"),
        "ended": _("This chat has ended."),
        "transferred": _("This chat was transferred."),
        "visitor": _("Visitor"),
        "you": _("You"),
        "muted": _("Sound off"),
        "unmuted": _("Sound on"),
        "blocked": _("The visitor is blocked."),
        "rateLimited": _("Too many messages; wait a moment."),
        "invalid": _("The message was refused."),
    }


@login_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    """The chat queue: waiting chats of the agent's groups, their active chats, their load."""
    user = _serving_agent(request)
    context = _queue_context(user)
    context["strings"] = client_strings()
    return render(request, "web/chats/queue.html", context)


@login_required
@require_GET
def queue_fragment(request: HttpRequest) -> HttpResponse:
    """The queue's content alone, which chats.js swaps in when a frame says it changed."""
    user = _serving_agent(request)
    return render(request, "web/chats/_queue.html", _queue_context(user))


@login_required
@require_GET
def nav_link(request: HttpRequest) -> HttpResponse:
    """The sidebar's "Chats" link with the number of waiting chats (loaded apart: the sidebar's
    HTML is cached); empty for users who answer no chats."""
    user = _agent(request)
    if not queries.serves_chats(user):
        return HttpResponse("")
    context = {
        "waiting": queries.waiting_count(user),
        "active": request.GET.get("section", "").startswith("chat"),
    }
    return render(request, "web/chats/_nav_link.html", context)


@login_required
@require_GET
def conversation(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """One chat, live: its lines, the composer, the controls and the visitor."""
    user = _serving_agent(request)
    chat = _conversation_or_404(user, conversation_id)
    lines = queries.conversation_lines(chat)
    visitor = chat.visitor
    customer = visitor.customer or chat.ticket.customer
    context: dict[str, Any] = {
        "chat": chat,
        "lines": lines,
        "last_seq": lines[-1].seq if lines else 0,
        "visitor": visitor,
        "customer": customer,
        "past_count": queries.past_conversation_count(chat),
        "load": queries.chat_load(user),
        "is_mine": chat.agent_id == user.pk and chat.state == ConversationState.ACTIVE,
        "may_accept": chat.state == ConversationState.QUEUED and chat_access.can_accept(user, chat),
        "may_transfer": chat.state != ConversationState.ENDED
        and chat_access.can_transfer(user, chat),
        "may_end": chat.state != ConversationState.ENDED and chat_access.can_end(user, chat),
        "may_block": visitor.blocked_at is None and chat_access.can_block(user, chat),
        "transfer_agents": queries.transfer_agents(chat),
        "transfer_groups": queries.transfer_groups(chat),
        # The same macros as the ticket page's reply box, rendered for this chat's ticket by
        # its macro endpoint; chats.js puts the text into the composer.
        "macros": list(
            visible_macros(user)
            .filter(Q(store__isnull=True) | Q(store_id=chat.store_id))
            .order_by("name")
            .values_list("pk", "name")
        ),
        "strings": client_strings(),
    }
    return render(request, "web/chats/conversation.html", context)


def _back(chat: Conversation) -> HttpResponse:
    return redirect("web:chat", conversation_id=chat.pk)


@login_required
@require_POST
def accept(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """Take a waiting chat; refused (with the reason) when the agent is at capacity."""
    user = _serving_agent(request)
    chat = _conversation_or_404(user, conversation_id)
    try:
        check_accept(chat, actor=user)
    except ChatError as exc:
        messages.error(request, exc.message)
        return redirect("web:chats")
    return _back(chat)


def _refused(exc: ChatError) -> None:
    """Refusals of who the actor is become 403/404; refusals of the request a message."""
    if exc.code == ChatErrorCode.NOT_ALLOWED:
        raise PermissionDenied(exc.message) from exc
    if exc.code == ChatErrorCode.NOT_FOUND:
        raise Http404(exc.message) from exc


@login_required
@require_POST
def transfer(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """POST ``to_user`` and/or ``to_group``: hand the chat over (to a group only: back to that
    group's queue)."""
    user = _serving_agent(request)
    chat = _conversation_or_404(user, conversation_id)
    if not chat_access.can_transfer(user, chat):
        raise PermissionDenied(_("You may not transfer this chat."))
    form = TransferForm(
        request.POST,
        agents=queries.transfer_agents(chat),
        groups=queries.transfer_groups(chat),
    )
    if not form.is_valid():
        messages.error(request, _("Choose an agent or a group of this store."))
        return _back(chat)
    to_user, to_group = form.cleaned_data["to_user"], form.cleaned_data["to_group"]
    try:
        check_transfer(chat, actor=user, to_user=to_user, to_group=to_group)
    except ChatError as exc:
        _refused(exc)
        messages.error(request, exc.message)
        return _back(chat)
    target = (to_user.name or to_user.email) if to_user else to_group.name
    messages.success(request, _("Chat transferred to %(target)s.") % {"target": target})
    if to_user is not None and to_user.pk == user.pk:
        return _back(chat)
    return redirect("web:chats")


@login_required
@require_POST
def end(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """End the chat; ``transcript=1`` e-mails the conversation to the visitor's address."""
    user = _serving_agent(request)
    chat = _conversation_or_404(user, conversation_id)
    transcript_to = chat.visitor.email if request.POST.get("transcript") else ""
    try:
        check_end(chat, actor=user, transcript_to=transcript_to)
    except ChatError as exc:
        _refused(exc)
        messages.error(request, exc.message)
        return _back(chat)
    if transcript_to:
        messages.success(
            request, _("Chat ended; the transcript goes to %(email)s.") % {"email": transcript_to}
        )
    else:
        messages.success(request, _("Chat ended."))
    return _back(chat)


@login_required
@require_POST
def block(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """Block the chat's visitor: their open chat ends and they can not start another."""
    user = _serving_agent(request)
    chat = _conversation_or_404(user, conversation_id)
    try:
        check_block_visitor(chat, actor=user)
    except ChatError as exc:
        _refused(exc)
        messages.error(request, exc.message)
        return _back(chat)
    messages.success(request, _("The visitor is blocked."))
    return redirect("web:chats")
