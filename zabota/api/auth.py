"""Personal API tokens: ``Authorization: Bearer <token>``. No sessions, so no CSRF.

Failed attempts are counted per client address; an address over the limit is answered 429
before its token is even looked at, which keeps token guessing and noisy misconfigured clients
cheap.
"""

from django.http import HttpRequest
from ninja.errors import AuthenticationError, Throttled
from ninja.security import HttpBearer

from zabota.accounts.actions import authenticate_token
from zabota.accounts.models import User
from zabota.core.ratelimit import API_AUTH_FAILURES_PER_IP, client_ip, hit, is_limited, retry_after


class ApiTokenAuth(HttpBearer):
    def __call__(self, request: HttpRequest) -> User | None:
        ip = client_ip(request)
        if is_limited(API_AUTH_FAILURES_PER_IP, ip):
            raise Throttled(retry_after(API_AUTH_FAILURES_PER_IP))
        user = super().__call__(request)
        if user is None:
            hit(API_AUTH_FAILURES_PER_IP, ip)
        return user

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        if not token.strip():
            return None
        return authenticate_token(token.strip())


def actor_of(request: HttpRequest) -> User:
    """The user whose token authenticated this request (ninja stores it as ``request.auth``)."""
    user = getattr(request, "auth", None)
    if not isinstance(user, User):
        raise AuthenticationError()
    return user
