"""Shapes shared by every domain's schemas: errors, references to related objects, priorities."""

from enum import StrEnum
from typing import Any

from ninja import Field, Schema

from zabota.api.pagination import DEFAULT_LIMIT, MAX_LIMIT
from zabota.tickets.constants import Priority


class ErrorOut(Schema):
    code: str
    message: str


class ValidationErrorOut(ErrorOut):
    details: list[dict[str, Any]]


class PageParams(Schema):
    cursor: str = Field("", description="The `next` value of the previous page.")
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)


class MergeIn(Schema):
    into: int = Field(description="Id of the object that survives the merge.")


class UserRef(Schema):
    id: int
    name: str


class GroupRef(Schema):
    id: int
    name: str


class CustomerRef(Schema):
    id: int
    name: str


class PriorityName(StrEnum):
    """Priorities are stored as numbers (so that they sort); the API speaks their names."""

    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


_PRIORITY_BY_NAME = {PriorityName(p.name.lower()): Priority(p.value) for p in Priority}
_NAME_BY_PRIORITY = {value: name for name, value in _PRIORITY_BY_NAME.items()}


def priority_value(name: PriorityName) -> int:
    return int(_PRIORITY_BY_NAME[name])


def priority_name(value: int) -> PriorityName:
    return _NAME_BY_PRIORITY[Priority(value)]


def errors(*statuses: int) -> dict[int, type[Schema]]:
    """Error responses for the OpenAPI document: those of every authenticated operation
    (401, 422, 429) plus the operation's own."""
    common: dict[int, type[Schema]] = {401: ErrorOut, 422: ValidationErrorOut, 429: ErrorOut}
    return {**common, **dict.fromkeys(statuses, ErrorOut)}
