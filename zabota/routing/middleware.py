"""Agent activity for automatic away: any authenticated request in the agent UI or the API.

Add ``"zabota.routing.middleware.AgentActivityMiddleware"`` to ``MIDDLEWARE`` after the
authentication middleware. The write is throttled through the cache: one ``cache.add`` per
request, and one UPDATE per agent and minute at most.
"""

from collections.abc import Callable
from typing import cast

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

from zabota.accounts.models import User
from zabota.routing.actions import do_record_activity

# An agent's last_seen_at is at most this many seconds behind their last request.
SEEN_THROTTLE_SECONDS = 60


def seen_cache_key(user_id: int) -> str:
    return f"routing:seen:{user_id}"


def _request_user(request: HttpRequest) -> User | None:
    # The API authenticates by token inside the view (ninja sets request.auth); the agent UI
    # by session, whose user the view has already loaded.
    auth = getattr(request, "auth", None)
    if isinstance(auth, User):
        return auth
    user = getattr(request, "user", None)
    return cast(User, user) if user is not None and user.is_authenticated else None


class AgentActivityMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = _request_user(request)
        # cache.add only succeeds for the first request of the period: the others cost no query.
        if user is not None and cache.add(seen_cache_key(user.pk), 1, SEEN_THROTTLE_SECONDS):
            do_record_activity(user.pk)
        return response
