"""Tags of the stores the token's user works in."""

from django.http import HttpRequest
from ninja import Query, Router, Status

from zabota.api.auth import actor_of
from zabota.api.error_codes import ApiError, ApiErrorCode
from zabota.api.pagination import Keyset, keyset_page
from zabota.api.schemas.common import errors
from zabota.api.schemas.tags import TagCreate, TagFilters, TagList, TagOut
from zabota.commerce.access import access_store, default_store_for
from zabota.tickets.access import visible_tags
from zabota.tickets.actions import get_or_create_tag

router = Router(tags=["tags"])

TAG_KEYSET = Keyset(("name", "id"))


@router.get("", response={200: TagList, **errors(400, 404)})
def list_tags(request: HttpRequest, filters: Query[TagFilters]) -> dict[str, object]:
    actor = actor_of(request)
    tags = visible_tags(actor)
    if filters.store:
        tags = tags.filter(store=access_store(actor, filters.store))
    items, next_cursor = keyset_page(tags, TAG_KEYSET, cursor=filters.cursor, limit=filters.limit)
    return {"items": items, "next": next_cursor}


@router.post("", response={201: TagOut, **errors(400, 404)})
def create_tag(request: HttpRequest, payload: TagCreate) -> Status:
    """Create a tag, or return the store's tag of that name if it exists (names are stored
    lower-case with spaces collapsed)."""
    actor = actor_of(request)
    store = access_store(actor, payload.store) if payload.store else default_store_for(actor)
    if store is None:
        raise ApiError(ApiErrorCode.STORE_REQUIRED, 400)
    return Status(201, get_or_create_tag(store, payload.name))
