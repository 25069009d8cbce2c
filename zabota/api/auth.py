"""Personal API tokens: ``Authorization: Bearer <token>``. No sessions, so no CSRF.

Failed attempts are counted per client address; an address over the limit is answered 429
before its token is even looked at, which keeps token guessing and noisy misconfigured clients
cheap.

A token that worked is remembered in the cache for ``TOKEN_CACHE_SECONDS``, under the hash of
the token (never the token itself), so that a busy integration does not pay a database lookup
on every request. The price: revoking a token, or deactivating its user, takes effect on the
API within that many seconds rather than at once. Unknown and revoked tokens are never cached.
"""

import copy

from django.core.cache import cache
from django.http import HttpRequest
from ninja.errors import AuthenticationError, Throttled
from ninja.security import HttpBearer

from zabota.accounts.actions import authenticate_token
from zabota.accounts.models import User, hash_token
from zabota.core.ratelimit import API_AUTH_FAILURES_PER_IP, client_ip, hit, is_limited, retry_after

# How long a revoked token or a deactivated user may still be let in (see the module docstring).
TOKEN_CACHE_SECONDS = 10


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
        token = token.strip()
        if not token:
            return None
        key = f"zabota:api-token:{hash_token(token)}"
        user: User | None = cache.get(key)
        if user is None:
            user = authenticate_token(token)
            if user is not None:
                cache.set(key, _without_password(user), TOKEN_CACHE_SECONDS)
        return user


def _without_password(user: User) -> User:
    """A copy of ``user`` to keep in the cache without its password hash. The field becomes a
    deferred one: read only if something asks for it, and never written back by ``save()``."""
    cached = copy.copy(user)
    del cached.password
    return cached


def actor_of(request: HttpRequest) -> User:
    """The user whose token authenticated this request (ninja stores it as ``request.auth``)."""
    user = getattr(request, "auth", None)
    if not isinstance(user, User):
        raise AuthenticationError()
    return user
