"""The plumbing every public widget endpoint shares: CORS, JSON in and out, the visitor's token,
rate limits and refusals as JSON.

The widget calls from the store's site, another origin, without cookies: the visitor is known
by the signed token the script sends in ``X-Zabota-Visitor``, so there is no ambient authority a
forged cross-site request could borrow — hence CSRF-exempt and ``Access-Control-Allow-Origin: *``.
"""

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from zabota.chat.availability import chat_settings_for_key
from zabota.chat.models import ChatSettings, Visitor
from zabota.chat.tokens import visitor_from_token
from zabota.chat.widget_input import InputErrors
from zabota.chat.widget_texts import widget_language
from zabota.core import ratelimit

TOKEN_HEADER = "X-Zabota-Visitor"  # noqa: S105 - a header name
_TOKEN_META = "HTTP_X_ZABOTA_VISITOR"  # noqa: S105 - a header name


class Refused(Exception):
    """A request the endpoint turns down as a whole: ``{"error": code, "message": …}``."""

    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra
        super().__init__(code)


def cors(response: HttpResponse) -> HttpResponse:
    response["Access-Control-Allow-Origin"] = "*"
    return response


def preflight() -> HttpResponse:
    response = HttpResponse(status=204)
    response["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
    response["Access-Control-Allow-Headers"] = f"Content-Type, {TOKEN_HEADER}"
    response["Access-Control-Max-Age"] = "600"
    return cors(response)


def refusal(status: int, code: str, message: str, **extra: Any) -> JsonResponse:
    return JsonResponse({"error": code, "message": message, **extra}, status=status)


def limit(limit: ratelimit.Limit, subject: str) -> None:
    """Count one hit of ``subject``; over the limit: 429 with a message the widget shows."""
    if not ratelimit.hit(limit, subject):
        raise Refused(
            429,
            "rate_limited",
            _("You are sending messages too fast — please wait a minute."),
            retry_after=ratelimit.retry_after(limit),
        )


def sent_token(request: HttpRequest) -> str:
    return str(request.META.get(_TOKEN_META, "")).strip()


def known_visitor(
    request: HttpRequest, chat_settings: ChatSettings, *, allow_blocked: bool = False
) -> Visitor | None:
    """The visitor of the token the request carries; None without one. A token that is not
    ours for this store is refused (403 ``invalid_token``: the script then forgets it), and so
    is a blocked visitor unless ``allow_blocked``."""
    token = sent_token(request)
    if not token:
        return None
    visitor = visitor_from_token(token, chat_settings.store)
    if visitor is None:
        raise Refused(403, "invalid_token", _("Your chat session is no longer valid."))
    if visitor.blocked_at is not None and not allow_blocked:
        raise Refused(403, "blocked", _("Sorry, the chat is not available."))
    return visitor


def json_data(request: HttpRequest) -> dict[str, object]:
    """The request's fields: a JSON object, or a form (the upload sends multipart)."""
    content_type = request.content_type or ""
    if content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        return dict(request.POST.items())
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        data = None
    if not isinstance(data, dict):
        raise Refused(400, "invalid", _("The request could not be read."))
    return data


WidgetView = Callable[..., HttpResponse]


def widget_endpoint(*methods: str) -> Callable[[WidgetView], Callable[..., HttpResponse]]:
    """Wrap a view ``(request, chat_settings, *, language, **kwargs)`` of ``/widget/<key>/…``:
    answers preflights, finds the enabled widget of the key, speaks the visitor's language, turns
    refusals into JSON and adds the CORS header to every answer. Answers are never cached: they
    carry the visitor's own conversation."""

    def decorator(view: WidgetView) -> Callable[..., HttpResponse]:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, key: str, **kwargs: Any) -> HttpResponse:
            if request.method == "OPTIONS":
                return preflight()
            chat_settings = chat_settings_for_key(key)
            language = (
                widget_language(request, chat_settings) if chat_settings is not None else "en"
            )
            with translation.override(language):
                response = _answer(view, request, chat_settings, methods, language, kwargs)
            response["Cache-Control"] = "no-store"
            return cors(response)

        return wrapper

    return decorator


def _answer(
    view: WidgetView,
    request: HttpRequest,
    chat_settings: ChatSettings | None,
    methods: tuple[str, ...],
    language: str,
    kwargs: dict[str, Any],
) -> HttpResponse:
    if request.method not in methods:
        response = refusal(405, "method_not_allowed", _("This method is not allowed here."))
        response["Allow"] = ", ".join((*methods, "OPTIONS"))
        return response
    if chat_settings is None:
        return refusal(404, "not_found", _("This chat is not available."))
    try:
        return view(request, chat_settings, language=language, **kwargs)
    except Refused as refused:
        response = refusal(refused.status, refused.code, refused.message, **refused.extra)
        if refused.status == 429:
            response["Retry-After"] = str(refused.extra.get("retry_after", 60))
        return response
    except InputErrors as invalid:
        return JsonResponse({"errors": invalid.errors}, status=400)
