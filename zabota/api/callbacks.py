"""Callback requests: ask for a call on a customer's behalf, list the queue, record calls.

A request opens a ticket with channel ``callback`` (routing, rules and SLA as for any ticket).
Refused input answers 400 with code ``invalid_callback`` and a message per field in ``fields``.
The store's own site asks through the widget (``POST /widget/<key>/callback``), not here.
"""

from datetime import datetime

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from zabota.api.auth import actor_of
from zabota.api.error_codes import ApiError, ApiErrorCode
from zabota.api.pagination import Keyset, keyset_page
from zabota.api.schemas.common import ErrorOut, PageParams, UserRef, errors
from zabota.callbacks.access import access_callback_by_id, visible_callbacks
from zabota.callbacks.actions import NOTE_MAX_LENGTH, check_record_outcome, do_request_callback
from zabota.callbacks.constants import TOPIC_MAX_LENGTH, CallbackState, CallOutcome
from zabota.callbacks.errors import CallbackError
from zabota.callbacks.models import CallAttempt, CallbackRequest
from zabota.commerce.access import access_store, default_store_for

router = Router(tags=["callbacks"])

# The queue order: the call due first comes first.
CALLBACK_KEYSET = Keyset(("due_at", "id"))
INVALID_CALLBACK = "invalid_callback"


class CallbackErrorOut(ErrorOut):
    fields: dict[str, str] = Field(description="A message per refused field.")


class CallbackCreate(Schema):
    store: str | None = Field(
        None, description="Store slug or id; defaults to the first store the token's user works in."
    )
    phone: str = Field(
        max_length=40,
        description="International (+48 601 234 567) or national with the store's country.",
    )
    name: str = Field("", max_length=150)
    email: str = Field("", max_length=254)
    window_start: datetime | None = Field(None, description="Call from (with time zone).")
    window_end: datetime | None = Field(None, description="Call until (with time zone).")
    topic: str = Field("", max_length=TOPIC_MAX_LENGTH)
    language: str = Field("", max_length=16, description="The customer's language, e.g. pl.")


class CallOut(Schema):
    id: int
    outcome: CallOutcome
    note: str
    at: datetime
    agent: UserRef | None


class CallbackOut(Schema):
    id: int
    ticket: int = Field(description="Ticket id.")
    ticket_number: int
    store: str = Field(description="Store slug.")
    phone: str = Field(description="E.164.")
    name: str
    email: str
    window_start: datetime | None
    window_end: datetime | None
    topic: str
    state: CallbackState
    attempts: int
    next_attempt_at: datetime | None
    due_at: datetime
    created_at: datetime
    calls: list[CallOut] = Field(default_factory=list)

    @staticmethod
    def resolve_ticket(obj: CallbackRequest) -> int:
        return obj.ticket_id

    @staticmethod
    def resolve_ticket_number(obj: CallbackRequest) -> int:
        return obj.ticket.number

    @staticmethod
    def resolve_store(obj: CallbackRequest) -> str:
        return obj.store.slug

    @staticmethod
    def resolve_calls(obj: CallbackRequest) -> list[CallAttempt]:
        return list(obj.calls.select_related("agent"))


class CallbackList(Schema):
    items: list[CallbackOut]
    next: str | None


class CallbackFilters(PageParams):
    state: CallbackState | None = None
    store: str | None = Field(None, description="Store slug or id.")


class CallIn(Schema):
    outcome: CallOutcome
    note: str = Field("", max_length=NOTE_MAX_LENGTH)


def _refused(exc: CallbackError) -> Status:
    message = " ".join(exc.errors.values())
    return Status(400, {"code": INVALID_CALLBACK, "message": message, "fields": exc.errors})


@router.post("", response={201: CallbackOut, 400: CallbackErrorOut, **errors(404)})
def request_callback(request: HttpRequest, payload: CallbackCreate) -> Status:
    """Queue a call for a customer (taken over the phone, a shop counter, another system)."""
    actor = actor_of(request)
    store = access_store(actor, payload.store) if payload.store else default_store_for(actor)
    if store is None:
        raise ApiError(ApiErrorCode.STORE_REQUIRED, 400)
    try:
        callback = do_request_callback(
            store,
            phone=payload.phone,
            name=payload.name,
            email=payload.email,
            window_start=payload.window_start,
            window_end=payload.window_end,
            topic=payload.topic,
            language=payload.language,
        )
    except CallbackError as exc:
        return _refused(exc)
    return Status(201, callback)


@router.get("", response={200: CallbackList, **errors(400, 404)})
def list_callbacks(request: HttpRequest, filters: Query[CallbackFilters]) -> dict[str, object]:
    """Requests on tickets the token's user can see, the call due first first."""
    actor = actor_of(request)
    callbacks = visible_callbacks(actor).prefetch_related("calls__agent")
    if filters.state:
        callbacks = callbacks.filter(state=filters.state)
    if filters.store:
        callbacks = callbacks.filter(store=access_store(actor, filters.store))
    items, next_cursor = keyset_page(
        callbacks, CALLBACK_KEYSET, cursor=filters.cursor, limit=filters.limit
    )
    return {"items": items, "next": next_cursor}


@router.get("/{callback_id}", response={200: CallbackOut, **errors(404)})
def get_callback(request: HttpRequest, callback_id: int) -> CallbackRequest:
    return access_callback_by_id(actor_of(request), callback_id)


@router.post(
    "/{callback_id}/calls", response={201: CallbackOut, 400: CallbackErrorOut, **errors(404)}
)
def record_call(request: HttpRequest, callback_id: int, payload: CallIn) -> Status:
    """Record a call: `reached` and `wrong_number` solve the ticket; `no_answer` schedules the
    next attempt (or gives up after the last one)."""
    actor = actor_of(request)
    callback = access_callback_by_id(actor, callback_id)
    try:
        check_record_outcome(callback, outcome=payload.outcome, note=payload.note, actor=actor)
    except CallbackError as exc:
        return _refused(exc)
    return Status(201, access_callback_by_id(actor, callback_id))
