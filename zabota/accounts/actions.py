from django.db import transaction
from django.utils import timezone

from zabota.accounts.models import ApiToken, User, hash_token


def do_create_api_token(user: User, *, name: str, actor: User) -> str:
    """Create a token for ``user`` and return its raw value (shown once, never stored)."""
    raw = ApiToken.generate()
    ApiToken.objects.create(user=user, name=name, key_hash=hash_token(raw), hint=raw[:8])
    return raw


def do_revoke_api_token(token: ApiToken, *, actor: User) -> None:
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])


def authenticate_token(raw: str) -> User | None:
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=hash_token(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    # Touch at most once a minute so that busy integrations don't write on every request.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def do_set_ui_language(user: User, *, language: str, actor: User) -> None:
    with transaction.atomic():
        user.ui_language = language
        user.save(update_fields=["ui_language"])
