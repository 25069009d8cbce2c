from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import translation


class AgentLanguageMiddleware:
    """Activate the signed-in agent's chosen interface language."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.ui_language:
            translation.activate(user.ui_language)
            request.LANGUAGE_CODE = user.ui_language
        response = self.get_response(request)
        return response
