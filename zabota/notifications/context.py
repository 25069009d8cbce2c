"""Template context processor: the signed-in agent's unread notification count (for the bell)."""

from django.http import HttpRequest

from zabota.notifications.queries import unread_count


def unread_notifications(request: HttpRequest) -> dict[str, int]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_active:
        return {}
    return {"unread_notifications": unread_count(user)}  # type: ignore[arg-type]
