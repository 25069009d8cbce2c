"""The chat widget's public side (docs/chat.md, "Widget HTTP endpoints"): the script a store
embeds, a demo page that embeds it, and the calls the script makes.

Each endpoint cleans what it was sent (``widget_input``), counts it against its rate limits
per address and per visitor token, and makes one call to ``chat.actions`` (or to
``callbacks.actions``). CORS, the token and JSON refusals are ``widget_http``'s.
"""

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from zabota.callbacks.actions import do_request_callback
from zabota.callbacks.errors import CallbackError
from zabota.chat.actions import (
    current_conversation,
    do_end,
    do_get_or_create_visitor,
    do_leave_message,
    do_post_line,
    do_start_conversation,
    line_payload,
    lines_after,
)
from zabota.chat.availability import chat_settings_for_key, is_online, promise_text
from zabota.chat.constants import PrechatField, Sender
from zabota.chat.errors import ChatError, ChatErrorCode
from zabota.chat.models import ChatSettings, Conversation, Visitor
from zabota.chat.widget_http import (
    Refused,
    json_data,
    known_visitor,
    limit,
    sent_token,
    widget_endpoint,
)
from zabota.chat.widget_input import (
    MAX_BODY,
    MAX_EMAIL,
    MAX_NAME,
    MAX_ORDER,
    MAX_PHONE,
    MAX_TOPIC,
    Cleaner,
    InputErrors,
    callback_window,
    plain_text,
)
from zabota.chat.widget_texts import widget_language, widget_texts
from zabota.core import ratelimit
from zabota.tickets.actions import NewAttachment

# The page shows this many of a long conversation's latest lines; the socket's sync is exact.
STATE_LINES = 500
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
_DEFAULT_COLOUR = "#2563eb"
# Multipart framing around the file itself: an upload this much over the limit is refused
# before Django reads it.
_MULTIPART_OVERHEAD = 64 * 1024


@cache
def _source() -> str:
    return (Path(__file__).resolve().parent / "static/chat/widget.js").read_text(encoding="utf-8")


def _script_json(value: dict[str, Any]) -> str:
    """JSON that cannot end the ``<script>`` it may be pasted into (nor open a comment)."""
    return (
        json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _prechat(chat_settings: ChatSettings) -> dict[str, str]:
    return {
        "name": chat_settings.ask_name,
        "email": chat_settings.ask_email,
        "order": chat_settings.ask_order,
    }


def _origin(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


@require_GET
@gzip_page
@vary_on_headers("Accept-Language")
@cache_control(public=True, max_age=300)
def script(request: HttpRequest, key: str) -> HttpResponse:
    """``<script src="…/widget/<key>.js" async>``: the widget with the store's settings and the
    texts in the visitor's language before the code. Cached for five minutes (a settings change
    reaches visitors that late), per language."""
    chat_settings = chat_settings_for_key(key)
    if chat_settings is None:
        # Still JavaScript: the store's page must not log a syntax error for a wrong key.
        response = HttpResponse(
            "/* Zabota: no chat widget with this key */\n",
            content_type="application/javascript; charset=utf-8",
            status=404,
        )
        response["Access-Control-Allow-Origin"] = "*"
        return response
    language = widget_language(request, chat_settings)
    origin = _origin(request)
    with translation.override(language):
        texts = widget_texts()
    colour = chat_settings.color if _COLOUR.match(chat_settings.color) else _DEFAULT_COLOUR
    config = {
        "key": chat_settings.widget_key,
        "origin": origin,
        "ws": re.sub(r"^http", "ws", origin),
        "language": language,
        "store": chat_settings.store.name,
        "color": colour,
        "prechat": _prechat(chat_settings),
        "maxUpload": settings.ZABOTA_MAX_ATTACHMENT_BYTES,
        "texts": texts,
    }
    body = _source().replace("/*CONFIG*/null", _script_json(config), 1)
    response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    response["Access-Control-Allow-Origin"] = "*"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
def try_page(request: HttpRequest, key: str) -> HttpResponse:
    """A made-up shop page with the widget on it: what a store's visitors see, and the page
    the browser tests drive."""
    chat_settings = chat_settings_for_key(key)
    if chat_settings is None:
        return render(request, "chat/try.html", {"missing": True}, status=404)
    return render(
        request,
        "chat/try.html",
        {
            "store": chat_settings.store,
            "script_url": reverse("chat_widget:script", kwargs={"key": key}),
            "snippet_url": _origin(request) + reverse("chat_widget:script", kwargs={"key": key}),
        },
    )


def _agent_label(conversation: Conversation) -> str:
    """The agent as the visitor sees them: the first name only."""
    agent = conversation.agent
    return agent.name.split()[0] if agent is not None and agent.name.strip() else ""


def _conversation_payload(conversation: Conversation) -> dict[str, Any]:
    after = max(0, conversation.last_seq - STATE_LINES)
    return {
        "id": conversation.pk,
        "state": conversation.state,
        "agent": _agent_label(conversation),
        "last_seq": conversation.last_seq,
        # How far the agent side got: the widget's delivered/read ticks.
        "delivered_seq": conversation.agent_delivered_seq,
        "read_seq": conversation.agent_read_seq,
        "lines": [line_payload(line) for line in lines_after(conversation, after, STATE_LINES)],
    }


def _chat_errors(error: ChatError) -> Exception:
    """A refused action as the widget's answer: a blocked visitor and an ended chat refuse the
    whole request, anything else is about the fields."""
    if error.code == ChatErrorCode.BLOCKED:
        return Refused(403, "blocked", error.message)
    if error.code == ChatErrorCode.RATE_LIMITED:
        return Refused(429, "rate_limited", error.message, retry_after=60)
    if error.code in (ChatErrorCode.ENDED, ChatErrorCode.NOT_FOUND):
        return Refused(409, "no_conversation", error.message)
    return InputErrors({str(field): str(message) for field, message in error.errors.items()})


def _visitor_limit(limit_: ratelimit.Limit, visitor: Visitor | None) -> None:
    if visitor is not None:
        limit(limit_, visitor.key)


def _visitor_for_post(
    chat_settings: ChatSettings, request: HttpRequest, language: str
) -> tuple[Visitor, str]:
    """The visitor of the request, made now for a first-time one, and their (new) token."""
    return do_get_or_create_visitor(chat_settings, sent_token(request) or None, language=language)


@widget_endpoint("GET")
def state(request: HttpRequest, chat_settings: ChatSettings, *, language: str) -> HttpResponse:
    """Whether someone answers now, the promise otherwise, what the pre-chat form asks, and the
    visitor's current conversation with its lines (a reload shows the history). Reading the
    state makes no visitor: one is made with the first message."""
    limit(ratelimit.PUBLIC_API_PER_IP, ratelimit.client_ip(request))
    visitor = known_visitor(request, chat_settings, allow_blocked=True)
    blocked = visitor is not None and visitor.blocked_at is not None
    conversation = current_conversation(visitor) if visitor is not None and not blocked else None
    online = is_online(chat_settings)
    return JsonResponse(
        {
            "online": online,
            "promise": "" if online else promise_text(chat_settings.store, language),
            "prechat": _prechat(chat_settings),
            "blocked": blocked,
            "visitor": (
                {"name": visitor.name, "email": visitor.email} if visitor is not None else None
            ),
            "conversation": (
                _conversation_payload(conversation) if conversation is not None else None
            ),
        }
    )


def _prechat_value(cleaner: Cleaner, field: str, ask: str, max_length: int) -> str:
    if ask == PrechatField.OFF:
        return ""
    if field == "email":
        return cleaner.email(required=ask == PrechatField.REQUIRED)
    return cleaner.text(field, max_length, required=ask == PrechatField.REQUIRED)


@widget_endpoint("POST")
def conversations(
    request: HttpRequest, chat_settings: ChatSettings, *, language: str
) -> HttpResponse:
    """Start a chat: the pre-chat fields and the first message. Refused (409 ``offline``) when
    nobody can answer now — the widget then offers to leave a message instead. A visitor who
    already has a chat open (another tab started it) gets their message added to that one."""
    limit(ratelimit.CHAT_START_PER_IP, ratelimit.client_ip(request))
    visitor = known_visitor(request, chat_settings)
    _visitor_limit(ratelimit.CHAT_START_PER_VISITOR, visitor)
    cleaner = Cleaner(json_data(request))
    body = cleaner.text("body", MAX_BODY, required=True, multiline=True)
    name = _prechat_value(cleaner, "name", chat_settings.ask_name, MAX_NAME)
    email = _prechat_value(cleaner, "email", chat_settings.ask_email, MAX_EMAIL)
    order_number = _prechat_value(cleaner, "order_number", chat_settings.ask_order, MAX_ORDER)
    client_id = cleaner.client_id()
    page_url = cleaner.page_url()
    cleaner.done()
    open_one = current_conversation(visitor) if visitor is not None else None
    if open_one is None and not is_online(chat_settings):
        raise Refused(
            409,
            "offline",
            _("Nobody can answer right now — please leave us a message."),
            promise=promise_text(chat_settings.store, language),
        )
    try:
        with transaction.atomic():
            visitor, token = _visitor_for_post(chat_settings, request, language)
            # With a chat open, this writes into it (a resend with the same client_id: once).
            conversation = do_start_conversation(
                visitor,
                body=body,
                client_id=client_id,
                name=name,
                email=email,
                order_number=order_number,
                page_url=page_url,
            )
    except ChatError as refused:
        raise _chat_errors(refused) from refused
    conversation.refresh_from_db()
    return JsonResponse(
        {"token": token, "conversation": _conversation_payload(conversation)},
        status=201 if open_one is None else 200,
    )


def _too_large() -> Refused:
    return Refused(
        413,
        "too_large",
        _("The file is too large: at most %(size)s.")
        % {"size": filesizeformat(settings.ZABOTA_MAX_ATTACHMENT_BYTES)},
    )


def _open_conversation(visitor: Visitor | None) -> Conversation:
    conversation = current_conversation(visitor) if visitor is not None else None
    if conversation is None:
        raise Refused(409, "no_conversation", _("This chat has ended. Please start a new one."))
    return conversation


@widget_endpoint("POST")
def upload(request: HttpRequest, chat_settings: ChatSettings, *, language: str) -> HttpResponse:
    """A file into the visitor's current chat (multipart ``file``, optional ``client_id``), with
    the limit of e-mail attachments. An oversized body is refused before it is read."""
    limit(ratelimit.CHAT_UPLOAD_PER_IP, ratelimit.client_ip(request))
    visitor = known_visitor(request, chat_settings)
    _visitor_limit(ratelimit.CHAT_UPLOAD_PER_VISITOR, visitor)
    conversation = _open_conversation(visitor)
    max_bytes = settings.ZABOTA_MAX_ATTACHMENT_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > max_bytes + _MULTIPART_OVERHEAD:
        raise _too_large()
    cleaner = Cleaner(json_data(request))
    file = request.FILES.get("file")
    if file is None:
        raise InputErrors({"file": _("Please choose a file.")})
    if file.size is None or file.size > max_bytes:
        raise _too_large()
    filename = plain_text(file.name)[:255] or "attachment"
    caption = cleaner.text("body", MAX_BODY, multiline=True)
    client_id = cleaner.client_id()
    cleaner.done()
    attachment = NewAttachment(
        filename=filename,
        content_type=plain_text(file.content_type) or "application/octet-stream",
        data=file.read(),
    )
    try:
        line, _created = do_post_line(
            conversation,
            sender=Sender.VISITOR,
            body=caption,
            client_id=client_id,
            attachments=[attachment],
        )
    except ChatError as refused:
        raise _chat_errors(refused) from refused
    return JsonResponse({"seq": line.seq, "client_id": client_id, "line": line_payload(line)})


@widget_endpoint("POST")
def end(request: HttpRequest, chat_settings: ChatSettings, *, language: str) -> HttpResponse:
    """The visitor ends their chat; with ``transcript`` the conversation is e-mailed to
    ``email`` (or the address they gave before). Ending an ended chat is fine."""
    limit(ratelimit.CHAT_MESSAGE_PER_IP, ratelimit.client_ip(request))
    visitor = known_visitor(request, chat_settings)
    _visitor_limit(ratelimit.CHAT_MESSAGE_PER_VISITOR, visitor)
    data = json_data(request)
    cleaner = Cleaner(data)
    transcript = data.get("transcript") in (True, "1", "true", "on")
    email = ""
    if transcript:
        if not plain_text(data.get("email")) and visitor is not None and visitor.email:
            data["email"] = visitor.email
        email = cleaner.email(required=True)
    cleaner.done()
    conversation = current_conversation(visitor) if visitor is not None else None
    if conversation is None:
        return JsonResponse({"state": "ended", "transcript": False})
    try:
        do_end(conversation, actor=None, transcript_to=email)
    except ChatError as refused:
        raise _chat_errors(refused) from refused
    return JsonResponse({"state": "ended", "transcript": bool(email)})


@widget_endpoint("POST")
def message(request: HttpRequest, chat_settings: ChatSettings, *, language: str) -> HttpResponse:
    """Leave a message while nobody is online: it becomes an e-mail ticket, answered by e-mail
    to the address given here (required)."""
    limit(ratelimit.CHAT_OFFLINE_MESSAGE_PER_IP, ratelimit.client_ip(request))
    visitor = known_visitor(request, chat_settings)
    _visitor_limit(ratelimit.CHAT_START_PER_VISITOR, visitor)
    cleaner = Cleaner(json_data(request))
    name = cleaner.text("name", MAX_NAME)
    email = cleaner.email(required=True)
    body = cleaner.text("body", MAX_BODY, required=True, multiline=True)
    cleaner.done()
    try:
        with transaction.atomic():
            visitor, token = _visitor_for_post(chat_settings, request, language)
            do_leave_message(chat_settings, visitor, name=name, email=email, body=body)
    except ChatError as refused:
        raise _chat_errors(refused) from refused
    return JsonResponse(
        {"ok": True, "token": token, "promise": promise_text(chat_settings.store, language)},
        status=201,
    )


@widget_endpoint("POST")
def callback(request: HttpRequest, chat_settings: ChatSettings, *, language: str) -> HttpResponse:
    """Ask for a call: phone (normalised by ``callbacks``), name, e-mail, the preferred window
    (``when`` asap|today|tomorrow with ``from``/``to`` in the store's time) and the topic."""
    limit(ratelimit.CALLBACK_PER_IP, ratelimit.client_ip(request))
    visitor = known_visitor(request, chat_settings)
    _visitor_limit(ratelimit.CALLBACK_PER_VISITOR, visitor)
    cleaner = Cleaner(json_data(request))
    phone = cleaner.text("phone", MAX_PHONE, required=True)
    name = cleaner.text("name", MAX_NAME)
    email = cleaner.email()
    topic = cleaner.text("topic", MAX_TOPIC)
    window = callback_window(cleaner, chat_settings.store.time_zone)
    cleaner.done()
    try:
        with transaction.atomic():
            visitor, token = _visitor_for_post(chat_settings, request, language)
            do_request_callback(
                chat_settings.store,
                phone=phone,
                name=name,
                email=email,
                window_start=window.start,
                window_end=window.end,
                topic=topic,
                language=language,
                visitor=visitor,
            )
    except CallbackError as refused:
        raise InputErrors(dict(refused.errors)) from refused
    return JsonResponse({"ok": True, "token": token}, status=201)
