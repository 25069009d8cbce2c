"""The token's user's own notifications: the unread ones, and marking them read."""

from datetime import datetime

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from zabota.api.auth import actor_of
from zabota.api.schemas.common import errors
from zabota.notifications.actions import do_mark_read
from zabota.notifications.queries import PAGE_SIZE, recent, unread_count

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    kind: str = Field(description="rule, assigned, sla_warning or sla_breached.")
    title: str
    body: str
    actor_label: str = Field(description='Who caused it: "rule: VIP first", "routing", a name.')
    ticket_id: int | None
    created_at: datetime
    read_at: datetime | None


class NotificationList(Schema):
    unread: int = Field(description="How many of the user's notifications are unread.")
    items: list[NotificationOut]


class NotificationFilters(Schema):
    include_read: bool = Field(False, description="Also the read ones (newest first).")


class MarkReadIn(Schema):
    ids: list[int] = Field(default_factory=list, description="Notifications to mark read.")
    all: bool = Field(False, description="Mark every unread notification read.")


class MarkReadOut(Schema):
    marked: int
    unread: int


@router.get("", response={200: NotificationList, **errors()})
def list_notifications(
    request: HttpRequest, filters: Query[NotificationFilters]
) -> dict[str, object]:
    """The newest unread notifications (up to 50), or the newest of all with ``include_read``."""
    actor = actor_of(request)
    items = recent(actor, unread_only=not filters.include_read, limit=PAGE_SIZE)
    return {"unread": unread_count(actor), "items": items}


@router.post("/read", response={200: MarkReadOut, **errors()})
def mark_read(request: HttpRequest, payload: MarkReadIn) -> dict[str, int]:
    """Ids of other users' notifications are ignored."""
    actor = actor_of(request)
    marked = do_mark_read(actor, "all" if payload.all else payload.ids)
    return {"marked": marked, "unread": unread_count(actor)}
